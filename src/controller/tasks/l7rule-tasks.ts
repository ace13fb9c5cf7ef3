import { PermanentError } from '../permanent-error.ts'
import { checkpoint, databaseTask } from '../task.ts'
import { payloadId } from './job-targets.ts'
import { releaseListener } from './l7policy-tasks.ts'

/** spec/flows.md §6.6: the rule ERROR; its policy, listener and LB back to ACTIVE. */
export const l7RuleCheckpoint = checkpoint('l7rule.checkpoint', async (trx, { ctx, job }) => {
  await ctx.l7rules.setProvisioningStatus(job.target_id, 'ERROR', {}, trx)
  await ctx.l7policies.setProvisioningStatus(payloadId(job, 'l7policy_id'), 'ACTIVE', { from: 'PENDING_UPDATE' }, trx)
  await releaseListener(trx, ctx, job)
})

/** spec/flows.md §6.6 (as §6.5): a created or updated rule is ONLINE when enabled, else OFFLINE. */
export const setL7RuleOperatingStatus = databaseTask('l7rule.set-operating-status', async (trx, { ctx, job }) => {
  const rule = await ctx.l7rules.get(job.target_id, trx)
  if (!rule) throw new PermanentError(`L7 rule ${job.target_id} not found`)
  const status = rule.enabled ? 'ONLINE' : 'OFFLINE'
  await ctx.l7rules.setOperatingStatus(job.target_id, status, {}, trx)
  return { operating_status: status }
})

/** spec/flows.md §6.6 (delete). */
export const deleteL7Rule = databaseTask('l7rule.delete', async (trx, { ctx, job }) => ({
  deleted: await ctx.l7rules.delete(job.target_id, trx),
}))
