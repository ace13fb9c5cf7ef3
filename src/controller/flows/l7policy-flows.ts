import type { Job } from '../../db/repositories/job-repository.ts'
import { L7PolicyRepository } from '../../db/repositories/l7policy-repository.ts'
import { ListenerRepository } from '../../db/repositories/listener-repository.ts'
import type { Flow, FlowContext, FlowStep } from '../flow.ts'
import { step } from '../flow.ts'

// L7 policy flows as the noop provider (and, until its data plane exists, the amphora provider)
// runs them: the status transitions of spec/flows.md §6.5 without a configuration push.

const policies = (ctx: FlowContext) => new L7PolicyRepository(ctx.db, ctx.clock)

/** A string the API put in the job's payload (`listener_id`, `l7policy_id`). */
export function payloadId(job: Job, key: string): string {
  const payload = job.payload
  const value = payload !== null && typeof payload === 'object' && !Array.isArray(payload) ? payload[key] : undefined
  if (typeof value !== 'string') throw new Error(`job ${job.id} (${job.kind}) has no ${key} in its payload`)
  return value
}

/** spec/flows.md §1.3: the parents go back to ACTIVE (the listener unless in ERROR, the LB). */
export async function releaseListener(ctx: FlowContext, job: Job): Promise<void> {
  await new ListenerRepository(ctx.db, ctx.clock).setProvisioningStatus(payloadId(job, 'listener_id'), 'ACTIVE', { from: 'PENDING_UPDATE' })
  if (job.load_balancer_id !== null) await ctx.loadBalancers.setProvisioningStatus(job.load_balancer_id, 'ACTIVE', { from: 'PENDING_UPDATE' })
}

/** spec/flows.md §6.5: a policy the flow leaves ACTIVE is ONLINE when enabled, else OFFLINE. */
export function setPolicyOperatingStatus(policyIdOf: (job: Job) => string): FlowStep {
  return step('l7policy.set-operating-status', async (ctx, job) => {
    const id = policyIdOf(job)
    const policy = await policies(ctx).get(id)
    if (!policy) throw new Error(`L7 policy ${id} not found`)
    const status = policy.enabled ? 'ONLINE' : 'OFFLINE'
    await policies(ctx).setOperatingStatus(id, status)
    return { operating_status: status }
  })
}

/** Everything under the LB that the change left PENDING_CREATE/UPDATE becomes ACTIVE (target, listener, LB). */
export const activate = step('loadbalancer.activate', async (ctx, job) => {
  if (!job.load_balancer_id) throw new Error(`job ${job.id} (${job.kind}) has no load balancer`)
  await ctx.loadBalancers.activateTree(job.load_balancer_id)
})

const markL7PolicyError: Flow['onFailure'] = async (ctx, job) => {
  await policies(ctx).setProvisioningStatus(job.target_id, 'ERROR')
  await releaseListener(ctx, job)
}

const setOperatingStatus = setPolicyOperatingStatus((job) => job.target_id)

export const createL7Policy: Flow = { kind: 'l7policy.create', steps: [setOperatingStatus, activate], onFailure: markL7PolicyError }

// The API already wrote the new values and position with PENDING_UPDATE (spec/api-v2.md §6.2).
export const updateL7Policy: Flow = { kind: 'l7policy.update', steps: [setOperatingStatus, activate], onFailure: markL7PolicyError }

export const deleteL7Policy: Flow = {
  kind: 'l7policy.delete',
  steps: [
    // Its rules and tags go with it; the listener's other policies close up (spec/api-v2.md §13.3).
    step('l7policy.delete', async (ctx, job) => ({ deleted: await policies(ctx).delete(job.target_id) })),
    activate,
  ],
  onFailure: markL7PolicyError,
}

export const L7POLICY_FLOWS = [createL7Policy, updateL7Policy, deleteL7Policy] as const
