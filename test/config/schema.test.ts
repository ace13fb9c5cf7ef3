import assert from 'node:assert/strict'
import { test } from 'node:test'
import { loadConfig } from '../../src/config/load-config.ts'
import { ALIASES } from '../../src/config/schema.ts'

// Octavia's defaults (spec/operations.md §1.3, §5; spec/api-v2.md §14.1), as the embedded config shows them.
const { config } = loadConfig({ env: {} })

test('[health_manager] defaults', () => {
  const hm = config.health_manager
  assert.equal(hm.bind_ip, '127.0.0.1')
  assert.equal(hm.bind_port, 5555)
  assert.equal(hm.failover_threads, 10)
  assert.equal(hm.health_update_threads, null)
  assert.equal(hm.stats_update_threads, null)
  assert.equal(hm.heartbeat_timeout, 60)
  assert.equal(hm.health_check_interval, 3)
  assert.equal(hm.sock_rlimit, 0)
  assert.equal(hm.failover_threshold, null)
  assert.equal(hm.heartbeat_interval, 10)
})

test('[house_keeping] defaults', () => {
  assert.deepEqual(config.house_keeping, {
    cleanup_interval: 30, amphora_expiry_age: 604800, load_balancer_expiry_age: 604800, cert_interval: 3600,
    cert_expiry_buffer: 1209600, cert_rotate_threads: 10, spare_amphora_pool_size: 0, spare_check_interval: 30,
  })
})

test('[haproxy_amphora] defaults', () => {
  const ha = config.haproxy_amphora
  assert.equal(ha.base_path, '/var/lib/octavia')
  assert.equal(ha.base_cert_dir, '/var/lib/octavia/certs')
  assert.equal(ha.haproxy_template, null)
  assert.equal(ha.connection_logging, true)
  assert.equal(ha.connection_max_retries, 120)
  assert.equal(ha.connection_retry_interval, 5)
  assert.equal(ha.active_connection_max_retries, 15)
  assert.equal(ha.failover_connection_max_retries, 2)
  assert.equal(ha.build_rate_limit, -1)
  assert.equal(ha.build_active_retries, 120)
  assert.equal(ha.haproxy_stick_size, '10k')
  assert.equal(ha.bind_port, 9443)
  assert.equal(ha.lb_network_interface, 'o-hm0')
  assert.equal(ha.haproxy_cmd, '/usr/sbin/haproxy')
  assert.equal(ha.rest_request_conn_timeout, 10)
  assert.equal(ha.rest_request_read_timeout, 60)
  assert.equal(ha.timeout_client_data, 50000)
  assert.equal(ha.timeout_member_connect, 5000)
  assert.equal(ha.timeout_member_data, 50000)
  assert.equal(ha.timeout_tcp_inspect, 0)
  assert.equal(ha.client_cert, '/etc/octavia/certs/client.pem')
  assert.equal(ha.server_ca, '/etc/octavia/certs/server_ca.pem')
  assert.equal(ha.api_db_commit_retry_attempts, 15)
  assert.equal(ha.default_connection_limit, 50000)
  assert.equal(ha.user_log_format,
    '{{ project_id }} {{ lb_id }} %f %ci %cp %t %{+Q}r %ST %B %U %[ssl_c_verify] %{+Q}[ssl_c_s_dn] %b %s %Tt %tsc')
})

test('[controller_worker] defaults', () => {
  const cw = config.controller_worker
  assert.equal(cw.workers, 1)
  assert.equal(cw.amp_active_retries, 30)
  assert.equal(cw.amp_active_wait_sec, 10)
  assert.equal(cw.amp_flavor_id, '')
  assert.equal(cw.amp_timezone, 'UTC')
  assert.deepEqual(cw.amp_boot_network_list, [])
  assert.equal(cw.client_ca, '/etc/octavia/certs/ca_01.pem')
  assert.equal(cw.amphora_driver, 'amphora_haproxy_rest_driver')
  assert.equal(cw.volume_driver, 'volume_noop_driver')
  assert.deepEqual(cw.statistics_drivers, ['stats_db'])
  assert.equal(cw.loadbalancer_topology, 'SINGLE')
  assert.equal(cw.user_data_config_drive, false)
  assert.equal(cw.amphora_delete_retries, 5)
  assert.equal(cw.event_notifications, true)
  assert.equal(cw.db_commit_retry_attempts, 2000)
  assert.equal(cw.db_commit_retry_max, 5)
})

test('[certificates] defaults', () => {
  const c = config.certificates
  assert.equal(c.cert_manager, 'barbican_cert_manager')
  assert.equal(c.cert_generator, 'local_cert_generator')
  assert.equal(c.barbican_auth, 'barbican_acl_auth')
  assert.equal(c.endpoint_type, 'publicURL')
  assert.equal(c.insecure, false)
  assert.equal(c.ca_certificate, '/etc/ssl/certs/ssl-cert-snakeoil.pem')
  assert.equal(c.ca_private_key, '/etc/ssl/private/ssl-cert-snakeoil.key')
  assert.equal(c.ca_private_key_passphrase, null)
  assert.deepEqual(c.server_certs_key_passphrase, ['insecure-key-do-not-use-this-key'])
  assert.equal(c.signing_digest, 'sha256')
  assert.equal(c.cert_validity_time, 2592000)
  assert.equal(c.storage_path, '/var/lib/octavia/certificates/')
})

test('[api_settings] defaults', () => {
  const a = config.api_settings
  assert.equal(a.bind_host, '127.0.0.1')
  assert.equal(a.bind_port, 9876)
  assert.equal(a.allow_pagination && a.allow_sorting && a.allow_filtering && a.allow_field_selection, true)
  assert.equal(a.pagination_max_limit, 1000)
  assert.equal(a.api_base_uri, null)
  assert.equal(a.allow_tls_terminated_listeners && a.allow_ping_health_monitors && a.allow_prometheus_listeners, true)
  assert.deepEqual(Object.keys(a.enabled_provider_drivers), ['amphora', 'octavia'])
  assert.equal(a.default_provider_driver, 'amphora')
  assert.equal(a.udp_connect_min_interval_health_monitor, 3)
  assert.equal(a.healthcheck_refresh_interval, 5)
  assert.equal(a.default_listener_ciphers.split(':').length, 12)
  assert.equal(a.default_pool_ciphers.split(':')[0], 'TLS_AES_128_GCM_SHA256')
  assert.equal(a.tls_cipher_prohibit_list, '')
  assert.deepEqual(a.default_listener_tls_versions, ['TLSv1.2', 'TLSv1.3'])
  assert.deepEqual(a.default_pool_tls_versions, ['TLSv1.2', 'TLSv1.3'])
  assert.equal(a.minimum_tls_version, null)
  assert.deepEqual(a.default_listener_alpn_protocols, ['h2', 'http/1.1', 'http/1.0'])
})

test('our documented deviations from Octavia defaults', () => {
  assert.equal(config.api_settings.healthcheck_enabled, true) // Octavia: False
  assert.equal(config.api_settings.auth_strategy, 'noauth') // Octavia: keystone; follows identity.engine
  assert.equal(config.haproxy_amphora.bind_host, '127.0.0.1') // Octavia: ::
  assert.deepEqual(config.health_manager.controller_ip_port_list, ['127.0.0.1:5555']) // Octavia: []
})

test('[task_flow] defaults', () => {
  const tf = config.task_flow
  assert.equal(tf.engine, 'parallel')
  assert.equal(tf.max_workers, 5)
  assert.equal(tf.disable_revert, false)
  assert.equal(tf.persistence_connection, 'sqlite://')
  assert.equal(tf.jobboard_enabled, false)
  assert.equal(tf.jobboard_backend_driver, 'redis_taskflow_driver')
  assert.deepEqual(tf.jobboard_backend_hosts, ['127.0.0.1'])
  assert.equal(tf.jobboard_backend_port, 6379)
  assert.equal(tf.jobboard_backend_password, null)
  assert.equal(tf.jobboard_backend_namespace, 'octavia_jobboard')
  assert.equal(tf.jobboard_redis_backend_db, 0)
  assert.equal(tf.jobboard_redis_backend_ssl_options.ssl, false)
  assert.equal(tf.jobboard_redis_backend_ssl_options.ssl_cert_reqs, 'required')
  assert.deepEqual(tf.jobboard_zookeeper_ssl_options, { use_ssl: false, verify_certs: true })
  assert.deepEqual(tf.jobboard_etcd_ssl_options, { use_ssl: false })
  assert.equal(tf.jobboard_expiration_time, 30)
  assert.equal(tf.jobboard_save_logbook, false)
})

test('related groups: amphora_agent, keepalived_vrrp, nova, compute, networking, database pool', () => {
  const aa = config.amphora_agent
  assert.equal(aa.agent_server_ca, '/etc/octavia/certs/client_ca.pem')
  assert.equal(aa.agent_server_cert, '/etc/octavia/certs/server.pem')
  assert.equal(aa.agent_request_read_timeout, 180)
  assert.equal(aa.agent_tls_protocol, 'TLSv1.2')
  assert.equal(aa.admin_log_targets, null)
  assert.equal(aa.user_log_facility, 0)
  assert.equal(aa.administrative_log_facility, 1)
  assert.deepEqual([aa.log_protocol, aa.log_retry_count, aa.log_retry_interval, aa.log_queue_size], ['UDP', 5, 2, 10000])
  assert.equal(aa.amphora_udp_driver, 'keepalived_lvs')
  assert.deepEqual(config.keepalived_vrrp, {
    vrrp_advert_int: 1, vrrp_check_interval: 5, vrrp_fail_count: 2, vrrp_success_count: 2,
    vrrp_garp_refresh_interval: 5, vrrp_garp_refresh_count: 2,
  })
  assert.deepEqual(config.nova, { enable_anti_affinity: false, anti_affinity_policy: 'anti-affinity', random_amphora_name_length: 0, availability_zone: null })
  assert.deepEqual(config.compute, { max_retries: 15, retry_interval: 1, retry_backoff: 1, retry_max: 10 })
  assert.equal(config.networking.port_detach_timeout, 300)
  assert.deepEqual(config.networking.reserved_ips, ['169.254.169.254'])
  assert.deepEqual([config.database.max_pool_size, config.database.max_overflow, config.database.pool_timeout], [10, 20, 10])
})

test('[quotas] defaults are all -1 (unlimited)', () => {
  assert.deepEqual(config.quotas, {
    default_load_balancer_quota: -1, default_listener_quota: -1, default_member_quota: -1, default_pool_quota: -1,
    default_health_monitor_quota: -1, default_l7policy_quota: -1, default_l7rule_quota: -1,
  })
})

test('role sections: bind, metrics ports and agent defaults', () => {
  assert.deepEqual(config.api.metrics, { enabled: true, address: '127.0.0.1', port: 9877 })
  assert.deepEqual(config.manager.metrics, { enabled: true, address: '127.0.0.1', worker_port: 9878, health_manager_port: 9879, housekeeping_port: 9880 })
  assert.deepEqual(config.agent.metrics, { enabled: true, address: '127.0.0.1', port: 9881 })
  assert.equal(config.agent.capacity, 100)
  assert.equal(config.agent.api_url, null)
  assert.ok(config.agent.name.length > 0)
})

test('both names of an aliased option have the same default', () => {
  for (const [left, right] of ALIASES) {
    const at = (path: string): unknown => path.split('.').reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], config)
    assert.deepEqual(at(left), at(right), `${left} vs ${right}`)
  }
})

test('YAML 1.1 booleans that Salt pillars use are accepted', () => {
  const { config: c } = loadConfig({ env: {}, sets: ['octavia.nova.enable_anti_affinity=yes', 'octavia.api_settings.allow_sorting=off'] })
  assert.equal(c.nova.enable_anti_affinity, true)
  assert.equal(c.api_settings.allow_sorting, false)
})
