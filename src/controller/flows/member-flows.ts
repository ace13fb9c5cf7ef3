import type { Job } from '../../db/repositories/job-repository.ts'
import { MemberRepository } from '../../db/repositories/member-repository.ts'
import { PoolRepository } from '../../db/repositories/pool-repository.ts'
import type { Flow, FlowContext } from '../flow.ts'
import { step } from '../flow.ts'

// Member flows as the noop provider (and, until its data plane exists, the amphora provider)
// runs them: the status transitions of spec/flows.md §6.2 and §6.3 without amphorae.

function members(ctx: FlowContext): MemberRepository {
  return new MemberRepository(ctx.db, ctx.clock)
}

/** The pool a member or health monitor job was queued for (the API puts it in the payload). */
export function poolIdOf(job: Job): string {
  const payload = job.payload
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload) || typeof payload.pool_id !== 'string') {
    throw new Error(`job ${job.id} (${job.kind}) has no pool_id in its payload`)
  }
  return payload.pool_id
}

/** spec/flows.md §1.3: the parents go back to ACTIVE (the LB, the pool, its listeners unless in ERROR). */
export async function releaseParents(ctx: FlowContext, job: Job): Promise<void> {
  const pools = new PoolRepository(ctx.db, ctx.clock)
  const poolId = poolIdOf(job)
  const pending = ['PENDING_CREATE', 'PENDING_UPDATE'] as const
  await pools.setProvisioningStatus(poolId, 'ACTIVE', { from: pending })
  await pools.setListenersProvisioningStatus(await pools.listenersUsing(poolId), 'ACTIVE', { from: pending })
  if (job.load_balancer_id) await ctx.loadBalancers.setProvisioningStatus(job.load_balancer_id, 'ACTIVE')
}

/** A failed single-member flow: the member ERROR, its parents ACTIVE. */
const markMemberError: Flow['onFailure'] = async (ctx, job) => {
  await members(ctx).setProvisioningStatus(job.target_id, 'ERROR')
  await releaseParents(ctx, job)
}

/** Everything under the LB that the change left PENDING_CREATE/UPDATE becomes ACTIVE (the target, pool, listeners, LB). */
export const activate = step('loadbalancer.activate', async (ctx, job) => {
  if (!job.load_balancer_id) throw new Error(`job ${job.id} (${job.kind}) has no load balancer`)
  await ctx.loadBalancers.activateTree(job.load_balancer_id)
})

export const createMember: Flow = { kind: 'member.create', steps: [activate], onFailure: markMemberError }

export const updateMember: Flow = { kind: 'member.update', steps: [activate], onFailure: markMemberError }

export const deleteMember: Flow = {
  kind: 'member.delete',
  steps: [
    step('member.delete', async (ctx, job) => ({ deleted: await members(ctx).delete(job.target_id) })),
    activate,
  ],
  onFailure: markMemberError,
}

/** spec/flows.md §6.3: removed members are deleted first, then new and changed ones go ACTIVE with their parents. */
export const batchUpdateMembers: Flow = {
  kind: 'member.batch_update',
  steps: [
    step('member.delete-removed', async (ctx, job) => ({ deleted: await members(ctx).deletePendingDeletes(poolIdOf(job)) })),
    activate,
  ],
  onFailure: async (ctx, job) => {
    await members(ctx).setPoolMembersProvisioningStatus(poolIdOf(job), 'ERROR', ['PENDING_CREATE', 'PENDING_UPDATE', 'PENDING_DELETE'])
    await releaseParents(ctx, job)
  },
}

export const MEMBER_FLOWS = [createMember, updateMember, deleteMember, batchUpdateMembers] as const
