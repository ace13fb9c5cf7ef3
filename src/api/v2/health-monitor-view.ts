import type { HealthMonitor } from '../../db/repositories/health-monitor-repository.ts'
import { apiTime, text } from './render.ts'

/** A health monitor as GET/PUT/list show it (spec/api-v2.md §12.1): its pool as `pools: [{id}]`. */
export function renderHealthMonitor(monitor: HealthMonitor) {
  return {
    id: monitor.id,
    name: text(monitor.name),
    type: monitor.type,
    delay: monitor.delay,
    timeout: monitor.timeout,
    max_retries: monitor.rise_threshold,
    max_retries_down: monitor.fall_threshold,
    http_method: monitor.http_method,
    url_path: monitor.url_path,
    expected_codes: monitor.expected_codes,
    admin_state_up: monitor.enabled,
    project_id: monitor.project_id,
    tenant_id: monitor.project_id,
    pools: [{ id: monitor.pool_id }],
    provisioning_status: monitor.provisioning_status,
    operating_status: monitor.operating_status,
    created_at: apiTime(monitor.created_at),
    updated_at: apiTime(monitor.updated_at),
    tags: monitor.tags,
    http_version: monitor.http_version,
    domain_name: monitor.domain_name,
  }
}
