import { flow } from '../flow.ts'
import { applyAmphoraConfig } from '../tasks/amphora-data-plane-tasks.ts'
import { deleteL7Policy as deleteL7PolicyRow, l7PolicyCheckpoint, setL7PolicyOperatingStatus } from '../tasks/l7policy-tasks.ts'
import { activateLoadBalancer } from '../tasks/load-balancer-tasks.ts'

// L7 policy flows (spec/flows.md §6.5): configuration push (amphora provider), then statuses.

const setOperatingStatus = setL7PolicyOperatingStatus((job) => job.target_id)

export const createL7Policy = flow('l7policy.create', [l7PolicyCheckpoint, applyAmphoraConfig, setOperatingStatus, activateLoadBalancer])

// The API already wrote the new values and position with PENDING_UPDATE (spec/api-v2.md §6.2).
export const updateL7Policy = flow('l7policy.update', [l7PolicyCheckpoint, applyAmphoraConfig, setOperatingStatus, activateLoadBalancer])

export const deleteL7Policy = flow('l7policy.delete', [l7PolicyCheckpoint, applyAmphoraConfig, deleteL7PolicyRow, activateLoadBalancer])

export const L7POLICY_FLOWS = [createL7Policy, updateL7Policy, deleteL7Policy] as const
