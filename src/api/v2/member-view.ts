import type { Member } from '../../db/repositories/member-repository.ts'
import { apiTime, text } from './render.ts'

/** A member as GET/PUT/list show it (spec/api-v2.md §11.1): no description, no pool_id. */
export function renderMember(member: Member) {
  return {
    id: member.id,
    name: text(member.name),
    operating_status: member.operating_status,
    provisioning_status: member.provisioning_status,
    admin_state_up: member.enabled,
    address: member.ip_address,
    protocol_port: member.protocol_port,
    weight: member.weight,
    backup: member.backup,
    subnet_id: member.subnet_id,
    project_id: member.project_id,
    tenant_id: member.project_id,
    created_at: apiTime(member.created_at),
    updated_at: apiTime(member.updated_at),
    monitor_address: member.monitor_address,
    monitor_port: member.monitor_port,
    tags: member.tags,
    vnic_type: member.vnic_type,
  }
}
