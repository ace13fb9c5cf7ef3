import type { Expression, ExpressionBuilder, Selectable, SelectQueryBuilder, SqlBool } from 'kysely'
import { InvalidInput } from '../../common/errors.ts'
import { listKeys, listRows, listSelected, type ListCondition, type ListCriteria, type ListTarget } from '../../db/list-rows.ts'
import type { Schema, TableName } from '../../db/schema.ts'
import { listLinks, type ListLink } from './list-links.ts'
import type { ListQuery } from './parse-list-query.ts'
import type { ListSpec } from './list-spec.ts'

export interface RunListOptions<T extends TableName> {
  /** `<scheme>://<host>[:port]<request path>` (or api_base_uri + path): the links' base. */
  baseUrl: string
  /** The caller's own condition, e.g. the parent of a nested list. */
  where?: (eb: ExpressionBuilder<Schema, T>) => Expression<SqlBool>
  /** rbac.md §4: only this project's rows are listed, and only its rows can serve as the marker. */
  projectId?: string
}

export interface ListPage<T extends TableName> {
  /** The page's rows of the spec's table (its own columns), in order; the resource renders them. */
  rows: Array<Selectable<Schema[T]>>
  /** `<collection>_links`; null when pagination is disabled (the response has no links key). */
  links: ListLink[] | null
}

/** Runs a parsed list query: one SELECT plus, with a marker, the marker lookup (spec/api-v2.md §5). */
export async function runList<T extends TableName, J extends TableName>(
  db: ListTarget, spec: ListSpec<T, J>, query: ListQuery, options: RunListOptions<T>,
): Promise<ListPage<T>> {
  const rows = await listRows(db, spec, criteria(spec, query, options))
  if (rows === 'marker-not-found') throw markerNotFound(query)
  if (!query.links) return { rows, links: null }
  const keyName = spec.key.slice(spec.key.indexOf('.') + 1) as keyof Selectable<Schema[T]>
  const keys = rows.map((row) => String(row[keyName]))
  return { rows, links: listLinks(options.baseUrl, query.links, keys, Boolean(query.marker)) }
}

/** runList for a resource that loads its objects itself: the page's keys only, and the links. */
export async function runListKeys<T extends TableName, J extends TableName>(
  db: ListTarget, spec: ListSpec<T, J>, query: ListQuery, options: RunListOptions<T>,
): Promise<{ keys: string[]; links: ListLink[] | null }> {
  const keys = await listKeys(db, spec, criteria(spec, query, options))
  if (keys === 'marker-not-found') throw markerNotFound(query)
  return { keys, links: query.links ? listLinks(options.baseUrl, query.links, keys, Boolean(query.marker)) : null }
}

/** runList with the columns `select` picks (of the table and its joins); each row's `id` is its key. */
export async function runListSelected<T extends TableName, J extends TableName, R extends { id: string }>(
  db: ListTarget, spec: ListSpec<T, J>, query: ListQuery, options: RunListOptions<T>,
  select: (from: SelectQueryBuilder<Schema, T | J, object>) => SelectQueryBuilder<Schema, T | J, R>,
): Promise<{ rows: R[]; links: ListLink[] | null }> {
  const rows = await listSelected(db, spec, criteria(spec, query, options), select)
  if (rows === 'marker-not-found') throw markerNotFound(query)
  return { rows, links: query.links ? listLinks(options.baseUrl, query.links, rows.map((row) => row.id), Boolean(query.marker)) : null }
}

function criteria<T extends TableName, J extends TableName>(spec: ListSpec<T, J>, query: ListQuery, options: RunListOptions<T>): ListCriteria<T> {
  return {
    conditions: query.conditions,
    tags: query.tags,
    order: query.order,
    limit: query.limit,
    ...(query.marker !== undefined && { marker: { key: query.marker, reverse: query.pageReverse } }),
    ...(options.where && { where: options.where }),
    // A generic spec is not assignable to the widened parameter type; the value is the same.
    ...(options.projectId !== undefined && { visible: [projectCondition(spec as unknown as ListSpec, options.projectId)] }),
  }
}

function projectCondition(spec: Pick<ListSpec, 'collection' | 'attributes'>, projectId: string): ListCondition {
  const column = spec.attributes.project_id
  if (!column) throw new Error(`list spec ${spec.collection} has no project_id to scope by`)
  return { column, equals: projectId }
}

function markerNotFound(query: ListQuery): InvalidInput {
  return new InvalidInput(`Supplied pagination marker '${query.marker}' is not valid.`)
}
