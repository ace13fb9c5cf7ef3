import { flow } from '../flow.ts'
import { applyAmphoraConfig } from '../tasks/amphora-data-plane-tasks.ts'
import { setL7PolicyOperatingStatus } from '../tasks/l7policy-tasks.ts'
import { deleteL7Rule as deleteL7RuleRow, l7RuleCheckpoint, setL7RuleOperatingStatus } from '../tasks/l7rule-tasks.ts'
import { payloadId } from '../tasks/job-targets.ts'
import { activateLoadBalancer } from '../tasks/load-balancer-tasks.ts'

// L7 rule flows (spec/flows.md §6.6): configuration push (amphora provider), then statuses.

// The parent policy is marked ACTIVE the way its own flows mark it, operating status included.
const setParentOperatingStatus = setL7PolicyOperatingStatus((job) => payloadId(job, 'l7policy_id'))

export const createL7Rule = flow('l7rule.create', [l7RuleCheckpoint, applyAmphoraConfig, setL7RuleOperatingStatus, setParentOperatingStatus, activateLoadBalancer])

// The API already wrote the new values with PENDING_UPDATE (spec/api-v2.md §6.2).
export const updateL7Rule = flow('l7rule.update', [l7RuleCheckpoint, applyAmphoraConfig, setL7RuleOperatingStatus, setParentOperatingStatus, activateLoadBalancer])

export const deleteL7Rule = flow('l7rule.delete', [l7RuleCheckpoint, applyAmphoraConfig, deleteL7RuleRow, setParentOperatingStatus, activateLoadBalancer])

export const L7RULE_FLOWS = [createL7Rule, updateL7Rule, deleteL7Rule] as const
