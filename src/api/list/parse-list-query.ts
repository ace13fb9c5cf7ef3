import { InvalidInput } from '../../common/errors.ts'
import type { ListCondition, ListOrder, TagConditions } from '../../db/list-rows.ts'
import type { ListLinkParams } from './list-links.ts'
import type { ListAttribute, ListSpec } from './list-spec.ts'

/** The api_settings options that shape lists, under their config names (config.api_settings fits). */
export interface ListSettings {
  /** A number < 1 means no maximum, like 'infinite'. */
  pagination_max_limit: number | 'infinite'
  allow_pagination: boolean
  allow_sorting: boolean
  allow_filtering: boolean
  allow_field_selection: boolean
}

/** A query string ('a=1&b=2', leading '?' allowed) or a parsed one (Fastify's req.query). */
export type RawQuery = string | URLSearchParams | Readonly<Record<string, string | readonly string[] | undefined>>

/** A validated list request: what runList runs and selectFields applies. */
export interface ListQuery {
  /** Rows per page; null = no limit. */
  limit: number | null
  /** The marker as given; undefined when absent or pagination is disabled. */
  marker: string | undefined
  /** page_reverse=True (spec/api-v2.md §5.2 quirk). */
  pageReverse: boolean
  /** Requested sort terms, then the spec's default order, then the key. */
  order: ListOrder[]
  /** Filters, ANDed. */
  conditions: ListCondition[]
  tags: TagConditions
  /** The `fields` values; undefined = every field. */
  fields: string[] | undefined
  /** What the page's links repeat; null when pagination is disabled (no links key). */
  links: ListLinkParams | null
}

type Direction = ListOrder['direction']

const RESERVED = new Set(['limit', 'marker', 'page_reverse', 'sort', 'sort_key', 'sort_dir', 'fields'])
const TAG_PARAMS = { 'tags': 'all', 'tags-any': 'any', 'not-tags': 'notAll', 'not-tags-any': 'notAny' } as const
// oslo strutils.bool_from_string: anything else is false (spec/api-v2.md §5.4).
const TRUE_STRINGS = new Set(['1', 't', 'true', 'on', 'y', 'yes'])
const INVALID_ARGUMENTS = 'One or more arguments are either duplicate or invalid'
const NOTHING: ListCondition = { nothing: true }

/**
 * Validates every list parameter of spec/api-v2.md §5, in upstream's order: limit, sort syntax
 * and directions, filters, sort keys (the marker is checked by runList). Throws InvalidInput
 * with upstream's messages. Deviations (§18): a filter or a single-valued reserved parameter
 * given twice is a 400 (upstream: 500). A filter value that no row can hold (a non-integer for
 * an integer attribute, an unparsable timestamp) matches nothing instead of failing.
 * Timestamp filters match the whole second the API renders (`2024-05-06T07:08:09`).
 */
export function parseListQuery(raw: RawQuery, spec: ListSpec, settings: ListSettings): ListQuery {
  const params = toParams(raw)
  const limit = parseLimit(single(params, 'limit'), settings.pagination_max_limit)
  const requested = parseSort(params)
  const { conditions, tags } = settings.allow_filtering ? parseFilters(params, spec) : { conditions: [], tags: {} }
  const order = orderOf(spec, settings.allow_sorting ? requested : [])
  const marker = single(params, 'marker')
  const pageReverse = single(params, 'page_reverse') === 'True'
  const sort = single(params, 'sort') || undefined
  const sortKey = single(params, 'sort_key') || undefined
  const paginate = settings.allow_pagination
  return {
    limit: paginate ? limit : null,
    marker: paginate ? marker : undefined,
    pageReverse: paginate && pageReverse,
    order,
    conditions,
    tags,
    fields: settings.allow_field_selection ? params.get('fields') : undefined,
    links: paginate ? { limit, ...(sort && { sort }), ...(sortKey && { sort_key: sortKey }) } : null,
  }
}

function toParams(raw: RawQuery): Map<string, string[]> {
  const params = new Map<string, string[]>()
  const add = (name: string, value: string) => {
    const values = params.get(name)
    if (values) values.push(value)
    else params.set(name, [value])
  }
  const search = typeof raw === 'string' ? new URLSearchParams(raw.startsWith('?') ? raw.slice(1) : raw) : raw
  if (search instanceof URLSearchParams) {
    for (const [name, value] of search) add(name, value)
  } else {
    for (const [name, value] of Object.entries(search)) {
      if (typeof value === 'string') add(name, value)
      else for (const item of value ?? []) add(name, item)
    }
  }
  return params
}

function single(params: Map<string, string[]>, name: string): string | undefined {
  const values = params.get(name)
  if (values && values.length > 1) throw new InvalidInput(INVALID_ARGUMENTS)
  return values?.[0]
}

/** spec/api-v2.md §5.2: absent → max; 'infinite' or < 1 → unlimited; else min(limit, max). */
function parseLimit(given: string | undefined, max: ListSettings['pagination_max_limit']): number | null {
  const ceiling = max === 'infinite' || max < 1 ? null : max
  if (given === undefined) return ceiling
  if (given === 'infinite') return null
  const limit = pythonInt(given)
  if (limit === undefined) throw new InvalidInput(`Supplied pagination limit '${given}' is not valid.`)
  // Beyond 2^53 a page cannot be told from "all of it".
  if (limit < 1 || !Number.isSafeInteger(limit)) return null
  return ceiling === null ? limit : Math.min(limit, ceiling)
}

/** `sort=k1[:dir],…`, else `sort_key=k1,k2` with `sort_dir=d1,d2` (spec/api-v2.md §5.3). */
function parseSort(params: Map<string, string[]>): Array<{ key: string; direction: Direction }> {
  const sort = single(params, 'sort')
  if (sort) {
    return sort.split(',').map((element) => {
      const [key = '', direction, ...extra] = element.split(':')
      // Upstream formats the split list itself into the message: '['a', 'asc', 'b']'.
      if (extra.length > 0) throw new InvalidInput(`Supplied sort key '${pythonListRepr(element.split(':'))}' is not valid.`)
      return { key, direction: parseDirection(direction ?? 'asc') }
    })
  }
  const sortKey = single(params, 'sort_key')
  if (!sortKey) return []
  const sortDir = single(params, 'sort_dir')
  const directions = sortDir ? sortDir.split(',') : []
  // Missing directions are asc; extra ones are ignored, unchecked.
  return sortKey.split(',').map((key, i) => ({ key, direction: parseDirection(directions[i] ?? 'asc') }))
}

function parseDirection(given: string): Direction {
  const direction = given.toLowerCase()
  if (direction !== 'asc' && direction !== 'desc') throw new InvalidInput(`Supplied sort direction '${direction}' is not valid.`)
  return direction
}

function parseFilters(params: Map<string, string[]>, spec: ListSpec): { conditions: ListCondition[]; tags: TagConditions } {
  const conditions: ListCondition[] = []
  const tags: { -readonly [K in keyof TagConditions]: string[] } = {}
  for (const [name, values] of params) {
    if (RESERVED.has(name)) continue
    const tagKind = spec.tags && Object.hasOwn(TAG_PARAMS, name) ? TAG_PARAMS[name as keyof typeof TAG_PARAMS] : undefined
    if (tagKind) {
      // Repeated and comma-separated values merge into one set (spec/api-v2.md §5.5).
      tags[tagKind] = [...tags[tagKind] ?? [], ...values.flatMap((value) => value.split(','))]
      continue
    }
    const attribute = attributeOf(spec, name)
    const value = values.length === 1 ? values[0] : undefined
    if (!attribute || attribute.filter === false || value === undefined) throw new InvalidInput(INVALID_ARGUMENTS)
    conditions.push(conditionFor(attribute, value))
  }
  return { conditions, tags }
}

function conditionFor(column: ListAttribute, value: string): ListCondition {
  switch (column.type) {
    case 'string':
      return { column, equals: value }
    case 'boolean':
      return { column, equals: TRUE_STRINGS.has(value.trim().toLowerCase()) }
    case 'integer': {
      const number = pythonInt(value)
      return number !== undefined && Number.isSafeInteger(number) ? { column, equals: number } : NOTHING
    }
    case 'float': {
      const number = value.trim() === '' ? NaN : Number(value)
      return Number.isFinite(number) ? { column, equals: number } : NOTHING
    }
    case 'timestamp': {
      const from = parseSecond(value)
      return from ? { column, from, before: new Date(from.getTime() + 1000) } : NOTHING
    }
  }
}

/** Requested terms, then the default order (unless requested), then the key (spec/api-v2.md §5.3). */
function orderOf(spec: ListSpec, requested: ReadonlyArray<{ key: string; direction: Direction }>): ListOrder[] {
  const order: ListOrder[] = requested.map(({ key, direction }) => {
    const attribute = attributeOf(spec, key)
    if (!attribute || attribute.sort === false) throw new InvalidInput(`Supplied sort key '${key}' is not valid.`)
    return { column: attribute, direction }
  })
  const requestedKeys = new Set(requested.map((term) => term.key))
  for (const key of spec.defaultOrder) {
    const attribute = attributeOf(spec, key)
    if (!attribute) throw new Error(`list spec ${spec.collection}: default order names unknown attribute ${key}`)
    if (!requestedKeys.has(key)) order.push({ column: attribute, direction: 'asc' })
  }
  // A unique last term makes "after the marker" well defined.
  if (!order.some((term) => term.column.column === spec.key)) {
    order.push({ column: { column: spec.key, type: 'string', notNull: true }, direction: 'asc' })
  }
  return order
}

function attributeOf(spec: ListSpec, name: string): ListAttribute | undefined {
  return Object.hasOwn(spec.attributes, name) ? spec.attributes[name] : undefined
}

/** Python's int(str): surrounding whitespace, a sign, digits with single underscores between. */
function pythonInt(text: string): number | undefined {
  return /^\s*[+-]?\d+(?:_\d+)*\s*$/.test(text) ? Number(text.trim().replaceAll('_', '')) : undefined
}

/** `YYYY-MM-DD[T ]HH:MM:SS[.fff][Z|±00:00]` as UTC, truncated to the second. */
function parseSecond(text: string): Date | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:Z|[+-]00:?00)?$/.exec(text.trim())
  if (!match) return undefined
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number) as [number, number, number, number, number, number]
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second))
  const roundTrips = date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day &&
    date.getUTCHours() === hour && date.getUTCMinutes() === minute && date.getUTCSeconds() === second
  return roundTrips ? date : undefined
}

/** Python's repr of a list of strings: ['a', "it's"]. */
function pythonListRepr(items: readonly string[]): string {
  return `[${items.map(pythonStrRepr).join(', ')}]`
}

function pythonStrRepr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'"
  const escaped = text.replace(/[\\\n\r\t]/g, (c) => ({ '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' })[c] ?? c)
  return quote + (quote === "'" ? escaped.replaceAll("'", "\\'") : escaped) + quote
}
