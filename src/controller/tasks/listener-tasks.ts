import { checkpoint, databaseTask } from '../task.ts'
import { loadBalancerIdOf } from './job-targets.ts'

/**
 * spec/flows.md §5 step 1 (create): upstream passes every listener of the LB to the create
 * flow, so a failed create leaves all of them ERROR; the LB goes back to ACTIVE.
 */
export const listenerCreateCheckpoint = checkpoint('listener.checkpoint', async (trx, { ctx, job }) => {
  const lbId = loadBalancerIdOf(job)
  const lb = await ctx.loadBalancers.get(lbId, trx)
  for (const id of lb?.listener_ids ?? [job.target_id]) await ctx.listeners.setProvisioningStatus(id, 'ERROR', {}, trx)
  await ctx.loadBalancers.setProvisioningStatus(lbId, 'ACTIVE', { from: 'PENDING_UPDATE' }, trx)
})

/** spec/flows.md §5 step 1 (update, delete): the listener ERROR, the LB back to ACTIVE. */
export const listenerCheckpoint = checkpoint('listener.checkpoint', async (trx, { ctx, job }) => {
  await ctx.listeners.setProvisioningStatus(job.target_id, 'ERROR', {}, trx)
  await ctx.loadBalancers.setProvisioningStatus(loadBalancerIdOf(job), 'ACTIVE', { from: 'PENDING_UPDATE' }, trx)
})

/** spec/flows.md §5 step 4 (delete): its L7 policies and rules, SNI and CIDR rows and tags go with it; its default pool stays. */
export const deleteListener = databaseTask('listener.delete', async (trx, { ctx, job }) => ({
  deleted: await ctx.listeners.delete(job.target_id, trx),
}))
