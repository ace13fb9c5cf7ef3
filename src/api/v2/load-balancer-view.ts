import type { LoadBalancer } from '../../db/repositories/load-balancer-repository.ts'
import { apiTime, text } from './render.ts'

/** A load balancer as GET/PUT/list show it (spec/api-v2.md §8.1): child lists are id-only. */
export function renderLoadBalancer(lb: LoadBalancer) {
  const vip = lb.vip
  return {
    id: lb.id,
    name: text(lb.name),
    description: text(lb.description),
    admin_state_up: lb.enabled,
    project_id: lb.project_id,
    tenant_id: lb.project_id,
    provisioning_status: lb.provisioning_status,
    operating_status: lb.operating_status,
    created_at: apiTime(lb.created_at),
    updated_at: apiTime(lb.updated_at),
    vip_address: vip?.ip_address ?? null,
    vip_port_id: vip?.port_id ?? null,
    vip_subnet_id: vip?.subnet_id ?? null,
    vip_network_id: vip?.network_id ?? null,
    vip_qos_policy_id: vip?.qos_policy_id ?? null,
    vip_sg_ids: lb.vip_sg_ids,
    vip_vnic_type: vip?.vnic_type ?? 'normal',
    // Each additional VIP shows the primary VIP port (spec/api-v2.md §8.1).
    additional_vips: lb.additional_vips.map((a) => ({ subnet_id: a.subnet_id, ip_address: a.ip_address, port_id: vip?.port_id ?? null })),
    listeners: lb.listener_ids.map((id) => ({ id })),
    pools: lb.pool_ids.map((id) => ({ id })),
    // A legacy LB stored without a provider is shown as `octavia` (spec/api-v2.md §7).
    provider: lb.provider ?? 'octavia',
    flavor_id: lb.flavor_id,
    availability_zone: lb.availability_zone,
    tags: lb.tags,
  }
}
