import type { ListColumn, ListSource } from '../../db/list-rows.ts'
import type { ScopedListResource } from '../access/access.ts'
import type { TableName } from '../../db/schema.ts'

/** An attribute a list can filter and sort on, by its API name (spec/api-v2.md §5.3, §5.4). */
export interface ListAttribute<TB extends TableName = TableName> extends ListColumn<TB> {
  /** Default true. */
  filter?: boolean
  /** Default true. */
  sort?: boolean
}

/**
 * How a collection is listed: its table (and to-one joins), its API attributes with their
 * storage columns, and its default order. One data table per resource, no code.
 */
export interface ListSpec<T extends TableName = TableName, J extends TableName = TableName> extends ListSource<T, J> {
  /** Response key of the list, e.g. 'loadbalancers'. */
  collection: string
  /** Default `<collection>_links`; flavor profiles say 'flavorprofile_links' (spec/api-v2.md §1.2). */
  linksKey?: string
  /**
   * Stored scalar attributes by API name. Anything else (list-valued attributes, unknown
   * names) is refused as a filter and as a sort key. NoInfer: the tables come from `table`
   * and `joins` only, so a column of any other table does not compile.
   */
  attributes: NoInfer<Readonly<Record<string, ListAttribute<T | J>>>>
  /** API names sorted on after the requested keys (ascending); the key column always comes last. */
  defaultOrder: readonly string[]
  /**
   * rbac.md §4: a project-owned collection listed at the top level, scoped by the policies
   * `<scope>:get_all-global` and `<scope>:get_all` (the list engine applies them). Nested lists
   * (members, L7 rules) and the catalogues have none: their routes check their own policy.
   */
  scope?: ScopedListResource
}

/** Checks a spec's table and column names against the schema; J is inferred from `joins`. */
export function defineListSpec<T extends TableName, J extends TableName = never>(spec: ListSpec<T, J>): ListSpec<T, J> {
  return spec
}

export function linksKeyOf(spec: Pick<ListSpec, 'collection' | 'linksKey'>): string {
  return spec.linksKey ?? `${spec.collection}_links`
}
