import { PermanentError } from '../permanent-error.ts'
import { checkpoint, databaseTask } from '../task.ts'
import { loadBalancerIdOf, poolIdOf } from './job-targets.ts'
import { releasePoolParents } from './pool-tasks.ts'

/** spec/flows.md §6.4: the monitor ERROR; its pool, the pool's listeners and the LB back to ACTIVE. */
export const healthMonitorCheckpoint = checkpoint('healthmonitor.checkpoint', async (trx, { ctx, job }) => {
  await ctx.healthMonitors.setProvisioningStatus(job.target_id, 'ERROR', {}, trx)
  await releasePoolParents(trx, ctx, poolIdOf(job), loadBalancerIdOf(job), true)
})

/** spec/flows.md §6.4: a created or updated monitor is ONLINE when enabled, else OFFLINE. */
export const setHealthMonitorOperatingStatus = databaseTask('healthmonitor.set-operating-status', async (trx, { ctx, job }) => {
  const monitor = await ctx.healthMonitors.get(job.target_id, trx)
  if (!monitor) throw new PermanentError(`health monitor ${job.target_id} not found`)
  const status = monitor.enabled ? 'ONLINE' : 'OFFLINE'
  await ctx.healthMonitors.setOperatingStatus(job.target_id, status, {}, trx)
  return { operating_status: status }
})

/** spec/flows.md §6.4 (delete): the monitor row and its tags go. */
export const deleteHealthMonitor = databaseTask('healthmonitor.delete', async (trx, { ctx, job }) => ({
  deleted: await ctx.healthMonitors.delete(job.target_id, trx),
}))

/** spec/flows.md §6.4 (delete): without a monitor nobody reports on the members. */
export const setMembersNoMonitor = databaseTask('member.set-no-monitor', async (trx, { ctx, job }) => ({
  members: await ctx.members.setPoolMembersOperatingStatus(poolIdOf(job), 'NO_MONITOR', trx),
}))
