import { checkpoint, databaseTask } from '../task.ts'
import { loadBalancerIdOf } from './job-targets.ts'

/**
 * spec/flows.md §1.3: a failed load-balancer flow (and an amphora failover, §7.1) leaves the LB
 * ERROR. Deviation: so does any object under it still PENDING_* (a single-call create's tree),
 * which upstream leaves pending.
 */
export const loadBalancerCheckpoint = checkpoint('loadbalancer.checkpoint', async (trx, { ctx, job }) => {
  if (job.load_balancer_id !== null) await ctx.loadBalancers.markTreeError(job.load_balancer_id, trx)
})

/**
 * The end of every successful flow: the LB and every object under it left PENDING_CREATE or
 * PENDING_UPDATE become ACTIVE ("LB+L"; objects in ERROR stay so). Its transaction ends the job.
 */
export const activateLoadBalancer = databaseTask('loadbalancer.activate', async (trx, { ctx, job }) => {
  await ctx.loadBalancers.activateTree(loadBalancerIdOf(job), trx)
})

/**
 * The end of both failovers, of a load balancer and of one of its amphorae (spec/flows.md §4.4
 * step 11, §7.1 step 12): the LB and everything under it ACTIVE, children left in ERROR too.
 */
export const markFailedOverTreeActive = databaseTask('loadbalancer.mark-tree-active', async (trx, { ctx, job }) => {
  if (job.load_balancer_id !== null) await ctx.loadBalancers.markTreeActive(job.load_balancer_id, trx)
})

/**
 * spec/flows.md §4.1 step 9 (and §1.1): after a create that included listeners, every enabled
 * health monitor of a pool those listeners use is ONLINE; other operating statuses stay OFFLINE
 * until heartbeats say otherwise.
 */
export const markHealthMonitorsOnline = databaseTask('loadbalancer.mark-health-monitors-online', async (trx, { ctx, job }) => {
  // Only the LB's pools are read (one query when it has none); the flow's first tasks found the LB.
  const pools = await ctx.pools.getMany(await ctx.pools.idsOfLoadBalancer(job.target_id, trx), trx)
  const used = pools.filter((pool) => pool.listener_ids.length > 0).flatMap((pool) => pool.healthmonitor_id ?? [])
  const enabled = (await ctx.healthMonitors.getMany(used, trx)).filter((monitor) => monitor.enabled)
  for (const monitor of enabled) await ctx.healthMonitors.setOperatingStatus(monitor.id, 'ONLINE', {}, trx)
  return { online: enabled.map((monitor) => monitor.id) }
})

/** spec/flows.md §4.3 step 4 (cascade): listeners (with L7 policies and rules) and pools (with members and monitors) go. */
export const deleteLoadBalancerChildren = databaseTask('loadbalancer.delete-children', async (trx, { ctx, job }) => {
  await ctx.loadBalancers.deleteChildren(job.target_id, trx)
})

/** spec/flows.md §4.3 step 10: the row stays, DELETED, until housekeeping purges it. Its transaction ends the job. */
export const markLoadBalancerDeleted = databaseTask('loadbalancer.mark-deleted', async (trx, { ctx, job }) => {
  await ctx.loadBalancers.markDeleted(job.target_id, trx)
})
