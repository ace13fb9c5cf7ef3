import type { Listener } from '../../db/repositories/listener-repository.ts'
import { apiTime, text } from './render.ts'

/** A listener as GET/POST/PUT/list show it (spec/api-v2.md §9.1): related objects are id-only. */
export function renderListener(listener: Listener) {
  return {
    id: listener.id,
    name: text(listener.name),
    description: text(listener.description),
    provisioning_status: listener.provisioning_status,
    operating_status: listener.operating_status,
    admin_state_up: listener.enabled,
    protocol: listener.protocol,
    protocol_port: listener.protocol_port,
    connection_limit: listener.connection_limit,
    default_tls_container_ref: listener.tls_certificate_id,
    sni_container_refs: listener.sni_container_refs,
    project_id: listener.project_id,
    tenant_id: listener.project_id,
    default_pool_id: listener.default_pool_id,
    l7policies: listener.l7policy_ids.map((id) => ({ id })),
    insert_headers: listener.insert_headers,
    created_at: apiTime(listener.created_at),
    updated_at: apiTime(listener.updated_at),
    loadbalancers: listener.load_balancer_id === null ? [] : [{ id: listener.load_balancer_id }],
    timeout_client_data: listener.timeout_client_data,
    timeout_member_connect: listener.timeout_member_connect,
    timeout_member_data: listener.timeout_member_data,
    timeout_tcp_inspect: listener.timeout_tcp_inspect,
    tags: listener.tags,
    client_ca_tls_container_ref: listener.client_ca_tls_certificate_id,
    client_authentication: listener.client_authentication,
    client_crl_container_ref: listener.client_crl_container_id,
    // spec/api-v2.md §9.1: no allowed CIDRs is shown as null, not [].
    allowed_cidrs: listener.allowed_cidrs.length > 0 ? listener.allowed_cidrs : null,
    tls_ciphers: listener.tls_ciphers,
    tls_versions: listener.tls_versions,
    alpn_protocols: listener.alpn_protocols,
    hsts_max_age: listener.hsts_max_age,
    hsts_include_subdomains: listener.hsts_include_subdomains,
    hsts_preload: listener.hsts_preload,
  }
}
