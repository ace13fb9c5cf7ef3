import type { FastifyRequest } from 'fastify'
import type { SelectQueryBuilder } from 'kysely'
import type { Schema, TableName } from '../../db/schema.ts'
import { listResponse } from '../list/list-response.ts'
import type { ListSpec } from '../list/list-spec.ts'
import { parseListQuery } from '../list/parse-list-query.ts'
import { runListKeys, runListSelected, type RunListOptions } from '../list/run-list.ts'
import { selectFields } from '../list/select-fields.ts'
import { listBaseUrl, rawQuery } from '../request-url.ts'
import type { ApiDeps } from './api-deps.ts'

/**
 * A collection whose objects are mostly the columns of the list's own SELECT (load balancers:
 * their row and VIP): `select` picks those columns, so the page's rows come with the page, and
 * `load` adds the rest of each object (one more query for the whole page).
 */
export interface PageColumns<T extends TableName, J extends TableName, R extends { id: string }, O> {
  select: (from: SelectQueryBuilder<Schema, T | J, object>) => SelectQueryBuilder<Schema, T | J, R>
  load: (rows: R[]) => Promise<O[]>
}

/**
 * A collection GET of one resource (spec/api-v2.md §5): parse the query (400), scope it by
 * project when the spec says so (rbac.md §4: 403, or the project the caller may see), page the
 * keys with one SELECT, load those objects (by their key) in a fixed number of queries, render
 * them and keep the fields asked for; with PageColumns, the page's SELECT reads the objects' own
 * columns too. `where` narrows a nested list to its parent (its route checked the policy).
 */
export async function listObjects<T extends TableName, J extends TableName, O, R extends { id: string } = { id: string }>(
  req: FastifyRequest, deps: ApiDeps, spec: ListSpec<T, J>,
  load: ((keys: string[]) => Promise<O[]>) | PageColumns<T, J, R, O>, render: (object: O) => object, where?: RunListOptions<T>['where'],
): Promise<Record<string, unknown>> {
  const raw = rawQuery(req)
  // A generic spec is not assignable to the engine's widened parameter type; the value is the same.
  const query = parseListQuery(raw, spec as unknown as ListSpec, deps.config.api_settings)
  let projectId: string | undefined
  if (spec.scope) {
    // An explicit ?project_id= always filters, also when filtering is disabled (upstream's _auth_get_all).
    const asked = new URLSearchParams(raw).get('project_id') ?? undefined
    projectId = deps.access.listScope(req, spec.scope, asked) ?? asked
  }
  const options = { baseUrl: listBaseUrl(req), ...(where ? { where } : {}), ...(projectId !== undefined ? { projectId } : {}) }
  if (typeof load !== 'function') {
    const page = await runListSelected(deps.db, spec, query, options, load.select)
    const objects = await load.load(page.rows)
    return listResponse(spec, selectFields(objects.map(render), query.fields), page.links)
  }
  // Keys only: `load` reads the objects (the key is `id`, except for availability zones' `name`).
  const page = await runListKeys(deps.db, spec, query, options)
  const objects = await load(page.keys)
  return listResponse(spec, selectFields(objects.map(render), query.fields), page.links)
}
