import type { L7Rule } from '../../db/repositories/l7rule-repository.ts'
import { apiTime } from './render.ts'

/** An L7 rule as GET/POST/PUT/list show it (spec/api-v2.md §13.5): no name, no l7policy_id. */
export function renderL7Rule(rule: L7Rule) {
  return {
    id: rule.id,
    type: rule.type,
    compare_type: rule.compare_type,
    key: rule.key,
    value: rule.value,
    invert: rule.invert,
    provisioning_status: rule.provisioning_status,
    operating_status: rule.operating_status,
    created_at: apiTime(rule.created_at),
    updated_at: apiTime(rule.updated_at),
    project_id: rule.project_id,
    tenant_id: rule.project_id,
    admin_state_up: rule.enabled,
    tags: rule.tags,
  }
}
