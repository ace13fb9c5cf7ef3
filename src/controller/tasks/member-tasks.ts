import { checkpoint, databaseTask } from '../task.ts'
import { loadBalancerIdOf, poolIdOf } from './job-targets.ts'
import { releasePoolParents } from './pool-tasks.ts'

/** spec/flows.md §6.2: the member ERROR; its pool, the pool's listeners and the LB back to ACTIVE. */
export const memberCheckpoint = checkpoint('member.checkpoint', async (trx, { ctx, job }) => {
  await ctx.members.setProvisioningStatus(job.target_id, 'ERROR', {}, trx)
  await releasePoolParents(trx, ctx, poolIdOf(job), loadBalancerIdOf(job), true)
})

/**
 * spec/flows.md §6.3 step 1: the members of the batch (created, updated, removed: the pool's
 * PENDING_* members, since the locked LB admits no other change) ERROR; the parents ACTIVE.
 */
export const memberBatchCheckpoint = checkpoint('member.batch-checkpoint', async (trx, { ctx, job }) => {
  const poolId = poolIdOf(job)
  await ctx.members.setPoolMembersProvisioningStatus(poolId, 'ERROR', ['PENDING_CREATE', 'PENDING_UPDATE', 'PENDING_DELETE'], trx)
  await releasePoolParents(trx, ctx, poolId, loadBalancerIdOf(job), true)
})

/** spec/flows.md §6.2 (delete): the member row and its tags go. */
export const deleteMember = databaseTask('member.delete', async (trx, { ctx, job }) => ({
  deleted: await ctx.members.delete(job.target_id, trx),
}))

/** spec/flows.md §6.3 step 1: the members the batch removes go before the configuration push. */
export const deleteRemovedMembers = databaseTask('member.delete-removed', async (trx, { ctx, job }) => ({
  deleted: await ctx.members.deletePendingDeletes(poolIdOf(job), trx),
}))
