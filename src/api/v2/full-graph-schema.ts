import { int, list, object, oneOf, type Parsed, type Schema } from '../validation/field-types.ts'
import { HEALTH_MONITOR_CREATE_FIELDS } from './health-monitor-rules.ts'
import { L7POLICY_CREATE_FIELDS } from './l7policy-rules.ts'
import { GRAPH_L7RULE_FIELDS } from './l7rule-rules.ts'
import { LISTENER_CREATE_FIELDS } from './listener-rules.ts'
import { MEMBER_FIELDS } from './member-rules.ts'
import { LB_ALGORITHMS, POOL_CREATE_FIELDS, POOL_PROTOCOLS } from './pool-rules.ts'

// The nested objects of a full-graph load balancer create (spec/api-v2.md §8.3): each resource's
// create fields without ids, parents or owner (a child belongs to its LB's project, §3.5).

/** `schema` without `keys`, the remaining fields in their declaration order (the order errors are found in). */
function omitFields<const S extends Schema, const K extends keyof S & string>(schema: S, keys: readonly K[]): Omit<S, K> {
  return Object.fromEntries(Object.entries(schema).filter(([key]) => !(keys as readonly string[]).includes(key))) as Omit<S, K>
}

export const GRAPH_HEALTH_MONITOR_FIELDS = omitFields(HEALTH_MONITOR_CREATE_FIELDS, ['pool_id', 'project_id', 'tenant_id'])

export const GRAPH_MEMBER_FIELDS = omitFields(MEMBER_FIELDS, ['project_id', 'tenant_id'])

// Spread-then-override keeps each overridden field at its original position.
export const GRAPH_POOL_FIELDS = {
  ...omitFields(POOL_CREATE_FIELDS, ['listener_id', 'loadbalancer_id', 'project_id', 'tenant_id']),
  // Not type-mandatory: a pool that only names another one is a reference (full-graph-plan.ts).
  protocol: { type: oneOf(POOL_PROTOCOLS) },
  lb_algorithm: { type: oneOf(LB_ALGORITHMS) },
  healthmonitor: { type: object(GRAPH_HEALTH_MONITOR_FIELDS) },
  members: { type: list(object(GRAPH_MEMBER_FIELDS)) },
} as const

// spec/api-v2.md §8.3: a policy names its pool by a pool object (`redirect_pool`), never by id.
export const GRAPH_L7POLICY_FIELDS = {
  ...omitFields(L7POLICY_CREATE_FIELDS, ['listener_id', 'redirect_pool_id', 'project_id', 'tenant_id']),
  rules: { type: list(object(GRAPH_L7RULE_FIELDS)) },
  redirect_pool: { type: object(GRAPH_POOL_FIELDS) },
} as const

export const GRAPH_LISTENER_FIELDS = {
  ...omitFields(LISTENER_CREATE_FIELDS, ['loadbalancer_id', 'project_id', 'tenant_id']),
  // spec/api-v2.md §8.3: no lower bound here.
  hsts_max_age: { type: int() },
  default_pool: { type: object(GRAPH_POOL_FIELDS) },
  l7policies: { type: list(object(GRAPH_L7POLICY_FIELDS)) },
} as const

export type GraphListener = Parsed<typeof GRAPH_LISTENER_FIELDS>
export type GraphPool = Parsed<typeof GRAPH_POOL_FIELDS>
export type GraphL7Policy = Parsed<typeof GRAPH_L7POLICY_FIELDS>
