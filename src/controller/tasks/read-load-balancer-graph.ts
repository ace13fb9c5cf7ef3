import type { LoadBalancerGraph } from '../../amphora/load-balancer-graph.ts'
import type { Executor } from '../../db/database.ts'
import type { FlowContext } from '../flow-context.ts'

type Repositories = Pick<FlowContext, 'loadBalancers' | 'listeners' | 'pools' | 'members' | 'healthMonitors' | 'l7policies' | 'l7rules'>

/**
 * A load balancer with everything below it, as the HAProxy renderer takes it: one batch read
 * per kind of object. Null when the load balancer is gone.
 */
export async function readLoadBalancerGraph(repos: Repositories, loadBalancerId: string, executor?: Executor): Promise<LoadBalancerGraph | null> {
  const [lb] = await repos.loadBalancers.getMany([loadBalancerId], executor)
  if (lb === undefined) return null
  const [listeners, pools] = await Promise.all([repos.listeners.getMany(lb.listener_ids, executor), repos.pools.getMany(lb.pool_ids, executor)])
  const [members, monitors, policies] = await Promise.all([
    repos.members.getMany(pools.flatMap((p) => p.member_ids), executor),
    repos.healthMonitors.getMany(pools.flatMap((p) => (p.healthmonitor_id === null ? [] : [p.healthmonitor_id])), executor),
    repos.l7policies.getMany(listeners.flatMap((l) => l.l7policy_ids), executor),
  ])
  const rules = await repos.l7rules.getMany(policies.flatMap((p) => p.rule_ids), executor)
  return {
    loadbalancer: lb,
    listeners: listeners.map((listener) => ({
      ...listener,
      l7policies: policies.filter((p) => p.listener_id === listener.id).map((policy) => ({
        ...policy,
        rules: rules.filter((r) => r.l7policy_id === policy.id),
      })),
    })),
    pools: pools.map((pool) => ({
      ...pool,
      members: members.filter((m) => m.pool_id === pool.id),
      healthmonitor: monitors.find((hm) => hm.pool_id === pool.id) ?? null,
    })),
  }
}
