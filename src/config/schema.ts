import { DEFAULT_PROJECT_ID, DEFAULT_SUBNET } from './defaults.ts'
import { contains, formatHostPort, isWildcard, overlaps, parseCidr, parseIp } from './ip-address.ts'
import { NEWEST_RELEASE, release } from './openstack-release.ts'
import {
  INVALID, Leaf, bool, cidr, dict, host, hostPort, int, ip, list, listenPort, num, oneOf, port, scalar, str, struct, url, uuid,
  type DefaultContext, type Output,
} from './option.ts'
import { defaultAllocationPools, networkIdFor } from './subnet-defaults.ts'

// The one schema of the operator's configuration: every option, its type and its default.
// Option names and defaults are Octavia's (spec/operations.md §1.3, §5); deviations say why.
// Pillar layout (where each part may be given) is in walk-pillar.ts and docs/configuration.md.

// ---- vocabularies ---------------------------------------------------------------------------

export const DATABASE_ENGINES = ['sqlite', 'mysql', 'postgresql'] as const
export type DatabaseEngine = (typeof DATABASE_ENGINES)[number]
export const IDENTITY_ENGINES = ['noauth', 'headers', 'keystone'] as const
export type IdentityEngine = (typeof IDENTITY_ENGINES)[number]
export const MESSAGE_QUEUE_ENGINES = ['memory', 'rabbitmq'] as const
export type MessageQueueEngine = (typeof MESSAGE_QUEUE_ENGINES)[number]
export const NETWORK_KINDS = ['loopback', 'bridge'] as const
export type NetworkKind = (typeof NETWORK_KINDS)[number]
export const LOADBALANCER_TOPOLOGIES = ['SINGLE', 'ACTIVE_STANDBY'] as const
export type LoadBalancerTopology = (typeof LOADBALANCER_TOPOLOGIES)[number]
export const TLS_VERSIONS = ['SSLv3', 'TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'] as const
export type TlsVersion = (typeof TLS_VERSIONS)[number]
export const ALPN_PROTOCOLS = ['http/1.0', 'http/1.1', 'h2'] as const
export const ROLES = ['api', 'manager', 'agent'] as const
export type Role = (typeof ROLES)[number]

// ---- derived defaults -----------------------------------------------------------------------

/**
 * agent.controllers = health_manager.controller_ip_port_list (the same option, see ALIASES):
 * by default this host's heartbeat receiver, health_manager.bind_ip:bind_port (127.0.0.1 when
 * bind_ip is a wildcard). Octavia's default is [], which leaves amphorae with nowhere to report.
 */
function defaultControllers({ lookup }: DefaultContext): string[] {
  const bindIp = lookup('health_manager.bind_ip') as string
  const bindPort = lookup('health_manager.bind_port') as number
  // Port 0: the port is known only once bound; an agent in the same process is told it then.
  if (bindPort === 0) return []
  const parsed = parseIp(bindIp)
  return [formatHostPort(parsed === null || isWildcard(parsed) ? '127.0.0.1' : bindIp, bindPort)]
}

function fromEnv(name: string, fallback: string): (ctx: DefaultContext) => string {
  return ({ env }) => env[name] ?? fallback
}

// ---- shared option groups (may appear in any role section and directly under `octavia:`) ----

export const database = struct({
  engine: oneOf(DATABASE_ENGINES).default('sqlite'),
  /** sqlite only: the database file, relative to the working directory. */
  path: str({ nonEmpty: true }).default('var/octavia.sqlite'),
  /** Required for mysql and postgresql (config-rules.ts). */
  host: host().nullable(),
  /** Default per engine: mysql 3306, postgresql 5432; none for sqlite. */
  port: port().nullable().computed(({ sibling }) => ({ mysql: 3306, postgresql: 5432, sqlite: null })[sibling('engine') as DatabaseEngine]),
  name: str({ nonEmpty: true }).default('octavia'),
  user: str({ nonEmpty: true }).default('octavia'),
  password: str().markSecret().nullable(),
  // oslo.db pool options with Octavia's defaults (spec/operations.md §5.8).
  max_pool_size: int({ min: 1 }).default(10),
  max_overflow: int({ min: 0 }).default(20),
  pool_timeout: int({ min: 1 }).default(10),
})

export const identity = struct({
  engine: oneOf(IDENTITY_ENGINES).default('noauth'),
  /** noauth: the project of a request that names none. '' = none: such a create is refused (Octavia's behaviour). */
  default_project_id: str({ pattern: /^.{0,36}$/, expected: 'a project id of at most 36 characters' }).default(DEFAULT_PROJECT_ID),
  // keystone: the service credentials used to validate tokens (spec/pillars.md).
  region: str({ nonEmpty: true }).default('RegionOne'),
  /** Required for keystone (config-rules.ts). */
  host: host().nullable(),
  /** Keystone's identity port; the samples use 35357, its legacy admin port. */
  port: port().default(5000),
  user: str({ nonEmpty: true }).default('octavia'),
  /** Required for keystone (config-rules.ts). */
  password: str().markSecret().nullable(),
  tenant: str({ nonEmpty: true }).default('service'),
})

export const messageQueue = struct({
  engine: oneOf(MESSAGE_QUEUE_ENGINES).default('memory'),
  /** Required for rabbitmq (config-rules.ts). */
  host: host().nullable(),
  port: port().default(5672),
  // oslo.messaging's defaults; RabbitMQ accepts guest only from localhost.
  user: str({ nonEmpty: true }).default('guest'),
  password: str().markSecret().default('guest'),
  virtual_host: str({ nonEmpty: true }).default('/'),
})

const BRIDGE_NAME = /^[A-Za-z0-9_.-]{1,15}$/

export const subnet = struct({
  id: uuid(),
  name: str({ nonEmpty: true }),
  cidr: cidr(),
  kind: oneOf(NETWORK_KINDS),
  /** Default: derived from the subnet id (subnet-defaults.ts), stable across hosts. */
  network_id: uuid().computed(({ sibling }) => networkIdFor(sibling('id') as string)),
  gateway_ip: ip().nullable(),
  /** Default: the whole subnet but its first (and IPv4 last) address and the gateway, as Neutron does. */
  allocation_pools: list(struct({ start: ip(), end: ip() }))
    .computed(({ sibling }) => defaultAllocationPools(sibling('cidr') as string, sibling('gateway_ip') as string | null)),
  /** bridge kind: the Linux bridge the amphorae' veths join. */
  bridge: str({ pattern: BRIDGE_NAME, expected: 'a Linux bridge name (1 to 15 letters, digits, ".", "_", "-")' }).nullable(),
}, (value, report) => {
  const parsed = parseCidr(value.cidr)
  if (!parsed.ok) return
  const network = parsed.network
  const loopbackNetwork = network.family === 4 ? network.first >> 24n === 127n && network.prefix >= 8 : network.prefix === 128 && network.first === 1n
  if (value.kind === 'loopback' && !loopbackNetwork) report(['cidr'], `a loopback subnet must lie in 127.0.0.0/8 (or be ::1/128), got "${value.cidr}"`)
  if (value.kind === 'bridge' && value.bridge === null) report(['bridge'], 'required when kind is bridge')
  if (value.kind === 'loopback' && value.bridge !== null) report(['bridge'], 'only for kind bridge')
  const inside = (address: string): boolean => contains(network, parseIp(address)!)
  if (value.gateway_ip !== null && !inside(value.gateway_ip)) report(['gateway_ip'], `"${value.gateway_ip}" is not in ${value.cidr}`)
  value.allocation_pools.forEach((pool, i) => {
    for (const end of ['start', 'end'] as const) {
      if (!inside(pool[end])) report(['allocation_pools', i, end], `"${pool[end]}" is not in ${value.cidr}`)
    }
    if (inside(pool.start) && inside(pool.end) && parseIp(pool.start)!.value > parseIp(pool.end)!.value) {
      report(['allocation_pools', i], `start ${pool.start} is after end ${pool.end}`)
    }
  })
})

export const networks = list(subnet, (subnets, report) => {
  subnets.forEach((s, i) => {
    const earlier = subnets.slice(0, i)
    const sameId = earlier.findIndex((other) => other.id === s.id)
    if (sameId >= 0) report([i, 'id'], `duplicate subnet id, also networks[${sameId}]`)
    const sameName = earlier.findIndex((other) => other.name === s.name)
    if (sameName >= 0) report([i, 'name'], `duplicate subnet name, also networks[${sameName}]`)
    const a = parseCidr(s.cidr)
    const clash = earlier.findIndex((other) => {
      const b = parseCidr(other.cidr)
      return a.ok && b.ok && overlaps(a.network, b.network)
    })
    if (clash >= 0) report([i, 'cidr'], `${s.cidr} overlaps networks[${clash}] (${subnets[clash]!.cidr})`)
  })
}).default([{ ...DEFAULT_SUBNET, gateway_ip: null, allocation_pools: defaultAllocationPools(DEFAULT_SUBNET.cidr, null), bridge: null }])

export const healthManager = struct({
  bind_ip: ip().default('127.0.0.1'),
  /** 0 = a free port (tests, several `octavia up` on one host); agents elsewhere then need controller_ip_port_list. */
  bind_port: listenPort().default(5555),
  failover_threads: int({ min: 1 }).default(10),
  /** None = the CPU count. */
  health_update_threads: int({ min: 1 }).nullable(),
  stats_update_threads: int({ min: 1 }).nullable(),
  /** Required unless every heartbeat stays on this machine (config-rules.ts). */
  heartbeat_key: str({ nonEmpty: true }).markSecret().nullable(),
  heartbeat_timeout: int({ min: 1 }).default(60),
  health_check_interval: int({ min: 1 }).default(3),
  sock_rlimit: int({ min: 0 }).default(0),
  /** Circuit breaker: this many stale amphorae stop automatic failover. */
  failover_threshold: int({ min: 1 }).nullable(),
  /** Same option as agent.controllers (ALIASES); deviation: see defaultControllers. */
  controller_ip_port_list: list(hostPort()).computed(defaultControllers),
  heartbeat_interval: int({ min: 1 }).default(10),
})

// spec/operations.md §1.3; the spare pool options are historical (§2) but still accepted.
export const houseKeeping = struct({
  cleanup_interval: int({ min: 1 }).default(30),
  amphora_expiry_age: int({ min: 0 }).default(604800),
  load_balancer_expiry_age: int({ min: 0 }).default(604800),
  cert_interval: int({ min: 1 }).default(3600),
  cert_expiry_buffer: int({ min: 0 }).default(1209600),
  cert_rotate_threads: int({ min: 1 }).default(10),
  spare_amphora_pool_size: int({ min: 0 }).default(0),
  spare_check_interval: int({ min: 1 }).default(30),
})

export const haproxyAmphora = struct({
  base_path: str({ nonEmpty: true }).default('/var/lib/octavia'),
  base_cert_dir: str({ nonEmpty: true }).default('/var/lib/octavia/certs'),
  haproxy_template: str({ nonEmpty: true }).nullable(),
  connection_logging: bool().default(true),
  connection_max_retries: int({ min: 1 }).default(120),
  connection_retry_interval: int({ min: 1 }).default(5),
  active_connection_max_retries: int({ min: 1 }).default(15),
  active_connection_retry_interval: int({ min: 1 }).default(2),
  failover_connection_max_retries: int({ min: 1 }).default(2),
  failover_connection_retry_interval: int({ min: 1 }).default(5),
  /** -1 = unlimited. */
  build_rate_limit: int({ min: -1 }).default(-1),
  build_active_retries: int({ min: 1 }).default(120),
  build_retry_interval: int({ min: 1 }).default(5),
  haproxy_stick_size: str({ pattern: /^\d+[kmg]?$/i, expected: 'a size such as 10k' }).default('10k'),
  // spec/haproxy-mapping.md §4.
  user_log_format: str({ nonEmpty: true })
    .default('{{ project_id }} {{ lb_id }} %f %ci %cp %t %{+Q}r %ST %B %U %[ssl_c_verify] %{+Q}[ssl_c_s_dn] %b %s %Tt %tsc'),
  /** Same option as agent.bind.address (ALIASES). Deviation: Octavia's '::' fails where IPv6 is off, and a fresh machine should expose nothing. */
  bind_host: ip().default('127.0.0.1'),
  /** Same option as agent.bind.port (ALIASES); 0 = a free port (tests). */
  bind_port: listenPort().default(9443),
  lb_network_interface: str({ nonEmpty: true }).default('o-hm0'),
  haproxy_cmd: str({ nonEmpty: true }).default('/usr/sbin/haproxy'),
  /** Deprecated and unused, accepted for old pillars. */
  respawn_count: int({ min: 0 }).default(2),
  respawn_interval: int({ min: 0 }).default(2),
  rest_request_conn_timeout: num({ min: 0 }).default(10),
  rest_request_read_timeout: num({ min: 0 }).default(60),
  timeout_client_data: int({ min: 0 }).default(50000),
  timeout_member_connect: int({ min: 0 }).default(5000),
  timeout_member_data: int({ min: 0 }).default(50000),
  timeout_tcp_inspect: int({ min: 0 }).default(0),
  client_cert: str({ nonEmpty: true }).default('/etc/octavia/certs/client.pem'),
  /** The samples' split of client_cert into key, and cert+key in one PEM (spec/pillars.md). */
  client_cert_key: str({ nonEmpty: true }).nullable(),
  client_cert_all: str({ nonEmpty: true }).nullable(),
  server_ca: str({ nonEmpty: true }).default('/etc/octavia/certs/server_ca.pem'),
  api_db_commit_retry_attempts: int({ min: 1 }).default(15),
  api_db_commit_retry_initial_delay: int({ min: 0 }).default(1),
  api_db_commit_retry_backoff: int({ min: 0 }).default(1),
  api_db_commit_retry_max: int({ min: 0 }).default(5),
  default_connection_limit: int({ min: 1 }).default(50000),
})

export const controllerWorker = struct({
  workers: int({ min: 1 }).default(1),
  amp_active_retries: int({ min: 1 }).default(30),
  amp_active_wait_sec: int({ min: 1 }).default(10),
  /** Maps onto an agent-side resource profile (DESIGN.md); stored and shown. */
  amp_flavor_id: str().default(''),
  amp_image_tag: str().default(''),
  amp_image_owner_id: str().default(''),
  amp_ssh_key_name: str().default(''),
  amp_timezone: str({ nonEmpty: true }).default('UTC'),
  amp_boot_network_list: list(str({ nonEmpty: true })).default([]),
  amp_secgroup_list: list(str({ nonEmpty: true })).default([]),
  client_ca: str({ nonEmpty: true }).default('/etc/octavia/certs/ca_01.pem'),
  // Driver names are Octavia's entry points; which of ours each selects is the drivers' business.
  amphora_driver: str({ nonEmpty: true }).default('amphora_haproxy_rest_driver'),
  compute_driver: str({ nonEmpty: true }).default('compute_nova_driver'),
  network_driver: str({ nonEmpty: true }).default('allowed_address_pairs_driver'),
  volume_driver: str({ nonEmpty: true }).default('volume_noop_driver'),
  image_driver: str({ nonEmpty: true }).default('image_glance_driver'),
  distributor_driver: str({ nonEmpty: true }).default('distributor_noop_driver'),
  statistics_drivers: list(oneOf(['stats_db', 'stats_logger'])).default(['stats_db']),
  loadbalancer_topology: oneOf(LOADBALANCER_TOPOLOGIES).default('SINGLE'),
  /** Deprecated. */
  user_data_config_drive: bool().default(false),
  amphora_delete_retries: int({ min: 1 }).default(5),
  amphora_delete_retry_interval: int({ min: 0 }).default(5),
  event_notifications: bool().default(true),
  db_commit_retry_attempts: int({ min: 1 }).default(2000),
  db_commit_retry_initial_delay: int({ min: 0 }).default(1),
  db_commit_retry_backoff: int({ min: 0 }).default(1),
  db_commit_retry_max: int({ min: 0 }).default(5),
  // Ours (Octavia has TaskFlow's per-task retry controllers instead): a task that fails with a
  // transient error is retried this many times, the job handed back between tries, waiting
  // initial_delay + backoff per retry up to max seconds; then the flow is reverted.
  task_retry_attempts: int({ min: 0 }).default(5),
  task_retry_initial_delay: num({ min: 0 }).default(1),
  task_retry_backoff: num({ min: 0 }).default(1),
  task_retry_max: num({ min: 0 }).default(10),
  /** Ours: seconds between a worker's looks for due jobs when no queue message came (a lost message waits this long). */
  job_poll_interval: num({ min: 0.01 }).default(1),
})

// Octavia reads several of these defaults from the environment (spec/operations.md §5.5); so do we,
// from the environment given to loadConfig.
export const certificates = struct({
  cert_manager: str({ nonEmpty: true }).default('barbican_cert_manager'),
  cert_generator: str({ nonEmpty: true }).default('local_cert_generator'),
  barbican_auth: str({ nonEmpty: true }).default('barbican_acl_auth'),
  service_name: str({ nonEmpty: true }).nullable(),
  endpoint: url().nullable(),
  region_name: str({ nonEmpty: true }).nullable(),
  endpoint_type: str({ nonEmpty: true }).default('publicURL'),
  ca_certificates_file: str({ nonEmpty: true }).nullable(),
  insecure: bool().default(false),
  ca_certificate: str({ nonEmpty: true }).computed(fromEnv('OS_OCTAVIA_TLS_CA_CERT', '/etc/ssl/certs/ssl-cert-snakeoil.pem')),
  ca_private_key: str({ nonEmpty: true }).computed(fromEnv('OS_OCTAVIA_TLS_CA_KEY', '/etc/ssl/private/ssl-cert-snakeoil.key')),
  ca_private_key_passphrase: str().markSecret().nullable().computed(({ env }) => env.OS_OCTAVIA_CA_KEY_PASS ?? null),
  /** Fernet keys, 32 characters each; the first encrypts, all decrypt. */
  server_certs_key_passphrase: list(str({ pattern: /^.{32}$/, expected: 'a string of exactly 32 characters' }).markSecret())
    .markSecret().computed(({ env }) => [env.TLS_PASS_AMPS_DEFAULT ?? 'insecure-key-do-not-use-this-key']),
  signing_digest: oneOf(['sha1', 'sha224', 'sha256', 'sha384', 'sha512']).computed(({ env }) => {
    const digest = env.OS_OCTAVIA_CA_SIGNING_DIGEST
    return digest === 'sha1' || digest === 'sha224' || digest === 'sha384' || digest === 'sha512' ? digest : 'sha256'
  }),
  cert_validity_time: int({ min: 1 }).default(2592000),
  storage_path: str({ nonEmpty: true }).computed(fromEnv('OS_OCTAVIA_TLS_STORAGE', '/var/lib/octavia/certificates/')),
})

const DEFAULT_CIPHERS = [
  'TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256',
  'ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES128-GCM-SHA256', 'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384', 'ECDHE-ECDSA-CHACHA20-POLY1305', 'ECDHE-RSA-CHACHA20-POLY1305',
  'DHE-RSA-AES128-GCM-SHA256', 'DHE-RSA-AES256-GCM-SHA384', 'DHE-RSA-CHACHA20-POLY1305',
].join(':')

/** Octavia's StrOpt: an integer, a numeric string, or "infinite"; negative or infinite = no limit. */
function paginationLimit(): Leaf<number | 'infinite'> {
  return new Leaf('an integer or "infinite"', (input) => {
    if (input === 'infinite') return 'infinite'
    const value = typeof input === 'string' && /^-?\d+$/.test(input) ? Number(input) : input
    return typeof value === 'number' && Number.isSafeInteger(value) ? value : INVALID
  }, false)
}

export const apiSettings = struct({
  /** Same option as api.bind.address (ALIASES). */
  bind_host: ip().default('127.0.0.1'),
  /** Same option as api.bind.port (ALIASES). */
  bind_port: listenPort().default(9876),
  /** Same option as identity.engine (ALIASES); deviation: Octavia defaults to keystone, our embedded default is noauth. */
  auth_strategy: oneOf(IDENTITY_ENGINES).default('noauth'),
  allow_pagination: bool().default(true),
  allow_sorting: bool().default(true),
  allow_filtering: bool().default(true),
  allow_field_selection: bool().default(true),
  pagination_max_limit: paginationLimit().default(1000),
  /** None = taken from the request. */
  api_base_uri: url().nullable(),
  allow_tls_terminated_listeners: bool().default(true),
  allow_ping_health_monitors: bool().default(true),
  allow_prometheus_listeners: bool().default(true),
  enabled_provider_drivers: dict(str()).default({
    amphora: 'The Octavia Amphora driver.',
    octavia: 'Deprecated alias of the Octavia Amphora driver.',
  }),
  default_provider_driver: str({ nonEmpty: true }).default('amphora'),
  /** Negative = no limit. */
  udp_connect_min_interval_health_monitor: int().default(3),
  /** Deviation: Octavia defaults to False; we serve /healthcheck out of the box (DESIGN.md principle 7). */
  healthcheck_enabled: bool().default(true),
  healthcheck_refresh_interval: int({ min: 1 }).default(5),
  default_listener_ciphers: str().default(DEFAULT_CIPHERS),
  default_pool_ciphers: str().default(DEFAULT_CIPHERS),
  tls_cipher_prohibit_list: str().default(''),
  default_listener_tls_versions: list(oneOf(TLS_VERSIONS)).default(['TLSv1.2', 'TLSv1.3']),
  default_pool_tls_versions: list(oneOf(TLS_VERSIONS)).default(['TLSv1.2', 'TLSv1.3']),
  minimum_tls_version: oneOf(TLS_VERSIONS).nullable(),
  default_listener_alpn_protocols: list(oneOf(ALPN_PROTOCOLS)).default(['h2', 'http/1.1', 'http/1.0']),
  default_pool_alpn_protocols: list(oneOf(ALPN_PROTOCOLS)).default(['h2', 'http/1.1', 'http/1.0']),
})

const redisSslOptions = struct({
  ssl: bool().default(false),
  ssl_keyfile: str({ nonEmpty: true }).nullable(),
  ssl_certfile: str({ nonEmpty: true }).nullable(),
  ssl_ca_certs: str({ nonEmpty: true }).nullable(),
  ssl_cert_reqs: oneOf(['none', 'optional', 'required']).default('required'),
})

export const taskFlow = struct({
  engine: oneOf(['parallel', 'serial']).default('parallel'),
  max_workers: int({ min: 1 }).default(5),
  disable_revert: bool().default(false),
  /** A database URL, so it may hold a password. */
  persistence_connection: str({ nonEmpty: true }).markSecret().default('sqlite://'),
  jobboard_enabled: bool().default(false),
  jobboard_backend_driver: oneOf(['redis_taskflow_driver', 'zookeeper_taskflow_driver', 'etcd_taskflow_driver']).default('redis_taskflow_driver'),
  jobboard_backend_hosts: list(host()).default(['127.0.0.1']),
  jobboard_backend_port: port().default(6379),
  jobboard_backend_username: str({ nonEmpty: true }).nullable(),
  jobboard_backend_password: str().markSecret().nullable(),
  jobboard_backend_namespace: str({ nonEmpty: true }).default('octavia_jobboard'),
  jobboard_redis_backend_db: int({ min: 0 }).default(0),
  jobboard_redis_sentinel: str({ nonEmpty: true }).nullable(),
  jobboard_redis_sentinel_username: str({ nonEmpty: true }).nullable(),
  jobboard_redis_sentinel_password: str().markSecret().nullable(),
  jobboard_redis_backend_ssl_options: redisSslOptions,
  jobboard_redis_sentinel_ssl_options: redisSslOptions,
  // Free-form like Octavia's DictOpt; a given mapping replaces the default one.
  jobboard_zookeeper_ssl_options: dict(scalar()).default({ use_ssl: false, verify_certs: true }),
  jobboard_etcd_ssl_options: dict(scalar()).default({ use_ssl: false }),
  jobboard_etcd_timeout: int({ min: 1 }).nullable(),
  jobboard_etcd_api_path: str({ nonEmpty: true }).nullable(),
  jobboard_expiration_time: int({ min: 1 }).default(30),
  jobboard_save_logbook: bool().default(false),
})

export const keepalivedVrrp = struct({
  vrrp_advert_int: int({ min: 1 }).default(1),
  vrrp_check_interval: int({ min: 1 }).default(5),
  vrrp_fail_count: int({ min: 1 }).default(2),
  vrrp_success_count: int({ min: 1 }).default(2),
  vrrp_garp_refresh_interval: int({ min: 0 }).default(5),
  vrrp_garp_refresh_count: int({ min: 0 }).default(2),
})

export const nova = struct({
  enable_anti_affinity: bool().default(false),
  anti_affinity_policy: oneOf(['anti-affinity', 'soft-anti-affinity']).default('anti-affinity'),
  /** 0 = names `amphora-<uuid>`. */
  random_amphora_name_length: int({ min: 0, max: 255 }).default(0),
  availability_zone: str({ nonEmpty: true }).nullable(),
})

const retryOptions = {
  max_retries: int({ min: 0 }).default(15),
  retry_interval: int({ min: 0 }).default(1),
  retry_backoff: int({ min: 0 }).default(1),
  retry_max: int({ min: 0 }).default(10),
}

export const compute = struct({ ...retryOptions })

export const networking = struct({
  ...retryOptions,
  port_detach_timeout: int({ min: 1 }).default(300),
  /** Never allowed as a member address. */
  reserved_ips: list(ip()).default(['169.254.169.254']),
})

export const amphoraAgent = struct({
  agent_server_ca: str({ nonEmpty: true }).default('/etc/octavia/certs/client_ca.pem'),
  agent_server_cert: str({ nonEmpty: true }).default('/etc/octavia/certs/server.pem'),
  /** None = /etc/octavia/interfaces/. */
  agent_server_network_dir: str({ nonEmpty: true }).nullable(),
  agent_request_read_timeout: int({ min: 1 }).default(180),
  agent_tls_protocol: oneOf(['TLSv1.2', 'TLSv1.3']).default('TLSv1.2'),
  /** None = no remote logging. */
  admin_log_targets: list(hostPort()).nullable(),
  tenant_log_targets: list(hostPort()).nullable(),
  user_log_facility: int({ min: 0, max: 7 }).default(0),
  administrative_log_facility: int({ min: 0, max: 7 }).default(1),
  log_protocol: oneOf(['UDP', 'TCP']).default('UDP'),
  log_retry_count: int({ min: 0 }).default(5),
  log_retry_interval: int({ min: 0 }).default(2),
  log_queue_size: int({ min: 1 }).default(10000),
  forward_all_logs: bool().default(false),
  disable_local_log_storage: bool().default(false),
  /** Deprecated. */
  amphora_udp_driver: str({ nonEmpty: true }).default('keepalived_lvs'),
})

// spec/api-v2.md §14.1: -1 = unlimited, 0 = none allowed.
const quota = (): Leaf<number> => int({ min: -1, max: 2000000000 }).default(-1)

export const quotas = struct({
  default_load_balancer_quota: quota(),
  default_listener_quota: quota(),
  default_member_quota: quota(),
  default_pool_quota: quota(),
  default_health_monitor_quota: quota(),
  default_l7policy_quota: quota(),
  default_l7rule_quota: quota(),
})

// oslo.policy's options (rbac.md §2): which base rules apply and the operator's overrides.
export const osloPolicy = struct({
  /** true: the secure-RBAC defaults alone (rbac.md §2.1); false: the legacy load-balancer_* roles also pass (§2.2). */
  enforce_new_defaults: bool().default(true),
  /** A caller without a project (unscoped or system-scoped token) passes no policy (rbac.md §2); noauth is exempt. */
  enforce_scope: bool().default(true),
  /**
   * YAML (or JSON) mapping rule names to check strings, overriding the defaults (rbac.md §1).
   * Deviation: oslo defaults to policy.yaml searched in the config directories; None = no overrides.
   */
  policy_file: str({ nonEmpty: true }).nullable(),
})

export const ssh = struct({
  /** Key for operator access to amphorae (PEM text). */
  private_key: str({ nonEmpty: true }).markSecret().nullable(),
  /** System user and group the services run as; None = whoever starts them. */
  user: str({ nonEmpty: true }).nullable(),
  group: str({ nonEmpty: true }).nullable(),
})

/** `version`: the release the rendered configuration targets; default: the newest we know. */
export const version = release().default(NEWEST_RELEASE)

/** Every group that may appear in a role section and directly under `octavia:`; they must agree. */
export const GROUPS = {
  version,
  database,
  identity,
  message_queue: messageQueue,
  networks,
  api_settings: apiSettings,
  health_manager: healthManager,
  house_keeping: houseKeeping,
  haproxy_amphora: haproxyAmphora,
  controller_worker: controllerWorker,
  certificates,
  task_flow: taskFlow,
  keepalived_vrrp: keepalivedVrrp,
  nova,
  compute,
  networking,
  amphora_agent: amphoraAgent,
  quotas,
  oslo_policy: osloPolicy,
  ssh,
} as const
export type GroupName = keyof typeof GROUPS

// ---- role sections: keys that only make sense in `octavia.<role>` -----------------------------

const metricsAddress = (): Leaf<string> => ip().default('127.0.0.1')

export const api = struct({
  /** Same as api_settings.bind_host/bind_port (ALIASES). */
  bind: struct({ address: ip().default('127.0.0.1'), port: listenPort().default(9876) }),
  /** Prometheus /metrics; `octavia up` (all roles in one process) serves all metrics here. */
  metrics: struct({ enabled: bool().default(true), address: metricsAddress(), port: listenPort().default(9877) }),
  /** Processes serving the API on the bind port (Octavia runs its API under uWSGI with several): more than 1 uses more CPUs. */
  workers: int({ min: 1, max: 64 }).default(1),
})

export const manager = struct({
  metrics: struct({
    enabled: bool().default(true),
    address: metricsAddress(),
    worker_port: listenPort().default(9878),
    health_manager_port: listenPort().default(9879),
    housekeeping_port: listenPort().default(9880),
  }),
})

export const agent = struct({
  /** Same as haproxy_amphora.bind_host/bind_port (ALIASES): the agent's mTLS REST API. */
  bind: struct({ address: ip().default('127.0.0.1'), port: listenPort().default(9443) }),
  /** This host's id among the agents (an amphora's compute_id names it). */
  name: str({ pattern: /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, expected: 'a host name (letters, digits, ".", "_", "-")' })
    .computed(({ hostname }) => hostname),
  state_dir: str({ nonEmpty: true }).default('var/agent'),
  /** Heartbeat destinations; same option as health_manager.controller_ip_port_list (ALIASES). */
  controllers: list(hostPort()).computed(defaultControllers),
  /** Reserved for self-registration (not used yet): agents are registered with `octavia host register`; `octavia up` registers its own. */
  api_url: url().nullable(),
  /** Most amphorae this agent runs; the compute driver schedules no more onto it. */
  capacity: int({ min: 1 }).default(100),
  metrics: struct({ enabled: bool().default(true), address: metricsAddress(), port: listenPort().default(9881) }),
})

export const ROLE_SECTIONS = { api, manager, agent } as const

/**
 * Pairs of effective paths that are one option under two names: a role-section spelling and
 * Octavia's. Given in both places they must agree; given in one, both take it.
 */
export const ALIASES: readonly (readonly [string, string])[] = [
  ['api.bind.address', 'api_settings.bind_host'],
  ['api.bind.port', 'api_settings.bind_port'],
  ['agent.bind.address', 'haproxy_amphora.bind_host'],
  ['agent.bind.port', 'haproxy_amphora.bind_port'],
  ['agent.controllers', 'health_manager.controller_ip_port_list'],
  ['identity.engine', 'api_settings.auth_strategy'],
]

export const roles = struct({ api: bool().default(false), manager: bool().default(false), agent: bool().default(false) })

/** The effective configuration, in the order `octavia config show` prints it (sources added by the loader). */
const { version: _version, ...OPTION_GROUPS } = GROUPS
export const CONFIG_SCHEMA = struct({ version, roles, ...ROLE_SECTIONS, ...OPTION_GROUPS })

// ---- types ----------------------------------------------------------------------------------

export type OctaviaConfig = Output<typeof CONFIG_SCHEMA> & {
  /** The pillar files loaded, in order; empty for the embedded default. */
  readonly sources: readonly string[]
}
export type RolesConfig = Output<typeof roles>
export type ApiConfig = Output<typeof api>
export type ManagerConfig = Output<typeof manager>
export type AgentConfig = Output<typeof agent>
export type DatabaseConfig = Output<typeof database>
export type IdentityConfig = Output<typeof identity>
export type MessageQueueConfig = Output<typeof messageQueue>
/** One subnet of `networks`. */
export type NetworkConfig = Output<typeof subnet>
export type ApiSettingsConfig = Output<typeof apiSettings>
export type HealthManagerConfig = Output<typeof healthManager>
export type HouseKeepingConfig = Output<typeof houseKeeping>
export type HaproxyAmphoraConfig = Output<typeof haproxyAmphora>
export type ControllerWorkerConfig = Output<typeof controllerWorker>
export type CertificatesConfig = Output<typeof certificates>
export type TaskFlowConfig = Output<typeof taskFlow>
export type KeepalivedVrrpConfig = Output<typeof keepalivedVrrp>
export type NovaConfig = Output<typeof nova>
export type ComputeConfig = Output<typeof compute>
export type NetworkingConfig = Output<typeof networking>
export type AmphoraAgentConfig = Output<typeof amphoraAgent>
export type QuotasConfig = Output<typeof quotas>
export type SshConfig = Output<typeof ssh>
export type OsloPolicyConfig = Output<typeof osloPolicy>
