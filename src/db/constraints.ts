// Every PRIMARY KEY and UNIQUE constraint, named once: the migrations create them from this
// list and the error translation finds the one an engine reports (PostgreSQL by name, MySQL
// by key name or, for PRIMARY, the statement's table, SQLite by table and columns), so a
// violation becomes a DuplicateEntry that says what it means.

import type { TableName } from './schema.ts'

export interface UniqueConstraint {
  readonly name: string
  readonly table: TableName
  readonly columns: readonly string[]
  readonly primary: boolean
  /** What a violation means, in domain words. */
  readonly meaning: string
}

function pk(table: TableName, columns: readonly string[], meaning: string): UniqueConstraint {
  return { name: `pk_${table}`, table, columns, primary: true, meaning }
}
function uq(name: string, table: TableName, columns: readonly string[], meaning: string): UniqueConstraint {
  return { name, table, columns, primary: false, meaning }
}

export const UNIQUE_CONSTRAINTS = [
  pk('load_balancer', ['id'], 'a load balancer with this id already exists'),
  pk('vip', ['load_balancer_id'], 'the load balancer already has a VIP'),
  pk('additional_vip', ['load_balancer_id', 'subnet_id'], 'the load balancer already has an additional VIP on this subnet'),
  pk('vip_security_group', ['load_balancer_id', 'sg_id'], 'the security group is already on this VIP'),
  pk('listener', ['id'], 'a listener with this id already exists'),
  uq('uq_listener_load_balancer_id_protocol_port', 'listener', ['load_balancer_id', 'protocol', 'protocol_port'],
    'another listener on this load balancer already uses this protocol and port'),
  pk('sni', ['listener_id', 'tls_container_id'], 'the certificate is already an SNI certificate of this listener'),
  pk('listener_cidr', ['listener_id', 'cidr'], 'the CIDR is already allowed on this listener'),
  pk('pool', ['id'], 'a pool with this id already exists'),
  pk('session_persistence', ['pool_id'], 'the pool already has session persistence'),
  pk('member', ['id'], 'a member with this id already exists'),
  uq('uq_member_pool_id_ip_address_protocol_port', 'member', ['pool_id', 'ip_address', 'protocol_port'],
    'another member of this pool already has this address and protocol port'),
  pk('health_monitor', ['id'], 'a health monitor with this id already exists'),
  uq('uq_health_monitor_pool_id', 'health_monitor', ['pool_id'], 'the pool already has a health monitor'),
  pk('l7policy', ['id'], 'an L7 policy with this id already exists'),
  pk('l7rule', ['id'], 'an L7 rule with this id already exists'),
  pk('tags', ['resource_id', 'tag'], 'the resource already has this tag'),
  pk('quotas', ['project_id'], 'the project already has a quota record'),
  pk('amphora', ['id'], 'an amphora with this id already exists'),
  pk('amphora_health', ['amphora_id'], 'the amphora already has a health record'),
  pk('amphora_member_port', ['port_id'], 'the port is already plugged into an amphora'),
  pk('vrrp_group', ['load_balancer_id'], 'the load balancer already has a VRRP group'),
  pk('listener_statistics', ['listener_id', 'amphora_id'], 'statistics for this listener and amphora already exist'),
  pk('amphora_build_slots', ['id'], 'the build slot row already exists'),
  pk('amphora_build_request', ['amphora_id'], 'the amphora already has a build request'),
  pk('spares_pool', ['id'], 'the spare pool row already exists'),
  pk('flavor_profile', ['id'], 'a flavor profile with this id already exists'),
  pk('flavor', ['id'], 'a flavor with this id already exists'),
  uq('uq_flavor_name', 'flavor', ['name'], 'a flavor with this name already exists'),
  pk('availability_zone_profile', ['id'], 'an availability zone profile with this id already exists'),
  pk('availability_zone', ['name'], 'an availability zone with this name already exists'),
  pk('ports', ['id'], 'a port with this id already exists'),
  uq('uq_ports_subnet_id_ip_address', 'ports', ['subnet_id', 'ip_address'], 'the address is already allocated on this subnet'),
  pk('jobs', ['id'], 'a job with this id already exists'),
  pk('job_steps', ['job_id', 'step_index'], 'this step of the job is already journaled'),
  pk('agents', ['id'], 'an agent with this id already exists'),
  uq('uq_agents_name', 'agents', ['name'], 'an agent with this name already exists'),
  pk('deployment', ['name'], 'this deployment fact is already recorded'),
] as const satisfies readonly UniqueConstraint[]

export type UniqueConstraintName = (typeof UNIQUE_CONSTRAINTS)[number]['name']

export function primaryKeyOf(table: TableName): UniqueConstraint {
  const found = UNIQUE_CONSTRAINTS.find((c) => c.primary && c.table === table)
  if (!found) throw new Error(`no primary key declared for ${table}`)
  return found
}

export function uniqueConstraintsOf(table: TableName): UniqueConstraint[] {
  return UNIQUE_CONSTRAINTS.filter((c) => !c.primary && c.table === table)
}

/** The constraint an engine error names: by name, or (MySQL PRIMARY / SQLite) by table and columns. */
export function findUniqueConstraint(query: { name?: string; table?: string; columns?: readonly string[] }): UniqueConstraint | undefined {
  const all: readonly UniqueConstraint[] = UNIQUE_CONSTRAINTS
  if (query.name !== undefined) {
    if (query.name === 'PRIMARY' && query.table !== undefined) return all.find((c) => c.primary && c.table === query.table)
    return all.find((c) => c.name === query.name)
  }
  const columns = query.columns
  if (query.table !== undefined && columns !== undefined) {
    return all.find((c) => c.table === query.table && c.columns.length === columns.length && c.columns.every((col) => columns.includes(col)))
  }
  return undefined
}
