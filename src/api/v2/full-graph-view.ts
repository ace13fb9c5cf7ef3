import type { HealthMonitor } from '../../db/repositories/health-monitor-repository.ts'
import type { L7Policy } from '../../db/repositories/l7policy-repository.ts'
import type { L7Rule } from '../../db/repositories/l7rule-repository.ts'
import type { Listener } from '../../db/repositories/listener-repository.ts'
import type { LoadBalancer } from '../../db/repositories/load-balancer-repository.ts'
import type { Member } from '../../db/repositories/member-repository.ts'
import type { Pool } from '../../db/repositories/pool-repository.ts'
import { renderHealthMonitor } from './health-monitor-view.ts'
import { renderL7Policy } from './l7policy-view.ts'
import { renderL7Rule } from './l7rule-view.ts'
import { renderListener } from './listener-view.ts'
import { renderLoadBalancer } from './load-balancer-view.ts'
import { renderMember } from './member-view.ts'
import { renderPool } from './pool-view.ts'

/** A created pool with its monitor and members, members in creation order. */
export interface PoolGraph {
  pool: Pool
  healthmonitor: HealthMonitor | null
  members: Member[]
}

/** The created listeners with the L7 policies and rules made for them. */
export interface ListenerGraph {
  listeners: readonly Listener[]
  l7policies: readonly L7Policy[]
  l7rules: readonly L7Rule[]
}

/**
 * The 201 of a load balancer create (spec/api-v2.md §8.2, §8.3, §17): the LB with its listeners
 * and pools fully rendered instead of id-only. Nested objects carry no `loadbalancers` key; a
 * listener shows its full `l7policies` (in position order) with their full `rules`; a pool shows
 * its full `healthmonitor` (without `pools`) or null instead of `healthmonitor_id`, and full
 * `members`. A plain create shows empty lists.
 */
export function renderFullLoadBalancer(lb: LoadBalancer, graph: ListenerGraph, pools: readonly PoolGraph[]) {
  const policyById = new Map(graph.l7policies.map((p) => [p.id, p]))
  const ruleById = new Map(graph.l7rules.map((r) => [r.id, r]))
  const renderPolicy = (policy: L7Policy) => ({
    ...renderL7Policy(policy),
    rules: policy.rule_ids.flatMap((id) => ruleById.get(id) ?? []).map(renderL7Rule),
  })
  return {
    ...renderLoadBalancer(lb),
    listeners: graph.listeners.map((listener) => {
      const { loadbalancers: _loadbalancers, ...rendered } = renderListener(listener)
      return { ...rendered, l7policies: listener.l7policy_ids.flatMap((id) => policyById.get(id) ?? []).map(renderPolicy) }
    }),
    pools: pools.map(renderGraphPool),
  }
}

function renderGraphPool({ pool, healthmonitor, members }: PoolGraph) {
  const { loadbalancers: _loadbalancers, healthmonitor_id: _healthmonitorId, ...rendered } = renderPool(pool)
  return {
    ...rendered,
    members: members.map(renderMember),
    healthmonitor: healthmonitor === null ? null : renderGraphHealthMonitor(healthmonitor),
  }
}

function renderGraphHealthMonitor(monitor: HealthMonitor) {
  const { pools: _pools, ...rendered } = renderHealthMonitor(monitor)
  return rendered
}
