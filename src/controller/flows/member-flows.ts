import { flow } from '../flow.ts'
import { activateLoadBalancer } from '../tasks/load-balancer-tasks.ts'
import { deleteMember as deleteMemberRow, deleteRemovedMembers, memberBatchCheckpoint, memberCheckpoint } from '../tasks/member-tasks.ts'

// Member flows (spec/flows.md §6.2, §6.3) as the noop provider runs them: no network delta, no
// configuration push.

export const createMember = flow('member.create', [memberCheckpoint, activateLoadBalancer])

export const updateMember = flow('member.update', [memberCheckpoint, activateLoadBalancer])

export const deleteMember = flow('member.delete', [memberCheckpoint, deleteMemberRow, activateLoadBalancer])

/** Removed members are deleted first, then new and changed ones go ACTIVE with their parents. */
export const batchUpdateMembers = flow('member.batch_update', [memberBatchCheckpoint, deleteRemovedMembers, activateLoadBalancer])

export const MEMBER_FLOWS = [createMember, updateMember, deleteMember, batchUpdateMembers] as const
