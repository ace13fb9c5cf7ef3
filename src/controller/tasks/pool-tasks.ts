import type { Transaction } from '../../db/database.ts'
import type { Schema } from '../../db/schema.ts'
import type { FlowContext } from '../flow-context.ts'
import { checkpoint, databaseTask } from '../task.ts'
import { loadBalancerIdOf } from './job-targets.ts'

const PENDING = ['PENDING_CREATE', 'PENDING_UPDATE'] as const

/**
 * spec/flows.md §1.3: the parents of a pool change go back to ACTIVE: the pool itself (for member
 * and monitor changes), the listeners using it, the LB. Objects already in ERROR stay so.
 */
export async function releasePoolParents(trx: Transaction<Schema>, ctx: FlowContext, poolId: string, lbId: string, withPool: boolean): Promise<void> {
  if (withPool) await ctx.pools.setProvisioningStatus(poolId, 'ACTIVE', { from: PENDING }, trx)
  await ctx.pools.setListenersProvisioningStatus(await ctx.pools.listenersUsing(poolId, trx), 'ACTIVE', { from: PENDING }, trx)
  await ctx.loadBalancers.setProvisioningStatus(lbId, 'ACTIVE', { from: 'PENDING_UPDATE' }, trx)
}

/** spec/flows.md §6.1: the pool ERROR, its listeners and the LB back to ACTIVE. */
export const poolCheckpoint = checkpoint('pool.checkpoint', async (trx, { ctx, job }) => {
  await ctx.pools.setProvisioningStatus(job.target_id, 'ERROR', {}, trx)
  await releasePoolParents(trx, ctx, job.target_id, loadBalancerIdOf(job), false)
})

/** spec/flows.md §6.1 (delete): members, health monitor, session persistence and tags go with it; listeners lose it as default pool. */
export const deletePool = databaseTask('pool.delete', async (trx, { ctx, job }) => ({
  deleted: await ctx.pools.delete(job.target_id, trx),
}))
