import { listenersUsingPool } from '../../db/repositories/pool-usage.ts'
import { PoolRepository } from '../../db/repositories/pool-repository.ts'
import type { Flow, FlowContext } from '../flow.ts'
import { step } from '../flow.ts'

// Pool flows as the noop provider (and, until its data plane exists, the amphora provider) runs
// them: the status transitions of spec/flows.md §6.1 without a configuration push.

const pools = (ctx: FlowContext) => new PoolRepository(ctx.db, ctx.clock)

function loadBalancerIdOf(job: { load_balancer_id: string | null; target_id: string }): string {
  if (job.load_balancer_id === null) throw new Error(`pool job for ${job.target_id} names no load balancer`)
  return job.load_balancer_id
}

/** spec/flows.md §1.3: the pool goes ERROR, its listeners and load balancer back to ACTIVE. */
const markPoolError: Flow['onFailure'] = async (ctx, job) => {
  const repository = pools(ctx)
  await repository.setProvisioningStatus(job.target_id, 'ERROR')
  const listeners = await listenersUsingPool(ctx.db.kysely, job.target_id)
  await repository.setListenersProvisioningStatus(listeners, 'ACTIVE', { from: 'PENDING_UPDATE' })
  if (job.load_balancer_id !== null) await ctx.loadBalancers.setProvisioningStatus(job.load_balancer_id, 'ACTIVE', { from: 'PENDING_UPDATE' })
}

// Every PENDING_CREATE/UPDATE object under the LB (the pool, its listeners, the LB) goes ACTIVE.
const activate = step('loadbalancer.activate', async (ctx, job) => ctx.loadBalancers.activateTree(loadBalancerIdOf(job)))

export const createPool: Flow = { kind: 'pool.create', steps: [activate], onFailure: markPoolError }

// The API already wrote the new values with PENDING_UPDATE (spec/api-v2.md §6.2).
export const updatePool: Flow = { kind: 'pool.update', steps: [activate], onFailure: markPoolError }

export const deletePool: Flow = {
  kind: 'pool.delete',
  steps: [
    // Members, health monitor, session persistence and tags go with it; listeners lose it as default pool.
    step('pool.delete', async (ctx, job) => ({ deleted: await pools(ctx).delete(job.target_id) })),
    activate,
  ],
  onFailure: markPoolError,
}

export const POOL_FLOWS = [createPool, updatePool, deletePool] as const
