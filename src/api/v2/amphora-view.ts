import type { Amphora } from '../../db/repositories/amphora-repository.ts'
import { apiTime } from './render.ts'

/**
 * An amphora as the admin API shows it (spec/api-v2.md §15): every field read-only, no
 * project; `loadbalancer_id` (not the api-ref's `load_balancer_id`), `cert_busy` a boolean.
 */
export function renderAmphora(amphora: Amphora) {
  return {
    id: amphora.id,
    loadbalancer_id: amphora.load_balancer_id,
    compute_id: amphora.compute_id,
    lb_network_ip: amphora.lb_network_ip,
    vrrp_ip: amphora.vrrp_ip,
    ha_ip: amphora.ha_ip,
    vrrp_port_id: amphora.vrrp_port_id,
    ha_port_id: amphora.ha_port_id,
    cert_expiration: apiTime(amphora.cert_expiration),
    cert_busy: amphora.cert_busy,
    role: amphora.role,
    status: amphora.status,
    vrrp_interface: amphora.vrrp_interface,
    vrrp_id: amphora.vrrp_id,
    vrrp_priority: amphora.vrrp_priority,
    cached_zone: amphora.cached_zone,
    created_at: apiTime(amphora.created_at),
    updated_at: apiTime(amphora.updated_at),
    image_id: amphora.image_id,
    compute_flavor: amphora.compute_flavor,
  }
}
