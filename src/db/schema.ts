// Kysely types of every table (spec/operations.md §7 plus our own tables).
//
// Values read back identically on SQLite, MySQL/MariaDB and PostgreSQL (the drivers are set
// up in create-database.ts and sqlite-connection.ts to make it so):
// - booleans are JS `boolean`;
// - timestamps are `Date` in UTC with millisecond precision (what a JS Date holds);
// - JSON is stored as text and read back as the same string: repositories parse it;
// - integers (also BIGINT counters and COUNT(*)) are JS `number`.
//
// Octavia's column names are kept; where the API renames a field the column keeps
// Octavia's name and the API maps it:
//   admin_state_up            = enabled                       (every resource)
//   loadbalancer_id           = load_balancer_id
//   vip_address, vip_port_id, vip_subnet_id, vip_network_id, vip_qos_policy_id, vip_vnic_type
//                             = vip.ip_address, port_id, subnet_id, network_id, qos_policy_id, vnic_type
//   vip_sg_ids                = vip_security_group.sg_id
//   additional_vips           = additional_vip rows
//   default_tls_container_ref = listener.tls_certificate_id
//   sni_container_refs        = sni.tls_container_id (ordered by position)
//   client_ca_tls_container_ref = listener.client_ca_tls_certificate_id
//   client_crl_container_ref  = listener.client_crl_container_id
//   allowed_cidrs             = listener_cidr.cidr
//   tls_container_ref, ca_tls_container_ref, crl_container_ref (pool)
//                             = pool.tls_certificate_id, ca_tls_certificate_id, crl_container_id
//   address (member)          = member.ip_address
//   max_retries, max_retries_down (health monitor) = rise_threshold, fall_threshold
//   tags                      = tags rows keyed by resource_id
//   quota loadbalancer, healthmonitor = quotas.load_balancer, health_monitor
// Generated<T> = the database has a default; Immutable<T> = never in an UPDATE.
// `updated_at` stays null until the row is first modified (spec/api-v2.md §3.5).

import type { ColumnType, Generated } from 'kysely'
import type { OperatingStatus, ProvisioningStatus } from '../common/statuses.ts'

/** Set on insert, never updated (ids, creation times). */
export type Immutable<T> = ColumnType<T, T, never>
/** JSON document kept as text; written and read as the same string. */
export type JsonText = string
/** Comma-separated list (Octavia's ScalarListType), e.g. "TLSv1.2,TLSv1.3". */
export type CommaList = string

export interface LoadBalancerTable {
  id: Immutable<string>
  project_id: string | null
  name: string | null
  description: string | null
  provisioning_status: ProvisioningStatus
  operating_status: OperatingStatus
  /** SINGLE | ACTIVE_STANDBY */
  topology: string | null
  enabled: boolean
  server_group_id: string | null
  provider: string | null
  flavor_id: string | null
  /** availability_zone.name */
  availability_zone: string | null
  created_at: Immutable<Date>
  updated_at: Date | null
}

export interface VipTable {
  load_balancer_id: string
  ip_address: string | null
  port_id: string | null
  subnet_id: string | null
  network_id: string | null
  qos_policy_id: string | null
  octavia_owned: boolean | null
  vnic_type: Generated<string>
}

export interface AdditionalVipTable {
  load_balancer_id: string
  subnet_id: string
  ip_address: string | null
  port_id: string | null
  network_id: string | null
}

export interface VipSecurityGroupTable {
  load_balancer_id: string
  sg_id: string
}

export interface ListenerTable {
  id: Immutable<string>
  project_id: string | null
  name: string | null
  description: string | null
  protocol: string
  protocol_port: number
  connection_limit: number | null
  load_balancer_id: string | null
  tls_certificate_id: string | null
  default_pool_id: string | null
  provisioning_status: ProvisioningStatus
  operating_status: OperatingStatus
  enabled: boolean
  peer_port: number | null
  /** JSON object of header name to value. */
  insert_headers: JsonText | null
  timeout_client_data: number | null
  timeout_member_connect: number | null
  timeout_member_data: number | null
  timeout_tcp_inspect: number | null
  client_ca_tls_certificate_id: string | null
  /** NONE | OPTIONAL | MANDATORY */
  client_authentication: Generated<string>
  client_crl_container_id: string | null
  tls_ciphers: string | null
  tls_versions: CommaList | null
  alpn_protocols: CommaList | null
  hsts_max_age: number | null
  hsts_include_subdomains: Generated<boolean>
  hsts_preload: Generated<boolean>
  created_at: Immutable<Date>
  updated_at: Date | null
}

export interface SniTable {
  listener_id: string
  tls_container_id: string
  position: number | null
}

export interface ListenerCidrTable {
  listener_id: string
  cidr: string
}

export interface PoolTable {
  id: Immutable<string>
  project_id: string | null
  name: string | null
  description: string | null
  protocol: string
  lb_algorithm: string
  provisioning_status: ProvisioningStatus
  operating_status: OperatingStatus
  enabled: boolean
  load_balancer_id: string | null
  tls_certificate_id: string | null
  ca_tls_certificate_id: string | null
  crl_container_id: string | null
  tls_enabled: Generated<boolean>
  tls_ciphers: string | null
  tls_versions: CommaList | null
  alpn_protocols: CommaList | null
  created_at: Immutable<Date>
  updated_at: Date | null
}

export interface SessionPersistenceTable {
  pool_id: string
  /** SOURCE_IP | HTTP_COOKIE | APP_COOKIE */
  type: string
  cookie_name: string | null
  persistence_timeout: number | null
  persistence_granularity: string | null
}

export interface MemberTable {
  id: Immutable<string>
  project_id: string | null
  name: string | null
  pool_id: string
  subnet_id: string | null
  ip_address: string
  protocol_port: number
  weight: number | null
  backup: boolean
  monitor_address: string | null
  monitor_port: number | null
  provisioning_status: ProvisioningStatus
  operating_status: OperatingStatus
  enabled: boolean
  vnic_type: Generated<string>
  created_at: Immutable<Date>
  updated_at: Date | null
}

export interface HealthMonitorTable {
  id: Immutable<string>
  project_id: string | null
  name: string | null
  type: string
  pool_id: string
  delay: number
  timeout: number
  /** API max_retries_down */
  fall_threshold: number
  /** API max_retries */
  rise_threshold: number
  http_method: string | null
  url_path: string | null
  expected_codes: string | null
  enabled: boolean
  provisioning_status: ProvisioningStatus
  operating_status: OperatingStatus
  http_version: number | null
  domain_name: string | null
  created_at: Immutable<Date>
  updated_at: Date | null
}

export interface L7PolicyTable {
  id: Immutable<string>
  project_id: string | null
  name: string | null
  description: string | null
  listener_id: string
  action: string
  redirect_pool_id: string | null
  redirect_url: string | null
  redirect_prefix: string | null
  redirect_http_code: number | null
  /** 1-based, kept contiguous per listener. */
  position: number
  enabled: boolean
  provisioning_status: ProvisioningStatus
  operating_status: OperatingStatus
  created_at: Immutable<Date>
  updated_at: Date | null
}

export interface L7RuleTable {
  id: Immutable<string>
  project_id: string | null
  l7policy_id: string
  type: string
  compare_type: string
  key: string | null
  value: string
  invert: Generated<boolean>
  enabled: boolean
  provisioning_status: ProvisioningStatus
  operating_status: OperatingStatus
  created_at: Immutable<Date>
  updated_at: Date | null
}

/** Tags of every taggable resource; ids are UUIDs, so no resource type is needed. */
export interface TagsTable {
  resource_id: string
  tag: string
}

/** Limits: null = deployment default, -1 = unlimited. */
export interface QuotasTable {
  project_id: string
  load_balancer: number | null
  listener: number | null
  pool: number | null
  health_monitor: number | null
  member: number | null
  l7policy: number | null
  l7rule: number | null
  in_use_load_balancer: Generated<number>
  in_use_listener: Generated<number>
  in_use_pool: Generated<number>
  in_use_health_monitor: Generated<number>
  in_use_member: Generated<number>
  in_use_l7policy: Generated<number>
  in_use_l7rule: Generated<number>
}

export interface AmphoraTable {
  id: Immutable<string>
  load_balancer_id: string | null
  compute_id: string | null
  lb_network_ip: string | null
  vrrp_ip: string | null
  ha_ip: string | null
  vrrp_port_id: string | null
  ha_port_id: string | null
  cert_expiration: Date | null
  cert_busy: Generated<boolean>
  /** MASTER | BACKUP | STANDALONE */
  role: string | null
  status: ProvisioningStatus
  vrrp_interface: string | null
  vrrp_id: number | null
  vrrp_priority: number | null
  cached_zone: string | null
  image_id: string | null
  compute_flavor: string | null
  created_at: Immutable<Date>
  updated_at: Date | null
}

/** No foreign key on purpose (Octavia): heartbeats may name amphorae we no longer have. */
export interface AmphoraHealthTable {
  amphora_id: string
  last_update: Date
  busy: Generated<boolean>
}

export interface AmphoraMemberPortTable {
  port_id: string
  amphora_id: string
  network_id: string | null
  created_at: Immutable<Date>
  updated_at: Date | null
}

export interface VrrpGroupTable {
  load_balancer_id: string
  vrrp_group_name: string | null
  vrrp_auth_type: string | null
  vrrp_auth_pass: string | null
  advert_int: number | null
}

export interface ListenerStatisticsTable {
  listener_id: string
  amphora_id: string
  bytes_in: Generated<number>
  bytes_out: Generated<number>
  active_connections: Generated<number>
  total_connections: Generated<number>
  request_errors: Generated<number>
}

/** A single row, id = 1. */
export interface AmphoraBuildSlotsTable {
  id: number
  slots_used: number | null
}

/** A single row, id = 1: its lock serialises the housekeepers' spare-pool checks. */
export interface SparesPoolTable {
  id: number
  /** When the last spare-pool check ran; null before the first. */
  updated_at: Date | null
}

export interface AmphoraBuildRequestTable {
  amphora_id: string
  /** 20 failover, 40 normal; lower first. */
  priority: number | null
  created_time: Generated<Date>
  /** WAITING | BUILDING */
  status: Generated<string>
}

export interface FlavorProfileTable {
  id: Immutable<string>
  name: string | null
  provider_name: string
  /** JSON text exactly as the operator sent it. */
  flavor_data: JsonText
}

export interface FlavorTable {
  id: Immutable<string>
  name: string
  description: string | null
  enabled: boolean
  flavor_profile_id: string
}

export interface AvailabilityZoneProfileTable {
  id: Immutable<string>
  name: string | null
  provider_name: string
  availability_zone_data: JsonText
}

export interface AvailabilityZoneTable {
  name: string
  description: string | null
  enabled: boolean
  availability_zone_profile_id: string
}

/** Addresses we handed out (our Neutron substitute); vip.port_id and amphora *_port_id point here. */
export interface PortsTable {
  id: Immutable<string>
  network_id: string
  subnet_id: string
  /** Canonical text form (IPv6 compressed, lower case), so uniqueness is by value. */
  ip_address: string
  /** e.g. octavia:vip, octavia:amphora */
  device_owner: string | null
  device_id: string | null
  project_id: string | null
  name: string | null
  created_at: Immutable<Date>
  updated_at: Date | null
}

export const JOB_STATES = ['pending', 'running', 'succeeded', 'failed', 'reverted'] as const
export type JobState = (typeof JOB_STATES)[number]

/** One flow run: claimed by a worker under a lease, its progress journaled in job_steps. */
export interface JobsTable {
  id: Immutable<string>
  /** Flow name, e.g. loadbalancer.create */
  kind: string
  /** loadbalancer | listener | pool | member | healthmonitor | l7policy | l7rule | amphora */
  target_type: string
  target_id: string
  load_balancer_id: string | null
  payload: JsonText
  state: JobState
  attempts: Generated<number>
  lease_owner: string | null
  lease_expires_at: Date | null
  /** Not claimed before this time (back-off after a failed attempt). */
  run_after: Date
  last_error: string | null
  /** The last task journaled (or reverted). */
  current_step: string | null
  /** The task whose failure started the revert; null while the flow goes forward (0005). */
  failed_step: string | null
  created_at: Immutable<Date>
  updated_at: Date | null
}

/** The journal: one row per completed step of a job. */
export interface JobStepsTable {
  job_id: string
  step_index: number
  step_name: string
  result: JsonText | null
  completed_at: Date
  reverted_at: Date | null
}

/** Host agents: our compute hosts, each running the amphorae scheduled onto it. */
export interface AgentsTable {
  id: Immutable<string>
  name: string
  address: string
  port: number
  enabled: boolean
  /** How many amphorae the host accepts; null = no limit. */
  capacity: number | null
  cert_expiration: Date | null
  last_seen: Date | null
  created_at: Immutable<Date>
  updated_at: Date | null
}

/** Facts about this deployment: `version` (the pillar's release) and `schema` (head migration). */
export interface DeploymentTable {
  name: string
  value: string
  updated_at: Date
}

export interface Schema {
  load_balancer: LoadBalancerTable
  vip: VipTable
  additional_vip: AdditionalVipTable
  vip_security_group: VipSecurityGroupTable
  listener: ListenerTable
  sni: SniTable
  listener_cidr: ListenerCidrTable
  pool: PoolTable
  session_persistence: SessionPersistenceTable
  member: MemberTable
  health_monitor: HealthMonitorTable
  l7policy: L7PolicyTable
  l7rule: L7RuleTable
  tags: TagsTable
  quotas: QuotasTable
  amphora: AmphoraTable
  amphora_health: AmphoraHealthTable
  amphora_member_port: AmphoraMemberPortTable
  vrrp_group: VrrpGroupTable
  listener_statistics: ListenerStatisticsTable
  amphora_build_slots: AmphoraBuildSlotsTable
  amphora_build_request: AmphoraBuildRequestTable
  spares_pool: SparesPoolTable
  flavor_profile: FlavorProfileTable
  flavor: FlavorTable
  availability_zone_profile: AvailabilityZoneProfileTable
  availability_zone: AvailabilityZoneTable
  ports: PortsTable
  jobs: JobsTable
  job_steps: JobStepsTable
  agents: AgentsTable
  deployment: DeploymentTable
}

export type TableName = keyof Schema

/** Every table the migrations create (our schema, without the migrator's own tables). */
export const TABLES = [
  'load_balancer', 'vip', 'additional_vip', 'vip_security_group', 'listener', 'sni', 'listener_cidr',
  'pool', 'session_persistence', 'member', 'health_monitor', 'l7policy', 'l7rule', 'tags', 'quotas',
  'amphora', 'amphora_health', 'amphora_member_port', 'vrrp_group', 'listener_statistics',
  'amphora_build_slots', 'amphora_build_request', 'spares_pool', 'flavor_profile', 'flavor',
  'availability_zone_profile', 'availability_zone', 'ports', 'jobs', 'job_steps', 'agents', 'deployment',
] as const satisfies readonly TableName[]
