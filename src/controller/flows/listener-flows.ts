import { ListenerRepository } from '../../db/repositories/listener-repository.ts'
import type { Flow, FlowContext } from '../flow.ts'
import { step } from '../flow.ts'

// Listener flows as the noop provider (and, until its data plane exists, the amphora provider)
// runs them: the status transitions of spec/flows.md §5 without a configuration push.

const listeners = (ctx: FlowContext) => new ListenerRepository(ctx.db, ctx.clock)

function loadBalancerIdOf(job: { load_balancer_id: string | null; target_id: string }): string {
  if (job.load_balancer_id === null) throw new Error(`listener job for ${job.target_id} names no load balancer`)
  return job.load_balancer_id
}

/** spec/flows.md §1.3: the listener goes ERROR, its load balancer back to ACTIVE. */
const markListenerError: Flow['onFailure'] = async (ctx, job) => {
  await listeners(ctx).setProvisioningStatus(job.target_id, 'ERROR')
  if (job.load_balancer_id !== null) await ctx.loadBalancers.setProvisioningStatus(job.load_balancer_id, 'ACTIVE', { from: 'PENDING_UPDATE' })
}

// Every PENDING_CREATE/UPDATE object under the LB (the listener, the LB) goes ACTIVE.
const activate = step('loadbalancer.activate', async (ctx, job) => ctx.loadBalancers.activateTree(loadBalancerIdOf(job)))

export const createListener: Flow = { kind: 'listener.create', steps: [activate], onFailure: markListenerError }

// The API already wrote the new values with PENDING_UPDATE (spec/api-v2.md §6.2).
export const updateListener: Flow = { kind: 'listener.update', steps: [activate], onFailure: markListenerError }

export const deleteListener: Flow = {
  kind: 'listener.delete',
  steps: [
    // Its L7 policies and rules, SNI and CIDR rows and tags go with it; its default pool stays.
    step('listener.delete', async (ctx, job) => ({ deleted: await listeners(ctx).delete(job.target_id) })),
    activate,
  ],
  onFailure: markListenerError,
}

export const LISTENER_FLOWS = [createListener, updateListener, deleteListener] as const
