import { test } from 'node:test'
import assert from 'node:assert/strict'
import { DEFAULT_SUBNET_ID } from '../../../src/config/defaults.ts'
import { startApi, type ApiHarness } from '../../helpers/api-harness.ts'
import { NOOP_DEFAULT_PROVIDER } from '../../helpers/noop-provider.ts'

// The single-call ("full graph") load balancer create of spec/api-v2.md §8.3.

const LBS = '/v2/lbaas/loadbalancers'

type Json = Record<string, unknown>
type GraphPool = Json & { members: Json[]; healthmonitor: Json | null; listeners: Json[] }
type GraphLb = Json & { listeners: Json[]; pools: GraphPool[] }

const V = (detail: string) => `Validation failure: ${detail}`

function post(api: ApiHarness, loadbalancer: Json) {
  return api.app.inject({ method: 'POST', url: LBS, payload: { loadbalancer: { vip_subnet_id: DEFAULT_SUBNET_ID, ...loadbalancer } } })
}

async function createGraph(api: ApiHarness, loadbalancer: Json): Promise<GraphLb> {
  const res = await post(api, loadbalancer)
  assert.equal(res.statusCode, 201, res.body)
  return (res.json() as { loadbalancer: GraphLb }).loadbalancer
}

async function get(api: ApiHarness, url: string): Promise<Json> {
  const res = await api.app.inject({ method: 'GET', url })
  assert.equal(res.statusCode, 200, `${url}: ${res.body}`)
  return res.json() as Json
}

async function settled(api: ApiHarness, lbId: string): Promise<Json> {
  return (await api.until(`${LBS}/${lbId}`, (b) => (b.loadbalancer as Json).provisioning_status === 'ACTIVE')).loadbalancer as Json
}

function fault(res: { statusCode: number; json(): unknown }): { status: number; faultstring: string } {
  return { status: res.statusCode, faultstring: (res.json() as { faultstring: string }).faultstring }
}

/** What stays the same between the 201 and a GET once the worker is done. */
function withoutStatuses(o: Json): Json {
  const { provisioning_status: _p, operating_status: _o, updated_at: _u, ...rest } = o
  return rest
}

function without(o: Json, ...keys: string[]): Json {
  return Object.fromEntries(Object.entries(o).filter(([key]) => !keys.includes(key)))
}

const keys = (o: unknown) => Object.keys(o as Json).sort()

// The listener of spec/api-v2.md §9.1 without `loadbalancers`; the pool of §10.1 without
// `loadbalancers`/`healthmonitor_id`, with `healthmonitor`; the monitor of §12.1 without `pools`.
const LISTENER_KEYS = [
  'admin_state_up', 'allowed_cidrs', 'alpn_protocols', 'client_authentication', 'client_ca_tls_container_ref', 'client_crl_container_ref',
  'connection_limit', 'created_at', 'default_pool_id', 'default_tls_container_ref', 'description', 'hsts_include_subdomains', 'hsts_max_age',
  'hsts_preload', 'id', 'insert_headers', 'l7policies', 'name', 'operating_status', 'project_id', 'protocol', 'protocol_port',
  'provisioning_status', 'sni_container_refs', 'tags', 'tenant_id', 'timeout_client_data', 'timeout_member_connect', 'timeout_member_data',
  'timeout_tcp_inspect', 'tls_ciphers', 'tls_versions', 'updated_at',
]
const POOL_KEYS = [
  'admin_state_up', 'alpn_protocols', 'ca_tls_container_ref', 'created_at', 'crl_container_ref', 'description', 'healthmonitor', 'id',
  'lb_algorithm', 'listeners', 'members', 'name', 'operating_status', 'project_id', 'protocol', 'provisioning_status', 'session_persistence',
  'tags', 'tenant_id', 'tls_ciphers', 'tls_container_ref', 'tls_enabled', 'tls_versions', 'updated_at',
]
const MONITOR_KEYS = [
  'admin_state_up', 'created_at', 'delay', 'domain_name', 'expected_codes', 'http_method', 'http_version', 'id', 'max_retries',
  'max_retries_down', 'name', 'operating_status', 'project_id', 'provisioning_status', 'tags', 'tenant_id', 'timeout', 'type',
  'updated_at', 'url_path',
]
const MEMBER_KEYS = [
  'address', 'admin_state_up', 'backup', 'created_at', 'id', 'monitor_address', 'monitor_port', 'name', 'operating_status', 'project_id',
  'protocol_port', 'provisioning_status', 'subnet_id', 'tags', 'tenant_id', 'updated_at', 'vnic_type', 'weight',
]

const SERVICE = 'kube_service_kubernetes_default_web'

/** cloud-provider-openstack's create for a Service with keep-client-IP (pkg/openstack/loadbalancer.go). */
function cloudProviderCreate(): Json {
  return {
    name: SERVICE,
    description: 'Kubernetes external service default/web from cluster kubernetes',
    provider: 'amphora',
    tags: [SERVICE],
    listeners: [{
      name: `listener_0_${SERVICE}`, protocol: 'HTTP', protocol_port: 80, connection_limit: -1, tags: [SERVICE],
      timeout_client_data: 50000, timeout_member_data: 50000, timeout_member_connect: 5000, timeout_tcp_inspect: 0,
      insert_headers: { 'X-Forwarded-For': 'true' },
      allowed_cidrs: ['10.0.0.5/8', '192.0.2.0/24'],
      default_pool: {
        name: `pool_0_${SERVICE}`, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', tags: [SERVICE],
        members: [
          { name: 'node-1', address: '10.0.0.11', protocol_port: 30080, subnet_id: DEFAULT_SUBNET_ID },
          { name: 'node-2', address: '10.0.0.12', protocol_port: 30080, subnet_id: DEFAULT_SUBNET_ID, monitor_port: 32000 },
        ],
        healthmonitor: {
          name: `monitor_0_${SERVICE}`, type: 'HTTP', delay: 5, timeout: 3, max_retries: 1, max_retries_down: 3,
          http_method: 'GET', url_path: '/healthz', expected_codes: '200',
        },
      },
    }],
  }
}

test('cloud-provider-openstack\'s single POST: 201 with the whole graph fully rendered, PENDING_CREATE, members OFFLINE under a monitor', async (t) => {
  const api = await startApi(t)
  const lb = await createGraph(api, cloudProviderCreate())
  assert.equal(lb.provisioning_status, 'PENDING_CREATE')
  assert.equal(lb.operating_status, 'OFFLINE')
  assert.deepEqual(lb.tags, [SERVICE])

  assert.equal(lb.listeners.length, 1)
  const listener = lb.listeners[0]!
  assert.deepEqual(keys(listener), LISTENER_KEYS)
  assert.deepEqual([listener.name, listener.protocol, listener.protocol_port, listener.provisioning_status, listener.operating_status],
    [`listener_0_${SERVICE}`, 'HTTP', 80, 'PENDING_CREATE', 'OFFLINE'])
  assert.deepEqual(listener.insert_headers, { 'X-Forwarded-For': 'true' })
  assert.deepEqual([listener.timeout_client_data, listener.timeout_member_data, listener.timeout_member_connect, listener.timeout_tcp_inspect],
    [50000, 50000, 5000, 0])
  assert.deepEqual(listener.allowed_cidrs, ['10.0.0.0/8', '192.0.2.0/24'])
  assert.deepEqual(listener.l7policies, [])
  assert.deepEqual([listener.tags, listener.connection_limit, listener.project_id], [[SERVICE], -1, lb.project_id])

  assert.equal(lb.pools.length, 1)
  const pool = lb.pools[0]!
  assert.deepEqual(keys(pool), POOL_KEYS)
  assert.equal(listener.default_pool_id, pool.id)
  assert.deepEqual([pool.name, pool.protocol, pool.lb_algorithm, pool.provisioning_status, pool.operating_status],
    [`pool_0_${SERVICE}`, 'HTTP', 'ROUND_ROBIN', 'PENDING_CREATE', 'OFFLINE'])
  assert.deepEqual(pool.listeners, [{ id: listener.id }])

  const monitor = pool.healthmonitor!
  assert.deepEqual(keys(monitor), MONITOR_KEYS)
  assert.deepEqual([monitor.type, monitor.delay, monitor.timeout, monitor.max_retries, monitor.max_retries_down, monitor.url_path,
    monitor.http_method, monitor.expected_codes, monitor.provisioning_status, monitor.operating_status],
  ['HTTP', 5, 3, 1, 3, '/healthz', 'GET', '200', 'PENDING_CREATE', 'OFFLINE'])

  assert.deepEqual(pool.members.map((m) => keys(m)), [MEMBER_KEYS, MEMBER_KEYS])
  assert.deepEqual(pool.members.map((m) => [m.name, m.address, m.protocol_port, m.monitor_port, m.weight, m.provisioning_status, m.operating_status]), [
    ['node-1', '10.0.0.11', 30080, null, 1, 'PENDING_CREATE', 'OFFLINE'],
    ['node-2', '10.0.0.12', 30080, 32000, 1, 'PENDING_CREATE', 'OFFLINE'],
  ])

  // The worker: everything ACTIVE, the monitor ONLINE, members OFFLINE until heartbeats say otherwise.
  const active = await settled(api, String(lb.id))
  assert.deepEqual(active.listeners, [{ id: listener.id }])
  assert.deepEqual(active.pools, [{ id: pool.id }])
  const shownListener = (await get(api, `/v2/lbaas/listeners/${String(listener.id)}`)).listener as Json
  assert.deepEqual([shownListener.provisioning_status, shownListener.operating_status], ['ACTIVE', 'OFFLINE'])
  // The 201 shows what a GET shows, minus the `loadbalancers` key.
  assert.deepEqual(withoutStatuses(listener), withoutStatuses(without(shownListener, 'loadbalancers')))
  const shownPool = (await get(api, `/v2/lbaas/pools/${String(pool.id)}`)).pool as Json
  assert.equal(shownPool.provisioning_status, 'ACTIVE')
  assert.equal(shownPool.healthmonitor_id, monitor.id)
  assert.deepEqual(withoutStatuses(without(pool, 'healthmonitor', 'members')), withoutStatuses(without(shownPool, 'loadbalancers', 'healthmonitor_id', 'members')))
  const shownMonitor = (await get(api, `/v2/lbaas/healthmonitors/${String(monitor.id)}`)).healthmonitor as Json
  assert.deepEqual([shownMonitor.provisioning_status, shownMonitor.operating_status], ['ACTIVE', 'ONLINE'])
  assert.deepEqual(withoutStatuses(monitor), withoutStatuses(without(shownMonitor, 'pools')))
  for (const member of pool.members) {
    const shown = (await get(api, `/v2/lbaas/pools/${String(pool.id)}/members/${String(member.id)}`)).member as Json
    assert.deepEqual([shown.provisioning_status, shown.operating_status], ['ACTIVE', 'OFFLINE'])
    assert.deepEqual(withoutStatuses(member), withoutStatuses(shown))
  }
})

test('pools by name: a listener\'s default_pool naming a top-level pool uses it; an inline definition becomes a pool of the LB', async (t) => {
  const api = await startApi(t, { sets: NOOP_DEFAULT_PROVIDER })
  const lb = await createGraph(api, {
    pools: [
      { name: 'shared', protocol: 'HTTP', lb_algorithm: 'LEAST_CONNECTIONS', members: [{ address: '192.0.2.10', protocol_port: 8080 }] },
      // Used by no listener: its monitor is created but stays OFFLINE (spec/flows.md §4.1 step 9).
      { name: 'spare', protocol: 'TCP', lb_algorithm: 'SOURCE_IP', healthmonitor: { type: 'TCP', delay: 10, timeout: 5, max_retries: 2 } },
    ],
    listeners: [
      { protocol: 'HTTP', protocol_port: 80, default_pool: { name: 'shared' } },
      // A name with only the defaulted fields is still a reference.
      { protocol: 'HTTP', protocol_port: 8080, default_pool: { name: 'shared', admin_state_up: true, tls_enabled: false } },
      { protocol: 'TCP', protocol_port: 443, default_pool: { name: 'inline', protocol: 'TCP', lb_algorithm: 'ROUND_ROBIN',
        healthmonitor: { type: 'TCP', delay: 5, timeout: 3, max_retries: 3, admin_state_up: false } } },
      { protocol: 'UDP', protocol_port: 80 },
    ],
  })
  const pools = new Map(lb.pools.map((p) => [p.name, p]))
  // Creation order: top-level pools, then the definitions listeners carried inline.
  assert.deepEqual(lb.pools.map((p) => p.name), ['shared', 'spare', 'inline'])
  const [http, alt, tcp, udp] = lb.listeners
  assert.deepEqual(lb.listeners.map((l) => [l.protocol, l.protocol_port, l.default_pool_id]), [
    ['HTTP', 80, pools.get('shared')!.id], ['HTTP', 8080, pools.get('shared')!.id], ['TCP', 443, pools.get('inline')!.id], ['UDP', 80, null],
  ])
  assert.deepEqual(pools.get('shared')!.listeners, [{ id: http!.id }, { id: alt!.id }])
  assert.deepEqual(pools.get('spare')!.listeners, [])
  assert.deepEqual(pools.get('inline')!.listeners, [{ id: tcp!.id }])
  assert.ok(udp)
  // Members of a pool without a monitor are NO_MONITOR.
  assert.equal(pools.get('shared')!.healthmonitor, null)
  assert.deepEqual(pools.get('shared')!.members.map((m) => m.operating_status), ['NO_MONITOR'])

  await settled(api, String(lb.id))
  const monitor = async (name: string) =>
    (await get(api, `/v2/lbaas/healthmonitors/${String(pools.get(name)!.healthmonitor!.id)}`)).healthmonitor as Json
  // Only enabled monitors of pools a listener uses go ONLINE with the create.
  assert.deepEqual([(await monitor('spare')).operating_status, (await monitor('spare')).provisioning_status], ['OFFLINE', 'ACTIVE'])
  assert.deepEqual([(await monitor('inline')).operating_status, (await monitor('inline')).provisioning_status], ['OFFLINE', 'ACTIVE'])
  const members = (await get(api, `/v2/lbaas/pools/${String(pools.get('shared')!.id)}/members`)).members as Json[]
  assert.deepEqual(members.map((m) => [m.provisioning_status, m.operating_status]), [['ACTIVE', 'NO_MONITOR']])
})

test('each naming rule of the full graph answers its validation failure, and nothing is written', async (t) => {
  const api = await startApi(t)
  const before = await api.counts()
  const http = (pool: Json | undefined, port = 80): Json => ({ protocol: 'HTTP', protocol_port: port, ...(pool && { default_pool: pool }) })
  const full = (name: string): Json => ({ name, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' })
  const cases: Array<[Json, string]> = [
    [{ listeners: [http({ protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' })] }, V('Pools must be named when creating a fully populated loadbalancer.')],
    [{ listeners: [http({ name: '' })] }, V('Pools must be named when creating a fully populated loadbalancer.')],
    [{ pools: [{ protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' }] }, V('Pools must be named when creating a fully populated loadbalancer.')],
    [{ pools: [full('a'), full('a')] }, V('Pool names must be unique when creating a fully populated loadbalancer.')],
    [{ pools: [full('a')], listeners: [http(full('a'))] }, V('Pool names must be unique when creating a fully populated loadbalancer.')],
    [{ listeners: [http({ name: 'ghost' })] }, V("Pool 'ghost' was referenced but no full definition was found.")],
    [{ pools: [full('a')], listeners: [http({ name: 'ghost', admin_state_up: false })] }, V("Pool 'ghost' was referenced but no full definition was found.")],
    [{ pools: [{ name: 'p', lb_algorithm: 'ROUND_ROBIN' }] }, V("Pool definition for 'p' missing required attribute: protocol")],
    [{ listeners: [http({ name: 'p', protocol: 'HTTP' })] }, V("Pool definition for 'p' missing required attribute: lb_algorithm")],
    // A `description` makes it a definition, which then lacks its protocol.
    [{ listeners: [http({ name: 'p', description: 'x' })] }, V("Pool definition for 'p' missing required attribute: protocol")],
    [{ pools: [{ name: 'p', protocol: null, lb_algorithm: 'ROUND_ROBIN' }] }, V("Pool definition for 'p' missing required attribute: protocol")],
  ]
  for (const [body, faultstring] of cases) {
    assert.deepEqual(fault(await post(api, body)), { status: 400, faultstring }, JSON.stringify(body))
  }
  assert.deepEqual(await api.counts(), before)
})

test('nested bodies are type-checked like the standalone creates, unknown keys naming their dotted path', async (t) => {
  const api = await startApi(t)
  const before = await api.counts()
  const pool = (extra: Json = {}): Json => ({ name: 'p', protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', ...extra })
  const listener = (extra: Json = {}): Json => ({ protocol: 'HTTP', protocol_port: 80, ...extra })
  const cases: Array<[Json, number, string]> = [
    [{ listeners: [listener({ loadbalancer_id: DEFAULT_SUBNET_ID })] }, 400, 'Unknown attribute for argument load_balancer.loadbalancer.listeners: loadbalancer_id'],
    [{ listeners: [listener({ default_pool: pool({ project_id: 'x', listener_id: DEFAULT_SUBNET_ID }) })] }, 400,
      'Unknown attributes for argument load_balancer.loadbalancer.listeners.default_pool: listener_id, project_id'],
    [{ pools: [pool({ members: [{ address: '192.0.2.1', protocol_port: 80, project_id: 'x' }] })] }, 400,
      'Unknown attribute for argument load_balancer.loadbalancer.pools.members: project_id'],
    [{ pools: [pool({ healthmonitor: { type: 'TCP', delay: 1, timeout: 1, max_retries: 1, pool_id: DEFAULT_SUBNET_ID } })] }, 400,
      'Unknown attribute for argument load_balancer.loadbalancer.pools.healthmonitor: pool_id'],
    [{ pools: [pool({ members: [{ protocol_port: 80 }] })] }, 400, "Invalid input for field/attribute address. Value: 'None'. Mandatory field missing."],
    [{ pools: [pool({ members: [{ address: 'not-an-ip', protocol_port: 80 }] })] }, 400,
      "Invalid input for field/attribute address. Value: 'not-an-ip'. Value should be IPv4 or IPv6 format"],
    [{ listeners: [listener({ protocol_port: 0 })] }, 400, "Invalid input for field/attribute protocol_port. Value: '0'. Value should be greater or equal to 1"],
    [{ pools: [pool({ lb_algorithm: 'FASTEST' })] }, 400,
      "Invalid input for field/attribute lb_algorithm. Value: 'FASTEST'. Value should be one of: ROUND_ROBIN, LEAST_CONNECTIONS, SOURCE_IP, SOURCE_IP_PORT"],
    [{ listeners: [listener({ l7policies: [{ action: 'REJECT', redirect_pool_id: DEFAULT_SUBNET_ID }] })] }, 400,
      'Unknown attribute for argument load_balancer.loadbalancer.listeners.l7policies: redirect_pool_id'],
    [{ listeners: [listener({ l7policies: [{ action: 'REJECT', rules: [{ type: 'PATH', value: '/' }] }] })] }, 400,
      "Invalid input for field/attribute compare_type. Value: 'None'. Mandatory field missing."],
    [{ listeners: [listener({ l7policies: [{ action: 'REJECT', rules: [{ type: 'PATH', compare_type: 'EQUAL_TO', value: '/', project_id: 'x' }] }] })] }, 400,
      'Unknown attribute for argument load_balancer.loadbalancer.listeners.l7policies.rules: project_id'],
    [{ listeners: [listener({ l7policies: [{ action: 'REJECT', redirect_pool: pool({ listener_id: DEFAULT_SUBNET_ID }) }] })] }, 400,
      'Unknown attribute for argument load_balancer.loadbalancer.listeners.l7policies.redirect_pool: listener_id'],
  ]
  for (const [body, status, faultstring] of cases) {
    assert.deepEqual(fault(await post(api, body)), { status, faultstring }, JSON.stringify(body))
  }
  assert.deepEqual(await api.counts(), before)

  // Empty lists are fine; a nested hsts_max_age has no lower bound at the type level (spec/api-v2.md §8.3).
  const lb = await createGraph(api, { listeners: [listener({ l7policies: [] })], pools: [] })
  assert.deepEqual(lb.listeners.map((l) => l.l7policies), [[]])
  assert.deepEqual(fault(await post(api, { listeners: [listener({ protocol_port: 81, hsts_max_age: -1 })] })), {
    status: 400, faultstring: V('The HSTS feature can only be used for listeners using the TERMINATED_HTTPS protocol.'),
  })
})

test('every per-object rule applies inside the graph: a failure anywhere answers its own error and writes nothing', async (t) => {
  const api = await startApi(t)
  const before = await api.counts()
  const pool = (extra: Json = {}): Json => ({ name: 'p', protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', ...extra })
  const hm = (extra: Json = {}): Json => ({ type: 'HTTP', delay: 5, timeout: 3, max_retries: 2, ...extra })
  const member = (address: string, port = 80): Json => ({ address, protocol_port: port })
  const cases: Array<[Json, number, string]> = [
    // Members (spec/api-v2.md §11.2).
    [{ pools: [pool({ members: [member('192.0.2.1'), member('169.254.169.254')] })] }, 400, '169.254.169.254 is not a valid option for member address'],
    [{ pools: [pool({ members: [member('192.0.2.1'), member('192.0.2.1')] })] }, 409,
      'Another member on this pool is already using ip 192.0.2.1 on protocol_port 80'],
    [{ pools: [pool({ members: [{ ...member('192.0.2.1'), request_sriov: true }] })] }, 400, 'The load balancer flavor does not allow SR-IOV member ports.'],
    // Health monitors (§12.2, §12.3).
    [{ pools: [pool({ protocol: 'UDP', healthmonitor: hm({ type: 'HTTPS' }) })] }, 400,
      V('The associated pool protocol is UDP, so only a UDP-CONNECT/SCTP/TCP/HTTP health monitor is supported.')],
    [{ pools: [pool({ healthmonitor: hm({ type: 'UDP-CONNECT' }) })] }, 400, V('The UDP-CONNECT type is only supported for pools of type UDP/SCTP.')],
    [{ pools: [pool({ protocol: 'UDP', healthmonitor: hm({ type: 'UDP-CONNECT', delay: 1 }) })] }, 400,
      V('The request delay value 1 should be larger than 3 for UDP-CONNECT health monitor type.')],
    [{ pools: [pool({ healthmonitor: hm({ delay: null }) })] }, 400, 'None is not a valid option for delay'],
    [{ pools: [pool({ protocol: 'TCP', healthmonitor: hm({ type: 'TCP', url_path: '/x' }) })] }, 400,
      'url_path is not a valid option for health monitors of type TCP'],
    [{ pools: [pool({ healthmonitor: hm({ domain_name: 'example.com' }) })] }, 400,
      V("'http_version' must be specified when 'domain_name' is provided.")],
    // Pools (§10.2, §10.3, §7).
    [{ pools: [pool({ session_persistence: { type: 'APP_COOKIE' } })] }, 400,
      V('Field "cookie_name" must be specified when using the "APP_COOKIE" session persistence type.')],
    [{ pools: [pool({ crl_container_ref: 'crl' })] }, 400, V('A CA certificate reference is required to specify a revocation list.')],
    [{ pools: [pool({ tls_enabled: true, tls_versions: [] })] }, 400,
      V('Empty TLS version list. Either specify at least one TLS version or remove this parameter to use the default.')],
    [{ pools: [pool({ lb_algorithm: 'SOURCE_IP_PORT' })] }, 501,
      "Provider 'amphora' does not support a requested option: Amphora provider does not support SOURCE_IP_PORT algorithm."],
    // Listeners (§9.3), including their default pool and duplicate ports.
    [{ listeners: [{ protocol: 'HTTP', protocol_port: 80 }, { protocol: 'TCP', protocol_port: 80 }] }, 409,
      'Another Listener on this Load Balancer is already using protocol HTTP and protocol_port 80'],
    [{ listeners: [{ protocol: 'HTTP', protocol_port: 80, default_pool: pool({ protocol: 'UDP' }) }] }, 400,
      V("The pool protocol 'UDP' is invalid while the listener protocol is 'HTTP'.")],
    [{ pools: [pool()], listeners: [{ protocol: 'PROMETHEUS', protocol_port: 9100, default_pool: { name: 'p' } }] }, 400,
      'Protocol PROMETHEUS listeners cannot have child objects.'],
    [{ listeners: [{ protocol: 'HTTP', protocol_port: 80, default_pool_id: DEFAULT_SUBNET_ID }] }, 404, `Pool ${DEFAULT_SUBNET_ID} not found.`],
    [{ listeners: [{ protocol: 'TCP', protocol_port: 80, insert_headers: { 'X-Forwarded-For': 'true' } }] }, 400,
      'insert-headers is not a valid option for a TCP protocol listener.'],
    [{ listeners: [{ protocol: 'HTTP', protocol_port: 80, allowed_cidrs: ['2001:db8::/32'] }] }, 400,
      V(`CIDR 2001:db8::/32 IP version incompatible with all VIPs ['127.64.0.1'] IP version.`)],
    [{ listeners: [{ protocol: 'TERMINATED_HTTPS', protocol_port: 443 }] }, 400,
      V('An SNI or default certificate container reference must be provided for TERMINATED_HTTPS protocol listeners.')],
    // A good pool created first is rolled back with the listener that fails after it.
    [{ pools: [pool({ members: [member('192.0.2.1')], healthmonitor: hm() })],
      listeners: [{ protocol: 'HTTP', protocol_port: 80, default_pool: { name: 'p' } }, { protocol: 'HTTPS', protocol_port: 80 }] }, 409,
    'Another Listener on this Load Balancer is already using protocol HTTP and protocol_port 80'],
  ]
  for (const [body, status, faultstring] of cases) {
    const res = await post(api, body)
    if (faultstring.includes("VIPs ['127.64.0.1']")) {
      // The VIP address is allocated per request; only its shape is fixed.
      assert.equal(res.statusCode, status, res.body)
      assert.match(fault(res).faultstring, /^Validation failure: CIDR 2001:db8::\/32 IP version incompatible with all VIPs \['127\.64\.\d+\.\d+'\] IP version\.$/)
      continue
    }
    assert.deepEqual(fault(res), { status, faultstring }, JSON.stringify(body))
  }
  assert.deepEqual(await api.counts(), before)
})

test('the status tree after a full-graph create, and a cascade delete that removes the whole graph', async (t) => {
  const api = await startApi(t)
  const lb = await createGraph(api, cloudProviderCreate())
  const lbId = String(lb.id)
  const [listener] = lb.listeners
  const [pool] = lb.pools
  await settled(api, lbId)

  const { statuses } = await get(api, `${LBS}/${lbId}/status`) as { statuses: { loadbalancer: Json & { listeners: Array<Json & { pools: Array<Json & { members: Json[] }> }> } } }
  const tree = statuses.loadbalancer
  // The tree lists members oldest first; both were created in the same instant.
  const sortedMembers = (members: Json[]) => [...members].sort((a, b) => String(a.address).localeCompare(String(b.address)))
  tree.listeners[0]!.pools[0]!.members = sortedMembers(tree.listeners[0]!.pools[0]!.members)
  assert.deepEqual(tree, {
    id: lbId, name: SERVICE, provisioning_status: 'ACTIVE', operating_status: 'OFFLINE',
    listeners: [{
      id: listener!.id, name: `listener_0_${SERVICE}`, provisioning_status: 'ACTIVE', operating_status: 'OFFLINE',
      pools: [{
        id: pool!.id, name: `pool_0_${SERVICE}`, provisioning_status: 'ACTIVE', operating_status: 'OFFLINE',
        health_monitor: { id: pool!.healthmonitor!.id, name: `monitor_0_${SERVICE}`, type: 'HTTP', provisioning_status: 'ACTIVE', operating_status: 'ONLINE' },
        members: pool!.members.map((m) => ({
          id: m.id, name: m.name, provisioning_status: 'ACTIVE', operating_status: 'OFFLINE', address: m.address, protocol_port: m.protocol_port,
        })),
      }],
    }],
  })

  // Without cascade the children keep the LB; with it, everything goes.
  const refused = await api.app.inject({ method: 'DELETE', url: `${LBS}/${lbId}` })
  assert.deepEqual(fault(refused), { status: 400, faultstring: V(`Cannot delete Load Balancer ${lbId} - it has children`) })
  const deleted = await api.app.inject({ method: 'DELETE', url: `${LBS}/${lbId}?cascade=true` })
  assert.equal(deleted.statusCode, 204, deleted.body)
  await api.until(`${LBS}/${lbId}`, (_b, status) => status === 404)
  for (const url of [`/v2/lbaas/listeners/${String(listener!.id)}`, `/v2/lbaas/pools/${String(pool!.id)}`,
    `/v2/lbaas/healthmonitors/${String(pool!.healthmonitor!.id)}`]) {
    assert.equal((await api.app.inject({ method: 'GET', url })).statusCode, 404, url)
  }
  const counts = await api.counts()
  assert.deepEqual([counts.listener, counts.pool, counts.member, counts.health_monitor, counts.listener_cidr, counts.ports],
    [0, 0, 0, 0, 0, 0])
  // Only the DELETED load balancer's own tag is left until housekeeping purges it.
  assert.equal(counts.tags, 1)
})
