import type { Flow } from '../flow.ts'
import { step } from '../flow.ts'

// Load-balancer flows as the noop provider (and, until its data plane exists, the amphora
// provider) runs them: the status transitions of spec/flows.md without amphorae.

const markLoadBalancerError: Flow['onFailure'] = async (ctx, job) => {
  await ctx.loadBalancers.setProvisioningStatus(job.target_id, 'ERROR')
}

export const createLoadBalancer: Flow = {
  kind: 'loadbalancer.create',
  steps: [
    // The whole tree of a single-call create goes ACTIVE with its LB; operating statuses stay
    // OFFLINE until heartbeats say otherwise (only the health manager turns things ONLINE).
    step('loadbalancer.activate', async (ctx, job) => ctx.loadBalancers.activateTree(job.target_id)),
  ],
  onFailure: markLoadBalancerError,
}

export const updateLoadBalancer: Flow = {
  kind: 'loadbalancer.update',
  steps: [step('loadbalancer.activate', async (ctx, job) => ctx.loadBalancers.activateTree(job.target_id))],
  onFailure: markLoadBalancerError,
}

export const deleteLoadBalancer: Flow = {
  kind: 'loadbalancer.delete',
  steps: [
    step('loadbalancer.delete-children', async (ctx, job) => ctx.loadBalancers.deleteChildren(job.target_id)),
    step('network.release-vip', async (ctx, job) => ({ released: await ctx.ports.releaseByDevice(job.target_id) })),
    step('loadbalancer.mark-deleted', async (ctx, job) => void (await ctx.loadBalancers.markDeleted(job.target_id))),
  ],
  onFailure: markLoadBalancerError,
}

export const failoverLoadBalancer: Flow = {
  kind: 'loadbalancer.failover',
  // Without amphorae there is nothing to rebuild; the amphora provider replaces this step.
  steps: [step('loadbalancer.activate', async (ctx, job) => ctx.loadBalancers.activateTree(job.target_id))],
  onFailure: markLoadBalancerError,
}

export const LOAD_BALANCER_FLOWS = [createLoadBalancer, updateLoadBalancer, deleteLoadBalancer, failoverLoadBalancer] as const
