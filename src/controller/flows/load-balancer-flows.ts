import { HealthMonitorRepository } from '../../db/repositories/health-monitor-repository.ts'
import { PoolRepository } from '../../db/repositories/pool-repository.ts'
import type { Flow } from '../flow.ts'
import { step } from '../flow.ts'

// Load-balancer flows as the noop provider (and, until its data plane exists, the amphora
// provider) runs them: the status transitions of spec/flows.md without amphorae.

const markLoadBalancerError: Flow['onFailure'] = async (ctx, job) => {
  await ctx.loadBalancers.setProvisioningStatus(job.target_id, 'ERROR')
}

/**
 * spec/flows.md §4.1 step 9 (and §1.1): after a create that included listeners, every enabled
 * health monitor of a pool those listeners use is ONLINE; other operating statuses stay OFFLINE
 * until heartbeats say otherwise.
 */
const markHealthMonitorsOnline = step('loadbalancer.mark-health-monitors-online', async (ctx, job) => {
  const lb = await ctx.loadBalancers.get(job.target_id)
  if (!lb) throw new Error(`load balancer ${job.target_id} not found`)
  const pools = await new PoolRepository(ctx.db, ctx.clock).getMany(lb.pool_ids)
  const monitors = new HealthMonitorRepository(ctx.db, ctx.clock)
  const used = pools.filter((pool) => pool.listener_ids.length > 0).flatMap((pool) => pool.healthmonitor_id ?? [])
  const enabled = (await monitors.getMany(used)).filter((monitor) => monitor.enabled)
  for (const monitor of enabled) await monitors.setOperatingStatus(monitor.id, 'ONLINE')
  return { online: enabled.map((monitor) => monitor.id) }
})

export const createLoadBalancer: Flow = {
  kind: 'loadbalancer.create',
  steps: [
    markHealthMonitorsOnline,
    // The whole tree of a single-call create goes ACTIVE with its LB.
    step('loadbalancer.activate', async (ctx, job) => ctx.loadBalancers.activateTree(job.target_id)),
  ],
  onFailure: markLoadBalancerError,
}

export const updateLoadBalancer: Flow = {
  kind: 'loadbalancer.update',
  steps: [step('loadbalancer.activate', async (ctx, job) => ctx.loadBalancers.activateTree(job.target_id))],
  onFailure: markLoadBalancerError,
}

export const deleteLoadBalancer: Flow = {
  kind: 'loadbalancer.delete',
  steps: [
    step('loadbalancer.delete-children', async (ctx, job) => ctx.loadBalancers.deleteChildren(job.target_id)),
    step('network.release-vip', async (ctx, job) => ({ released: await ctx.ports.releaseByDevice(job.target_id) })),
    step('loadbalancer.mark-deleted', async (ctx, job) => void (await ctx.loadBalancers.markDeleted(job.target_id))),
  ],
  onFailure: markLoadBalancerError,
}

/**
 * The last step of both failovers, of a load balancer and of one of its amphorae (spec/flows.md
 * §4.4 step 11, §7.1 step 12): the LB and everything under it ACTIVE, children left in ERROR too.
 */
export const markFailedOverTreeActive = step('loadbalancer.activate', async (ctx, job) => {
  if (job.load_balancer_id) await ctx.loadBalancers.markTreeActive(job.load_balancer_id)
})

export const failoverLoadBalancer: Flow = {
  kind: 'loadbalancer.failover',
  // Without amphorae there is nothing to rebuild; the amphora provider adds those steps before this one.
  steps: [markFailedOverTreeActive],
  onFailure: markLoadBalancerError,
}

export const LOAD_BALANCER_FLOWS = [createLoadBalancer, updateLoadBalancer, deleteLoadBalancer, failoverLoadBalancer] as const
