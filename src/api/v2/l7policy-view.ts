import type { L7Policy } from '../../db/repositories/l7policy-repository.ts'
import { apiTime, text } from './render.ts'

/** An L7 policy as GET/POST/PUT/list show it (spec/api-v2.md §13.1): its rules id-only. */
export function renderL7Policy(policy: L7Policy) {
  return {
    id: policy.id,
    name: text(policy.name),
    description: text(policy.description),
    provisioning_status: policy.provisioning_status,
    operating_status: policy.operating_status,
    admin_state_up: policy.enabled,
    project_id: policy.project_id,
    tenant_id: policy.project_id,
    action: policy.action,
    listener_id: policy.listener_id,
    redirect_pool_id: policy.redirect_pool_id,
    redirect_url: policy.redirect_url,
    redirect_prefix: policy.redirect_prefix,
    position: policy.position,
    rules: policy.rule_ids.map((id) => ({ id })),
    created_at: apiTime(policy.created_at),
    updated_at: apiTime(policy.updated_at),
    tags: policy.tags,
    redirect_http_code: policy.redirect_http_code,
  }
}
