import type { QualifiedColumn } from '../../db/list-rows.ts'
import type { Schema } from '../../db/schema.ts'
import { defineListSpec, type ListAttribute } from './list-spec.ts'

// What every collection GET can filter and sort on (spec/api-v2.md §5, §8.1–§16.5). API names
// map to Octavia's storage columns here and nowhere else: admin_state_up = enabled, the LB's
// vip_* = the vip row, max_retries(_down) = rise(fall)_threshold, member address = ip_address.

type OwnedTable = 'load_balancer' | 'listener' | 'pool' | 'member' | 'health_monitor' | 'l7policy' | 'l7rule'

/** Attributes every project-owned resource has under the same names. */
function ownedAttributes<T extends OwnedTable>(table: T): Record<string, ListAttribute<T>> {
  const column = (name: keyof Schema[OwnedTable] & string) => `${table}.${name}` as QualifiedColumn<T>
  return {
    id: { column: column('id'), type: 'string', notNull: true },
    project_id: { column: column('project_id'), type: 'string' },
    tenant_id: { column: column('project_id'), type: 'string' },
    admin_state_up: { column: column('enabled'), type: 'boolean', notNull: true },
    provisioning_status: { column: column('provisioning_status'), type: 'string', notNull: true },
    operating_status: { column: column('operating_status'), type: 'string', notNull: true },
    created_at: { column: column('created_at'), type: 'timestamp', notNull: true },
    updated_at: { column: column('updated_at'), type: 'timestamp' },
  }
}

const CREATED_THEN_ID = ['created_at', 'id'] as const

export const LIST_SPECS = {
  loadbalancer: defineListSpec({
    collection: 'loadbalancers',
    scope: 'loadbalancer',
    table: 'load_balancer',
    joins: [{ table: 'vip', on: ['vip.load_balancer_id', 'load_balancer.id'] }],
    key: 'load_balancer.id',
    deletedColumn: 'load_balancer.provisioning_status',
    tags: true,
    defaultOrder: CREATED_THEN_ID,
    attributes: {
      ...ownedAttributes('load_balancer'),
      name: { column: 'load_balancer.name', type: 'string' },
      description: { column: 'load_balancer.description', type: 'string' },
      provider: { column: 'load_balancer.provider', type: 'string' },
      flavor_id: { column: 'load_balancer.flavor_id', type: 'string' },
      availability_zone: { column: 'load_balancer.availability_zone', type: 'string' },
      vip_address: { column: 'vip.ip_address', type: 'string' },
      vip_port_id: { column: 'vip.port_id', type: 'string' },
      vip_subnet_id: { column: 'vip.subnet_id', type: 'string' },
      vip_network_id: { column: 'vip.network_id', type: 'string' },
      vip_qos_policy_id: { column: 'vip.qos_policy_id', type: 'string' },
      vip_vnic_type: { column: 'vip.vnic_type', type: 'string' },
    },
  }),

  listener: defineListSpec({
    collection: 'listeners',
    scope: 'listener',
    table: 'listener',
    key: 'listener.id',
    deletedColumn: 'listener.provisioning_status',
    tags: true,
    defaultOrder: CREATED_THEN_ID,
    attributes: {
      ...ownedAttributes('listener'),
      name: { column: 'listener.name', type: 'string' },
      description: { column: 'listener.description', type: 'string' },
      loadbalancer_id: { column: 'listener.load_balancer_id', type: 'string' },
      protocol: { column: 'listener.protocol', type: 'string' },
      protocol_port: { column: 'listener.protocol_port', type: 'integer' },
      connection_limit: { column: 'listener.connection_limit', type: 'integer' },
      default_pool_id: { column: 'listener.default_pool_id', type: 'string' },
      default_tls_container_ref: { column: 'listener.tls_certificate_id', type: 'string' },
      client_ca_tls_container_ref: { column: 'listener.client_ca_tls_certificate_id', type: 'string' },
      client_authentication: { column: 'listener.client_authentication', type: 'string' },
      client_crl_container_ref: { column: 'listener.client_crl_container_id', type: 'string' },
      timeout_client_data: { column: 'listener.timeout_client_data', type: 'integer' },
      timeout_member_connect: { column: 'listener.timeout_member_connect', type: 'integer' },
      timeout_member_data: { column: 'listener.timeout_member_data', type: 'integer' },
      timeout_tcp_inspect: { column: 'listener.timeout_tcp_inspect', type: 'integer' },
      tls_ciphers: { column: 'listener.tls_ciphers', type: 'string' },
      hsts_max_age: { column: 'listener.hsts_max_age', type: 'integer' },
      hsts_include_subdomains: { column: 'listener.hsts_include_subdomains', type: 'boolean', notNull: true },
      hsts_preload: { column: 'listener.hsts_preload', type: 'boolean', notNull: true },
    },
  }),

  pool: defineListSpec({
    collection: 'pools',
    scope: 'pool',
    table: 'pool',
    // uq_health_monitor_pool_id: at most one row per pool.
    joins: [{ table: 'health_monitor', on: ['health_monitor.pool_id', 'pool.id'] }],
    key: 'pool.id',
    deletedColumn: 'pool.provisioning_status',
    tags: true,
    defaultOrder: CREATED_THEN_ID,
    attributes: {
      ...ownedAttributes('pool'),
      name: { column: 'pool.name', type: 'string' },
      description: { column: 'pool.description', type: 'string' },
      loadbalancer_id: { column: 'pool.load_balancer_id', type: 'string' },
      healthmonitor_id: { column: 'health_monitor.id', type: 'string' },
      protocol: { column: 'pool.protocol', type: 'string' },
      lb_algorithm: { column: 'pool.lb_algorithm', type: 'string' },
      tls_enabled: { column: 'pool.tls_enabled', type: 'boolean', notNull: true },
      tls_container_ref: { column: 'pool.tls_certificate_id', type: 'string' },
      ca_tls_container_ref: { column: 'pool.ca_tls_certificate_id', type: 'string' },
      crl_container_ref: { column: 'pool.crl_container_id', type: 'string' },
      tls_ciphers: { column: 'pool.tls_ciphers', type: 'string' },
    },
  }),

  /** Nested: the caller restricts it to the pool of the URL (`member.pool_id`). */
  member: defineListSpec({
    collection: 'members',
    table: 'member',
    key: 'member.id',
    deletedColumn: 'member.provisioning_status',
    tags: true,
    defaultOrder: CREATED_THEN_ID,
    attributes: {
      ...ownedAttributes('member'),
      name: { column: 'member.name', type: 'string' },
      address: { column: 'member.ip_address', type: 'string', notNull: true },
      protocol_port: { column: 'member.protocol_port', type: 'integer', notNull: true },
      weight: { column: 'member.weight', type: 'integer' },
      backup: { column: 'member.backup', type: 'boolean', notNull: true },
      subnet_id: { column: 'member.subnet_id', type: 'string' },
      monitor_address: { column: 'member.monitor_address', type: 'string' },
      monitor_port: { column: 'member.monitor_port', type: 'integer' },
      vnic_type: { column: 'member.vnic_type', type: 'string', notNull: true },
    },
  }),

  healthmonitor: defineListSpec({
    collection: 'healthmonitors',
    scope: 'healthmonitor',
    table: 'health_monitor',
    key: 'health_monitor.id',
    deletedColumn: 'health_monitor.provisioning_status',
    tags: true,
    defaultOrder: CREATED_THEN_ID,
    attributes: {
      ...ownedAttributes('health_monitor'),
      name: { column: 'health_monitor.name', type: 'string' },
      pool_id: { column: 'health_monitor.pool_id', type: 'string', notNull: true },
      type: { column: 'health_monitor.type', type: 'string', notNull: true },
      delay: { column: 'health_monitor.delay', type: 'integer', notNull: true },
      timeout: { column: 'health_monitor.timeout', type: 'integer', notNull: true },
      max_retries: { column: 'health_monitor.rise_threshold', type: 'integer', notNull: true },
      max_retries_down: { column: 'health_monitor.fall_threshold', type: 'integer', notNull: true },
      http_method: { column: 'health_monitor.http_method', type: 'string' },
      url_path: { column: 'health_monitor.url_path', type: 'string' },
      expected_codes: { column: 'health_monitor.expected_codes', type: 'string' },
      http_version: { column: 'health_monitor.http_version', type: 'float' },
      domain_name: { column: 'health_monitor.domain_name', type: 'string' },
    },
  }),

  l7policy: defineListSpec({
    collection: 'l7policies',
    scope: 'l7policy',
    table: 'l7policy',
    key: 'l7policy.id',
    deletedColumn: 'l7policy.provisioning_status',
    tags: true,
    // spec/api-v2.md §5.3: created_at, id — not position.
    defaultOrder: CREATED_THEN_ID,
    attributes: {
      ...ownedAttributes('l7policy'),
      name: { column: 'l7policy.name', type: 'string' },
      description: { column: 'l7policy.description', type: 'string' },
      listener_id: { column: 'l7policy.listener_id', type: 'string', notNull: true },
      action: { column: 'l7policy.action', type: 'string', notNull: true },
      position: { column: 'l7policy.position', type: 'integer', notNull: true },
      redirect_pool_id: { column: 'l7policy.redirect_pool_id', type: 'string' },
      redirect_url: { column: 'l7policy.redirect_url', type: 'string' },
      redirect_prefix: { column: 'l7policy.redirect_prefix', type: 'string' },
      redirect_http_code: { column: 'l7policy.redirect_http_code', type: 'integer' },
    },
  }),

  /** Nested: the caller restricts it to the policy of the URL (`l7rule.l7policy_id`). */
  l7rule: defineListSpec({
    collection: 'rules',
    table: 'l7rule',
    key: 'l7rule.id',
    deletedColumn: 'l7rule.provisioning_status',
    tags: true,
    defaultOrder: CREATED_THEN_ID,
    attributes: {
      ...ownedAttributes('l7rule'),
      type: { column: 'l7rule.type', type: 'string', notNull: true },
      compare_type: { column: 'l7rule.compare_type', type: 'string', notNull: true },
      key: { column: 'l7rule.key', type: 'string' },
      value: { column: 'l7rule.value', type: 'string', notNull: true },
      invert: { column: 'l7rule.invert', type: 'boolean', notNull: true },
    },
  }),

  amphora: defineListSpec({
    collection: 'amphorae',
    table: 'amphora',
    joins: [{ table: 'load_balancer', on: ['load_balancer.id', 'amphora.load_balancer_id'] }],
    key: 'amphora.id',
    deletedColumn: 'amphora.status',
    defaultOrder: CREATED_THEN_ID,
    attributes: {
      id: { column: 'amphora.id', type: 'string', notNull: true },
      loadbalancer_id: { column: 'amphora.load_balancer_id', type: 'string' },
      // spec/api-v2.md §5.4: the owning LB's project; amphorae have no project of their own.
      project_id: { column: 'load_balancer.project_id', type: 'string', sort: false },
      compute_id: { column: 'amphora.compute_id', type: 'string' },
      lb_network_ip: { column: 'amphora.lb_network_ip', type: 'string' },
      vrrp_ip: { column: 'amphora.vrrp_ip', type: 'string' },
      ha_ip: { column: 'amphora.ha_ip', type: 'string' },
      vrrp_port_id: { column: 'amphora.vrrp_port_id', type: 'string' },
      ha_port_id: { column: 'amphora.ha_port_id', type: 'string' },
      cert_expiration: { column: 'amphora.cert_expiration', type: 'timestamp' },
      cert_busy: { column: 'amphora.cert_busy', type: 'boolean', notNull: true },
      role: { column: 'amphora.role', type: 'string' },
      status: { column: 'amphora.status', type: 'string', notNull: true },
      vrrp_interface: { column: 'amphora.vrrp_interface', type: 'string' },
      vrrp_id: { column: 'amphora.vrrp_id', type: 'integer' },
      vrrp_priority: { column: 'amphora.vrrp_priority', type: 'integer' },
      cached_zone: { column: 'amphora.cached_zone', type: 'string' },
      image_id: { column: 'amphora.image_id', type: 'string' },
      compute_flavor: { column: 'amphora.compute_flavor', type: 'string' },
      created_at: { column: 'amphora.created_at', type: 'timestamp', notNull: true },
      updated_at: { column: 'amphora.updated_at', type: 'timestamp' },
    },
  }),

  flavor: defineListSpec({
    collection: 'flavors',
    table: 'flavor',
    key: 'flavor.id',
    defaultOrder: ['id'],
    attributes: {
      id: { column: 'flavor.id', type: 'string', notNull: true },
      name: { column: 'flavor.name', type: 'string', notNull: true },
      description: { column: 'flavor.description', type: 'string' },
      enabled: { column: 'flavor.enabled', type: 'boolean', notNull: true },
      flavor_profile_id: { column: 'flavor.flavor_profile_id', type: 'string', notNull: true },
    },
  }),

  flavorprofile: defineListSpec({
    collection: 'flavorprofiles',
    linksKey: 'flavorprofile_links',
    table: 'flavor_profile',
    key: 'flavor_profile.id',
    defaultOrder: ['id'],
    attributes: {
      id: { column: 'flavor_profile.id', type: 'string', notNull: true },
      name: { column: 'flavor_profile.name', type: 'string' },
      provider_name: { column: 'flavor_profile.provider_name', type: 'string', notNull: true },
      flavor_data: { column: 'flavor_profile.flavor_data', type: 'string', notNull: true },
    },
  }),

  /** Identified by name; no default order upstream, so pages follow the key (InnoDB's order). */
  availability_zone: defineListSpec({
    collection: 'availability_zones',
    table: 'availability_zone',
    key: 'availability_zone.name',
    defaultOrder: [],
    attributes: {
      name: { column: 'availability_zone.name', type: 'string', notNull: true },
      description: { column: 'availability_zone.description', type: 'string' },
      enabled: { column: 'availability_zone.enabled', type: 'boolean', notNull: true },
      availability_zone_profile_id: { column: 'availability_zone.availability_zone_profile_id', type: 'string', notNull: true },
    },
  }),

  availability_zone_profile: defineListSpec({
    collection: 'availability_zone_profiles',
    linksKey: 'availability_zone_profile_links',
    table: 'availability_zone_profile',
    key: 'availability_zone_profile.id',
    defaultOrder: ['id'],
    attributes: {
      id: { column: 'availability_zone_profile.id', type: 'string', notNull: true },
      name: { column: 'availability_zone_profile.name', type: 'string' },
      provider_name: { column: 'availability_zone_profile.provider_name', type: 'string', notNull: true },
      availability_zone_data: { column: 'availability_zone_profile.availability_zone_data', type: 'string', notNull: true },
    },
  }),

  /** Stored records, raw (null = default); no default order upstream, so pages follow the key. */
  quota: defineListSpec({
    collection: 'quotas',
    scope: 'quota',
    table: 'quotas',
    key: 'quotas.project_id',
    defaultOrder: [],
    attributes: {
      project_id: { column: 'quotas.project_id', type: 'string', notNull: true },
      tenant_id: { column: 'quotas.project_id', type: 'string', notNull: true },
      loadbalancer: { column: 'quotas.load_balancer', type: 'integer' },
      load_balancer: { column: 'quotas.load_balancer', type: 'integer' },
      listener: { column: 'quotas.listener', type: 'integer' },
      pool: { column: 'quotas.pool', type: 'integer' },
      healthmonitor: { column: 'quotas.health_monitor', type: 'integer' },
      health_monitor: { column: 'quotas.health_monitor', type: 'integer' },
      member: { column: 'quotas.member', type: 'integer' },
      l7policy: { column: 'quotas.l7policy', type: 'integer' },
      l7rule: { column: 'quotas.l7rule', type: 'integer' },
    },
  }),
}
