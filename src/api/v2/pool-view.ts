import type { Pool } from '../../db/repositories/pool-repository.ts'
import { apiTime, text } from './render.ts'

/** A comma-separated list column as the API shows it: null stays null, '' is the empty list. */
function commaList(value: string | null): string[] | null {
  if (value === null) return null
  return value === '' ? [] : value.split(',')
}

/** A pool as GET/PUT/POST/list show it (spec/api-v2.md §10.1): related objects are id-only. */
export function renderPool(pool: Pool) {
  const sp = pool.session_persistence
  return {
    id: pool.id,
    name: text(pool.name),
    description: text(pool.description),
    provisioning_status: pool.provisioning_status,
    operating_status: pool.operating_status,
    admin_state_up: pool.enabled,
    protocol: pool.protocol,
    lb_algorithm: pool.lb_algorithm,
    // All four keys, unset ones null; provider defaults are not filled in (spec/api-v2.md §17).
    session_persistence: sp === null ? null : {
      type: sp.type, cookie_name: sp.cookie_name, persistence_timeout: sp.persistence_timeout, persistence_granularity: sp.persistence_granularity,
    },
    project_id: pool.project_id,
    tenant_id: pool.project_id,
    loadbalancers: pool.load_balancer_id === null ? [] : [{ id: pool.load_balancer_id }],
    listeners: pool.listener_ids.map((id) => ({ id })),
    created_at: apiTime(pool.created_at),
    updated_at: apiTime(pool.updated_at),
    // spec/api-v2.md §10.1, §17: the key is absent, not null, when the pool has no health monitor.
    ...(pool.healthmonitor_id === null ? {} : { healthmonitor_id: pool.healthmonitor_id }),
    members: pool.member_ids.map((id) => ({ id })),
    tags: pool.tags,
    tls_container_ref: pool.tls_certificate_id,
    ca_tls_container_ref: pool.ca_tls_certificate_id,
    crl_container_ref: pool.crl_container_id,
    tls_enabled: pool.tls_enabled,
    tls_ciphers: pool.tls_ciphers,
    tls_versions: commaList(pool.tls_versions),
    alpn_protocols: commaList(pool.alpn_protocols),
  }
}
