import type { HealthMonitor } from '../../db/repositories/health-monitor-repository.ts'
import type { Listener } from '../../db/repositories/listener-repository.ts'
import type { LoadBalancer } from '../../db/repositories/load-balancer-repository.ts'
import type { Member } from '../../db/repositories/member-repository.ts'
import type { Pool } from '../../db/repositories/pool-repository.ts'
import { renderHealthMonitor } from './health-monitor-view.ts'
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

/**
 * The 201 of a load balancer create (spec/api-v2.md §8.2, §8.3, §17): the LB with its listeners
 * and pools fully rendered instead of id-only. Nested objects carry no `loadbalancers` key; a
 * pool shows its full `healthmonitor` (without `pools`) or null instead of `healthmonitor_id`,
 * and full `members`. A plain create shows empty lists.
 */
export function renderFullLoadBalancer(lb: LoadBalancer, listeners: readonly Listener[], pools: readonly PoolGraph[]) {
  return {
    ...renderLoadBalancer(lb),
    listeners: listeners.map(renderGraphListener),
    pools: pools.map(renderGraphPool),
  }
}

function renderGraphListener(listener: Listener) {
  const { loadbalancers: _loadbalancers, ...rendered } = renderListener(listener)
  // A full-graph create makes no L7 policies yet (refused with 501, full-graph-plan.ts), so there are none to expand.
  return { ...rendered, l7policies: [] }
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
