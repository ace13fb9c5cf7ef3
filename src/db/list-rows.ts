import {
  sql, type Expression, type ExpressionBuilder, type Kysely, type RawBuilder, type Selectable, type SelectQueryBuilder, type SqlBool,
} from 'kysely'
import type { Database } from './database.ts'
import type { DatabaseEngine } from './database-options.ts'
import type { Schema, TableName } from './schema.ts'

// One page of a collection: one SELECT (after a lookup of the marker row), the same on every
// engine. spec/api-v2.md §5.2 compares a null marker value as '' or 0; we also ORDER BY the
// value a NULL compares as ('' / 0 / false / 1970-01-01), so the order and the marker
// comparison agree and a page walk returns every row once, on every engine. Strings sort by
// code point everywhere: utf8mb4_bin on MySQL, BINARY on SQLite, COLLATE "C" on PostgreSQL.

export type ListValueType = 'string' | 'integer' | 'float' | 'boolean' | 'timestamp'

/** `table.column` of one of the tables TB, e.g. 'vip.ip_address'. */
export type QualifiedColumn<TB extends TableName> = { [K in TB]: `${K}.${keyof Schema[K] & string}` }[TB]

export interface ListColumn<TB extends TableName = TableName> {
  column: QualifiedColumn<TB>
  type: ListValueType
  /** NOT NULL in the listed table: ordered and compared as is, so an index can serve it. */
  notNull?: boolean
}

/** LEFT JOIN of a table holding at most one row per listed row (the load balancer's vip). */
export interface ListJoin<T extends TableName, J extends TableName> {
  table: J
  on: readonly [QualifiedColumn<J>, QualifiedColumn<T>]
}

export interface ListSource<T extends TableName = TableName, J extends TableName = TableName> {
  table: T
  joins?: ReadonlyArray<ListJoin<T, J>>
  /** The unique column a marker names (`id`; availability zones: `name`). */
  key: QualifiedColumn<T>
  /** Rows whose value here is DELETED are never listed. */
  deletedColumn?: QualifiedColumn<T>
  /** Tag conditions apply to the key through the tags table. */
  tags?: boolean
}

export type ListCondition =
  | { column: ListColumn; equals: string | number | boolean }
  /** from ≤ value < before (a timestamp filter matches the second the API renders). */
  | { column: ListColumn; from: Date; before: Date }
  /** A filter value no row can hold, e.g. "abc" for an integer. */
  | { nothing: true }

export interface TagConditions {
  /** Has every one of these tags. */
  all?: readonly string[]
  /** Has at least one of these. */
  any?: readonly string[]
  /** Lacks at least one of these. */
  notAll?: readonly string[]
  /** Has none of these. */
  notAny?: readonly string[]
}

export interface ListOrder {
  column: ListColumn
  direction: 'asc' | 'desc'
}

export interface ListCriteria<T extends TableName> {
  conditions: readonly ListCondition[]
  tags?: TagConditions
  /** Should end with the key, or pages are not well defined. */
  order: readonly ListOrder[]
  /** null = no limit. */
  limit: number | null
  /**
   * Rows strictly after the marker row in `order`; with `reverse`, strictly before it while
   * the ORDER BY stays as it is (spec/api-v2.md §5.2 page_reverse quirk).
   */
  marker?: { key: string; reverse: boolean }
  /** The caller's own condition: project scoping, the parent of a nested list. */
  where?: (eb: ExpressionBuilder<Schema, T>) => Expression<SqlBool>
  /**
   * Conditions on columns of the listed table that the marker row must meet too (project
   * scoping, rbac.md §4): a marker outside them is not found, so it reveals nothing.
   */
  visible?: readonly ListCondition[]
}

/** A database, or a transaction with its engine: `{ engine: db.engine, kysely: trx }`. */
export type ListTarget = Pick<Database, 'engine' | 'kysely'>

// The tables and columns come from a ListSource at run time, so the builder is untyped here;
// ListSource's types check the names where the sources are written.
type AnySchema = Record<string, Record<string, unknown>>
type AnyKysely = Kysely<AnySchema>
type AnySelect = SelectQueryBuilder<AnySchema, string, Record<string, unknown>>

const MARKER = 'list_marker'

/** The listed rows of `source.table` (its own columns only), or 'marker-not-found'. */
export async function listRows<T extends TableName, J extends TableName>(
  db: ListTarget, source: ListSource<T, J>, criteria: ListCriteria<T>,
): Promise<Array<Selectable<Schema[T]>> | 'marker-not-found'> {
  const kysely = db.kysely as unknown as AnyKysely
  return await listQuery(db, source, criteria, fromSource(kysely, source).selectAll(source.table) as AnySelect) as Array<Selectable<Schema[T]>> | 'marker-not-found'
}

/**
 * The keys (`source.key`) of the listed rows, in order, or 'marker-not-found': for callers that
 * load the objects themselves, so the page's rows are not read twice.
 */
export async function listKeys<T extends TableName, J extends TableName>(
  db: ListTarget, source: ListSource<T, J>, criteria: ListCriteria<T>,
): Promise<string[] | 'marker-not-found'> {
  const kysely = db.kysely as unknown as AnyKysely
  const rows = await listQuery(db, source, criteria, fromSource(kysely, source).select(sql.ref(source.key).as('list_key')) as AnySelect)
  return rows === 'marker-not-found' ? rows : rows.map((row) => String(row.list_key))
}

/**
 * The listed rows with the columns `select` picks from the source's FROM (the table and its
 * joins), in order, or 'marker-not-found': for a resource whose objects are mostly these
 * columns, read with the page in one SELECT.
 */
export async function listSelected<T extends TableName, J extends TableName, R>(
  db: ListTarget, source: ListSource<T, J>, criteria: ListCriteria<T>,
  select: (from: SelectQueryBuilder<Schema, T | J, object>) => SelectQueryBuilder<Schema, T | J, R>,
): Promise<R[] | 'marker-not-found'> {
  const kysely = db.kysely as unknown as AnyKysely
  const from = fromSource(kysely, source) as unknown as SelectQueryBuilder<Schema, T | J, object>
  return await listQuery(db, source, criteria, select(from) as unknown as AnySelect) as R[] | 'marker-not-found'
}

async function listQuery<T extends TableName, J extends TableName>(
  db: ListTarget, source: ListSource<T, J>, criteria: ListCriteria<T>, selected: AnySelect,
): Promise<Array<Record<string, unknown>> | 'marker-not-found'> {
  const kysely = db.kysely as unknown as AnyKysely
  const value = (column: ListColumn) => sortValue(db.engine, column)
  let query = selected

  if (source.deletedColumn) query = query.where(sql.ref(source.deletedColumn), '<>', 'DELETED')
  const visible = criteria.visible ?? []
  for (const condition of [...visible, ...criteria.conditions]) query = query.where(conditionSql(condition))
  if (source.tags && criteria.tags) {
    for (const condition of tagConditions(sql.ref(source.key), criteria.tags)) query = query.where(condition)
  }
  const where = criteria.where
  if (where) query = query.where((eb) => where(eb as unknown as ExpressionBuilder<Schema, T>))

  if (criteria.marker) {
    let markerLookup = fromSource(kysely, { table: source.table }).select(sql.ref(source.key).as('key'))
      .where(sql.ref(source.key), '=', criteria.marker.key)
    for (const condition of visible) markerLookup = markerLookup.where(conditionSql(condition))
    const found = await markerLookup.executeTakeFirst()
    if (!found) return 'marker-not-found'
    const markerRow = fromSource(kysely, source)
      .select(criteria.order.map((term, i) => value(term.column).as(`m${i}`)))
      .where(sql.ref(source.key), '=', criteria.marker.key)
    query = query.innerJoin(markerRow.as(MARKER), (join) => join.onTrue())
      .where(pastMarker(criteria.order, value, criteria.marker.reverse))
  }

  for (const term of criteria.order) query = query.orderBy(value(term.column), term.direction)
  if (criteria.limit !== null) query = query.limit(criteria.limit)
  return await query.execute()
}

interface Joined { table: string; joins?: ReadonlyArray<{ table: string; on: readonly [string, string] }> }

function fromSource(kysely: AnyKysely, source: Joined): AnySelect {
  let query = kysely.selectFrom(source.table) as AnySelect
  for (const join of source.joins ?? []) query = query.leftJoin(join.table, join.on[0], join.on[1]) as AnySelect
  return query
}

/** The column as ORDER BY and the marker comparison see it (see the top of this file). */
function sortValue(engine: DatabaseEngine, column: ListColumn): RawBuilder<unknown> {
  const ref = sql.ref(column.column)
  const value = column.notNull ? sql`${ref}` : sql`coalesce(${ref}, ${nullAs(engine, column.type)})`
  return engine === 'postgresql' && column.type === 'string' ? sql`${value} collate "C"` : value
}

function nullAs(engine: DatabaseEngine, type: ListValueType): RawBuilder<unknown> {
  switch (type) {
    case 'string': return sql`''`
    case 'integer':
    case 'float': return sql`0`
    case 'boolean': return sql`false`
    case 'timestamp':
      if (engine === 'mysql') return sql`cast('1970-01-01 00:00:00' as datetime(3))`
      if (engine === 'postgresql') return sql`timestamptz '1970-01-01 00:00:00+00'`
      return sql`'1970-01-01 00:00:00.000'`
  }
}

/** (k0 > m0) or (k0 = m0 and k1 > m1) or …, with < for descending keys; flipped by reverse. */
function pastMarker(order: readonly ListOrder[], value: (column: ListColumn) => RawBuilder<unknown>, reverse: boolean): RawBuilder<SqlBool> {
  const marker = (i: number) => sql.ref(`${MARKER}.m${i}`)
  const branches = order.map((term, i) => {
    const equalBefore = order.slice(0, i).map((earlier, j) => sql`${value(earlier.column)} = ${marker(j)}`)
    const after = (term.direction === 'asc') !== reverse
    const beyond = sql`${value(term.column)} ${sql.raw(after ? '>' : '<')} ${marker(i)}`
    return sql`(${sql.join([...equalBefore, beyond], sql` and `)})`
  })
  return branches.length === 0 ? sql<SqlBool>`1 = 0` : sql<SqlBool>`(${sql.join(branches, sql` or `)})`
}

function conditionSql(condition: ListCondition): RawBuilder<SqlBool> {
  if ('nothing' in condition) return sql<SqlBool>`1 = 0`
  const ref = sql.ref(condition.column.column)
  if ('equals' in condition) return sql<SqlBool>`${ref} = ${condition.equals}`
  return sql<SqlBool>`${ref} >= ${condition.from} and ${ref} < ${condition.before}`
}

function tagConditions(key: RawBuilder<unknown>, tags: TagConditions): Array<RawBuilder<SqlBool>> {
  const among = (values: readonly string[]) =>
    sql`from ${sql.table('tags')} where ${sql.ref('tags.resource_id')} = ${key} and ${sql.ref('tags.tag')} in (${sql.join([...values])})`
  const countAmong = (values: readonly string[]) => sql`(select count(*) ${among(values)})`
  const conditions: Array<RawBuilder<SqlBool>> = []
  const { all, any, notAll, notAny } = tags
  // (resource_id, tag) is the primary key, so the count is the number of distinct tags found.
  if (all?.length) conditions.push(sql<SqlBool>`${countAmong(all)} = ${sql.lit(new Set(all).size)}`)
  if (any?.length) conditions.push(sql<SqlBool>`exists (select 1 ${among(any)})`)
  if (notAll?.length) conditions.push(sql<SqlBool>`${countAmong(notAll)} < ${sql.lit(new Set(notAll).size)}`)
  if (notAny?.length) conditions.push(sql<SqlBool>`not exists (select 1 ${among(notAny)})`)
  return conditions
}
