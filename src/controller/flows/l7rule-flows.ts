import { L7PolicyRepository } from '../../db/repositories/l7policy-repository.ts'
import { L7RuleRepository } from '../../db/repositories/l7rule-repository.ts'
import type { Flow, FlowContext } from '../flow.ts'
import { step } from '../flow.ts'
import { activate, payloadId, releaseListener, setPolicyOperatingStatus } from './l7policy-flows.ts'

// L7 rule flows as the noop provider (and, until its data plane exists, the amphora provider)
// runs them: the status transitions of spec/flows.md §6.6 without a configuration push.

const rules = (ctx: FlowContext) => new L7RuleRepository(ctx.db, ctx.clock)

/** spec/flows.md §6.6: the rule ERROR; its policy, listener and LB back to ACTIVE. */
const markL7RuleError: Flow['onFailure'] = async (ctx, job) => {
  await rules(ctx).setProvisioningStatus(job.target_id, 'ERROR')
  await new L7PolicyRepository(ctx.db, ctx.clock).setProvisioningStatus(payloadId(job, 'l7policy_id'), 'ACTIVE', { from: 'PENDING_UPDATE' })
  await releaseListener(ctx, job)
}

/** spec/flows.md §6.6 (as §6.5): a created or updated rule is ONLINE when enabled, else OFFLINE. */
const setOperatingStatus = step('l7rule.set-operating-status', async (ctx, job) => {
  const rule = await rules(ctx).get(job.target_id)
  if (!rule) throw new Error(`L7 rule ${job.target_id} not found`)
  const status = rule.enabled ? 'ONLINE' : 'OFFLINE'
  await rules(ctx).setOperatingStatus(job.target_id, status)
  return { operating_status: status }
})

// The parent policy is marked ACTIVE the way its own flows mark it, operating status included.
const setParentOperatingStatus = setPolicyOperatingStatus((job) => payloadId(job, 'l7policy_id'))

export const createL7Rule: Flow = {
  kind: 'l7rule.create', steps: [setOperatingStatus, setParentOperatingStatus, activate], onFailure: markL7RuleError,
}

// The API already wrote the new values with PENDING_UPDATE (spec/api-v2.md §6.2).
export const updateL7Rule: Flow = {
  kind: 'l7rule.update', steps: [setOperatingStatus, setParentOperatingStatus, activate], onFailure: markL7RuleError,
}

export const deleteL7Rule: Flow = {
  kind: 'l7rule.delete',
  steps: [
    step('l7rule.delete', async (ctx, job) => ({ deleted: await rules(ctx).delete(job.target_id) })),
    setParentOperatingStatus,
    activate,
  ],
  onFailure: markL7RuleError,
}

export const L7RULE_FLOWS = [createL7Rule, updateL7Rule, deleteL7Rule] as const
