import { flow } from '../flow.ts'
import { applyAmphoraConfig } from '../tasks/amphora-data-plane-tasks.ts'
import { activateLoadBalancer } from '../tasks/load-balancer-tasks.ts'
import { deleteMember as deleteMemberRow, deleteRemovedMembers, memberBatchCheckpoint, memberCheckpoint } from '../tasks/member-tasks.ts'

// Member flows (spec/flows.md §6.2, §6.3): configuration push (amphora provider), then statuses;
// deleted members leave the configuration before their rows go. No network delta: loopback
// members need no ports.

export const createMember = flow('member.create', [memberCheckpoint, applyAmphoraConfig, activateLoadBalancer])

export const updateMember = flow('member.update', [memberCheckpoint, applyAmphoraConfig, activateLoadBalancer])

export const deleteMember = flow('member.delete', [memberCheckpoint, applyAmphoraConfig, deleteMemberRow, activateLoadBalancer])

/** The new member set is pushed, removed members' rows go, then new and changed ones go ACTIVE with their parents. */
export const batchUpdateMembers = flow('member.batch_update', [memberBatchCheckpoint, applyAmphoraConfig, deleteRemovedMembers, activateLoadBalancer])

export const MEMBER_FLOWS = [createMember, updateMember, deleteMember, batchUpdateMembers] as const
