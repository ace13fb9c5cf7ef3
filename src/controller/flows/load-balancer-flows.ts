import { flow } from '../flow.ts'
import {
  allocateAmphora, allocateReplacementAmphora, applyAmphoraConfig, createAmphoraOnAgent, deleteLoadBalancerAmphorae,
  markLoadBalancerAmphoraeDeleted, markReplacedAmphoraeDeleted, retireReplacedAmphorae,
} from '../tasks/amphora-data-plane-tasks.ts'
import {
  activateLoadBalancer, deleteLoadBalancerChildren, loadBalancerCheckpoint, markFailedOverTreeActive, markHealthMonitorsOnline,
  markLoadBalancerDeleted,
} from '../tasks/load-balancer-tasks.ts'
import { allocateVip, deallocateVip } from '../tasks/network-tasks.ts'

// Load-balancer flows (spec/flows.md §4). The amphora tasks act for the amphora provider on a
// worker with a data plane and are journaled as skipped otherwise (noop provider, noop amphora
// driver), leaving the database steps and status transitions.

export const createLoadBalancer = flow('loadbalancer.create', [
  loadBalancerCheckpoint,
  allocateVip,
  allocateAmphora,
  createAmphoraOnAgent,
  // The agent answers once the VIP listens.
  applyAmphoraConfig,
  markHealthMonitorsOnline,
  // The whole tree of a single-call create goes ACTIVE with its LB.
  activateLoadBalancer,
])

export const updateLoadBalancer = flow('loadbalancer.update', [
  loadBalancerCheckpoint,
  applyAmphoraConfig,
  activateLoadBalancer,
])

export const deleteLoadBalancer = flow('loadbalancer.delete', [
  loadBalancerCheckpoint,
  deleteLoadBalancerAmphorae,
  markLoadBalancerAmphoraeDeleted,
  deleteLoadBalancerChildren,
  deallocateVip,
  markLoadBalancerDeleted,
])

export const failoverLoadBalancer = flow('loadbalancer.failover', [
  loadBalancerCheckpoint,
  ...rebuildAmphora(),
  markFailedOverTreeActive,
])

/**
 * Failover's rebuild (spec/flows.md §4.4, §7.1) for SINGLE: a new amphora on another host when
 * there is one, the old one taken off its agent first (on a shared host the VIP must be free),
 * the replacement configured from the database, the old one DELETED.
 */
export function rebuildAmphora() {
  return [allocateReplacementAmphora, retireReplacedAmphorae, createAmphoraOnAgent, applyAmphoraConfig, markReplacedAmphoraeDeleted] as const
}

export const LOAD_BALANCER_FLOWS = [createLoadBalancer, updateLoadBalancer, deleteLoadBalancer, failoverLoadBalancer] as const
