import type { Transaction } from '../../db/database.ts'
import type { Job } from '../../db/repositories/job-repository.ts'
import type { Schema } from '../../db/schema.ts'
import type { FlowContext } from '../flow-context.ts'
import { PermanentError } from '../permanent-error.ts'
import { checkpoint, databaseTask, type DatabaseTask } from '../task.ts'
import { loadBalancerIdOf, payloadId } from './job-targets.ts'

/** spec/flows.md §1.3: the parents of an L7 change go back to ACTIVE (the listener unless in ERROR, the LB). */
export async function releaseListener(trx: Transaction<Schema>, ctx: FlowContext, job: Job): Promise<void> {
  await ctx.listeners.setProvisioningStatus(payloadId(job, 'listener_id'), 'ACTIVE', { from: 'PENDING_UPDATE' }, trx)
  await ctx.loadBalancers.setProvisioningStatus(loadBalancerIdOf(job), 'ACTIVE', { from: 'PENDING_UPDATE' }, trx)
}

/** spec/flows.md §6.5: the policy ERROR, its listener and the LB back to ACTIVE. */
export const l7PolicyCheckpoint = checkpoint('l7policy.checkpoint', async (trx, { ctx, job }) => {
  await ctx.l7policies.setProvisioningStatus(job.target_id, 'ERROR', {}, trx)
  await releaseListener(trx, ctx, job)
})

/** spec/flows.md §6.5: a policy the flow leaves ACTIVE is ONLINE when enabled, else OFFLINE. */
export function setL7PolicyOperatingStatus(policyIdOf: (job: Job) => string): DatabaseTask {
  return databaseTask('l7policy.set-operating-status', async (trx, { ctx, job }) => {
    const id = policyIdOf(job)
    const policy = await ctx.l7policies.get(id, trx)
    if (!policy) throw new PermanentError(`L7 policy ${id} not found`)
    const status = policy.enabled ? 'ONLINE' : 'OFFLINE'
    await ctx.l7policies.setOperatingStatus(id, status, {}, trx)
    return { operating_status: status }
  })
}

/** spec/flows.md §6.5 (delete): its rules and tags go with it; the listener's other policies close up (spec/api-v2.md §13.3). */
export const deleteL7Policy = databaseTask('l7policy.delete', async (trx, { ctx, job }) => ({
  deleted: await ctx.l7policies.delete(job.target_id, trx),
}))
