import { flow } from '../flow.ts'
import {
  activateLoadBalancer, deleteLoadBalancerChildren, loadBalancerCheckpoint, markFailedOverTreeActive, markHealthMonitorsOnline,
  markLoadBalancerDeleted,
} from '../tasks/load-balancer-tasks.ts'
import { allocateVip, deallocateVip } from '../tasks/network-tasks.ts'

// Load-balancer flows (spec/flows.md §4) as the noop provider runs them: the database steps and
// status transitions, no amphorae. The amphora provider adds its tasks between these.

export const createLoadBalancer = flow('loadbalancer.create', [
  loadBalancerCheckpoint,
  allocateVip,
  markHealthMonitorsOnline,
  // The whole tree of a single-call create goes ACTIVE with its LB.
  activateLoadBalancer,
])

export const updateLoadBalancer = flow('loadbalancer.update', [
  loadBalancerCheckpoint,
  activateLoadBalancer,
])

export const deleteLoadBalancer = flow('loadbalancer.delete', [
  loadBalancerCheckpoint,
  deleteLoadBalancerChildren,
  deallocateVip,
  markLoadBalancerDeleted,
])

export const failoverLoadBalancer = flow('loadbalancer.failover', [
  loadBalancerCheckpoint,
  // Without amphorae there is nothing to rebuild; the amphora provider adds those tasks here.
  markFailedOverTreeActive,
])

export const LOAD_BALANCER_FLOWS = [createLoadBalancer, updateLoadBalancer, deleteLoadBalancer, failoverLoadBalancer] as const
