import { test } from 'node:test'
import assert from 'node:assert/strict'
import { DEFAULT_SUBNET_ID } from '../../../src/config/defaults.ts'
import { startApi, type ApiHarness } from '../../helpers/api-harness.ts'
import { NOOP_DEFAULT_PROVIDER } from '../../helpers/noop-provider.ts'
import { seedL7Policy, seedL7Rule, seedPool } from '../../helpers/db-seed.ts'

const LBS = '/v2/lbaas/loadbalancers'
const LISTENERS = '/v2/lbaas/listeners'
const UNKNOWN = 'a2c8e0bb-0000-4000-8000-0000000000aa'
const DEFAULT_CIPHERS = 'TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:ECDHE-ECDSA-AES128-GCM-SHA256:' +
  'ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:' +
  'ECDHE-RSA-CHACHA20-POLY1305:DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305'

type Json = Record<string, unknown>

function fault(res: { statusCode: number; json(): unknown }): { status: number; faultstring: string } {
  return { status: res.statusCode, faultstring: (res.json() as { faultstring: string }).faultstring }
}

async function activeLoadBalancer(api: ApiHarness, body: Json = {}): Promise<Json> {
  const res = await api.app.inject({ method: 'POST', url: LBS, payload: { loadbalancer: { vip_subnet_id: DEFAULT_SUBNET_ID, ...body } } })
  assert.equal(res.statusCode, 201, res.body)
  return waitActive(api, String((res.json() as { loadbalancer: Json }).loadbalancer.id))
}

async function waitActive(api: ApiHarness, lbId: string): Promise<Json> {
  const body = await api.until(`${LBS}/${lbId}`, (b) => (b.loadbalancer as Json).provisioning_status === 'ACTIVE')
  return body.loadbalancer as Json
}

function post(api: ApiHarness, listener: Json) {
  return api.app.inject({ method: 'POST', url: LISTENERS, payload: { listener } })
}

function put(api: ApiHarness, id: unknown, listener: Json) {
  return api.app.inject({ method: 'PUT', url: `${LISTENERS}/${String(id)}`, payload: { listener } })
}

async function get(api: ApiHarness, url: string): Promise<Json> {
  const res = await api.app.inject({ method: 'GET', url })
  assert.equal(res.statusCode, 200, res.body)
  return res.json() as Json
}

/** Creates a listener and waits until it and its load balancer are ACTIVE again. */
async function activeListener(api: ApiHarness, listener: Json): Promise<Json> {
  const res = await post(api, listener)
  assert.equal(res.statusCode, 201, res.body)
  const created = (res.json() as { listener: Json }).listener
  await waitActive(api, String(listener.loadbalancer_id))
  return (await get(api, `${LISTENERS}/${String(created.id)}`)).listener as Json
}

const RESPONSE_KEYS = [
  'admin_state_up', 'allowed_cidrs', 'alpn_protocols', 'client_authentication', 'client_ca_tls_container_ref', 'client_crl_container_ref',
  'connection_limit', 'created_at', 'default_pool_id', 'default_tls_container_ref', 'description', 'hsts_include_subdomains',
  'hsts_max_age', 'hsts_preload', 'id', 'insert_headers', 'l7policies', 'loadbalancers', 'name', 'operating_status', 'project_id',
  'protocol', 'protocol_port', 'provisioning_status', 'sni_container_refs', 'tags', 'tenant_id', 'timeout_client_data',
  'timeout_member_connect', 'timeout_member_data', 'timeout_tcp_inspect', 'tls_ciphers', 'tls_versions', 'updated_at',
]

test('lifecycle: create PENDING_CREATE → ACTIVE (LB too), update stores values PENDING_UPDATE → ACTIVE, delete → 404', async (t) => {
  const api = await startApi(t)
  const lb = await activeLoadBalancer(api, { name: 'tree' })
  const lbId = String(lb.id)
  const res = await post(api, { loadbalancer_id: lbId, protocol: 'HTTP', protocol_port: 80, name: 'web', project_id: 'ignored', tags: ['b', 'a'] })
  assert.equal(res.statusCode, 201, res.body)
  const created = (res.json() as { listener: Json }).listener
  assert.deepEqual(Object.keys(created).sort(), RESPONSE_KEYS)
  assert.deepEqual([created.provisioning_status, created.operating_status], ['PENDING_CREATE', 'OFFLINE'])
  assert.deepEqual([created.project_id, created.tenant_id], [lb.project_id, lb.project_id], 'the owner is the LB\'s project')
  assert.deepEqual(created.loadbalancers, [{ id: lbId }])
  assert.deepEqual(created.tags, ['a', 'b'])
  assert.match(String(created.created_at), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/)
  const id = String(created.id)
  const url = `${LISTENERS}/${id}`
  // The worker may already have finished; if not, the LB is locked for this change.
  const lbNow = (await get(api, `${LBS}/${lbId}`)).loadbalancer as Json
  const listenerNow = (await get(api, url)).listener as Json
  assert.ok(lbNow.provisioning_status === 'PENDING_UPDATE' || listenerNow.provisioning_status === 'ACTIVE', String(lbNow.provisioning_status))

  await waitActive(api, lbId)
  const active = (await get(api, url)).listener as Json
  assert.deepEqual([active.provisioning_status, active.operating_status], ['ACTIVE', 'OFFLINE'])
  assert.deepEqual(((await get(api, `${LBS}/${lbId}`)).loadbalancer as Json).listeners, [{ id }])
  assert.deepEqual((await get(api, `${LBS}/${lbId}/status`)).statuses, {
    loadbalancer: {
      id: lbId, name: 'tree', provisioning_status: 'ACTIVE', operating_status: 'OFFLINE',
      listeners: [{ id, name: 'web', provisioning_status: 'ACTIVE', operating_status: 'OFFLINE', pools: [] }],
    },
  })

  const updated = await put(api, id, { name: 'renamed', connection_limit: 100, timeout_client_data: 1000, allowed_cidrs: ['192.0.2.7/24'], tags: ['z'] })
  assert.equal(updated.statusCode, 200, updated.body)
  const after = (updated.json() as { listener: Json }).listener
  assert.deepEqual([after.name, after.connection_limit, after.timeout_client_data, after.allowed_cidrs, after.tags, after.provisioning_status],
    ['renamed', 100, 1000, ['192.0.2.0/24'], ['z'], 'PENDING_UPDATE'])
  assert.notEqual(after.updated_at, null)
  await waitActive(api, lbId)
  assert.equal(((await get(api, url)).listener as Json).provisioning_status, 'ACTIVE')

  const gone = await api.app.inject({ method: 'DELETE', url })
  assert.equal(gone.statusCode, 204)
  assert.equal(gone.body, '')
  await api.until(url, (_b, status) => status === 404)
  assert.deepEqual(fault(await api.app.inject({ method: 'GET', url })), { status: 404, faultstring: `Listener ${id} not found.` })
  const lbAfter = await waitActive(api, lbId)
  assert.deepEqual(lbAfter.listeners, [])
  for (const method of ['PUT', 'DELETE'] as const) {
    const res404 = await api.app.inject({ method, url, ...(method === 'PUT' ? { payload: { listener: {} } } : {}) })
    assert.deepEqual(fault(res404), { status: 404, faultstring: `Listener ${id} not found.` })
  }
  assert.equal((await api.app.inject({ method: 'GET', url: `${url}/stats` })).statusCode, 404)
})

test('defaults on create, from the configuration; TERMINATED_HTTPS gets the TLS defaults; null on update takes the update defaults', async (t) => {
  const api = await startApi(t, { sets: [...NOOP_DEFAULT_PROVIDER, 'octavia.haproxy_amphora.timeout_client_data=1234', 'octavia.haproxy_amphora.timeout_tcp_inspect=7'] })
  const lbId = String((await activeLoadBalancer(api)).id)
  const tcp = await activeListener(api, { loadbalancer_id: lbId, protocol: 'TCP', protocol_port: 22 })
  assert.deepEqual({ ...tcp, id: undefined, created_at: undefined, updated_at: undefined, project_id: undefined, tenant_id: undefined }, {
    id: undefined, created_at: undefined, updated_at: undefined, project_id: undefined, tenant_id: undefined,
    name: '', description: '', provisioning_status: 'ACTIVE', operating_status: 'OFFLINE', admin_state_up: true,
    protocol: 'TCP', protocol_port: 22, connection_limit: -1, default_tls_container_ref: null, sni_container_refs: [],
    default_pool_id: null, l7policies: [], insert_headers: {}, loadbalancers: [{ id: lbId }],
    timeout_client_data: 1234, timeout_member_connect: 5000, timeout_member_data: 50000, timeout_tcp_inspect: 7, tags: [],
    client_ca_tls_container_ref: null, client_authentication: 'NONE', client_crl_container_ref: null, allowed_cidrs: null,
    tls_ciphers: null, tls_versions: null, alpn_protocols: null, hsts_max_age: null, hsts_include_subdomains: false, hsts_preload: false,
  })

  const https = await activeListener(api, {
    loadbalancer_id: lbId, protocol: 'TERMINATED_HTTPS', protocol_port: 443, sni_container_refs: ['sni-b', 'sni-a'],
    admin_state_up: null, hsts_max_age: 0, insert_headers: { 'X-Forwarded-Proto': 'true', 'X-SSL-Client-CN': 'true' },
  })
  assert.equal(https.tls_ciphers, DEFAULT_CIPHERS)
  assert.deepEqual(https.tls_versions, ['TLSv1.2', 'TLSv1.3'])
  assert.deepEqual(https.alpn_protocols, ['h2', 'http/1.1', 'http/1.0'])
  assert.deepEqual(https.sni_container_refs, ['sni-b', 'sni-a'], 'SNI refs keep the order given')
  assert.equal(https.admin_state_up, false, 'admin_state_up null is stored as false')
  assert.equal(https.hsts_max_age, 0)
  assert.deepEqual(https.insert_headers, { 'X-Forwarded-Proto': 'true', 'X-SSL-Client-CN': 'true' })

  // Every field set, then every field cleared with null.
  const set = await put(api, tcp.id, {
    name: 'n', description: 'd', admin_state_up: true, connection_limit: 5, timeout_client_data: 1, timeout_member_connect: 2,
    timeout_member_data: 3, timeout_tcp_inspect: 4, allowed_cidrs: ['10.0.0.1/8', '10.0.0.0/8'], tls_ciphers: 'AES128-SHA',
    tls_versions: ['TLSv1.3'], alpn_protocols: ['h2'], client_ca_tls_container_ref: 'ca', tags: ['keep'],
  })
  assert.equal(set.statusCode, 200, set.body)
  const setBody = (set.json() as { listener: Json }).listener
  assert.deepEqual(setBody.allowed_cidrs, ['10.0.0.0/8'], 'normalised, duplicates dropped')
  assert.equal(setBody.client_ca_tls_container_ref, 'ca', 'a client CA alone is stored even on a non-TLS listener')
  await waitActive(api, lbId)
  const cleared = await put(api, tcp.id, {
    name: null, description: null, admin_state_up: null, connection_limit: null, timeout_client_data: null, timeout_member_connect: null,
    timeout_member_data: null, timeout_tcp_inspect: null, allowed_cidrs: null, tls_ciphers: null, tls_versions: null,
    alpn_protocols: null, client_ca_tls_container_ref: null, client_authentication: null, insert_headers: null,
    sni_container_refs: null, default_tls_container_ref: null, default_pool_id: null, hsts_max_age: null,
    hsts_include_subdomains: null, hsts_preload: null, tags: null,
  })
  assert.equal(cleared.statusCode, 200, cleared.body)
  const c = (cleared.json() as { listener: Json }).listener
  assert.deepEqual({
    name: c.name, description: c.description, admin_state_up: c.admin_state_up, connection_limit: c.connection_limit,
    timeouts: [c.timeout_client_data, c.timeout_member_connect, c.timeout_member_data, c.timeout_tcp_inspect],
    allowed_cidrs: c.allowed_cidrs, tls_ciphers: c.tls_ciphers, tls_versions: c.tls_versions, alpn_protocols: c.alpn_protocols,
    client_ca: c.client_ca_tls_container_ref, client_authentication: c.client_authentication, insert_headers: c.insert_headers,
    sni: c.sni_container_refs, hsts: [c.hsts_max_age, c.hsts_include_subdomains, c.hsts_preload], tags: c.tags,
    provisioning_status: c.provisioning_status,
  }, {
    name: '', description: '', admin_state_up: false, connection_limit: -1, timeouts: [1234, 5000, 50000, 7], allowed_cidrs: null,
    // Whatever the protocol, cleared TLS options take the configured defaults (spec §9.1).
    tls_ciphers: DEFAULT_CIPHERS, tls_versions: ['TLSv1.2', 'TLSv1.3'], alpn_protocols: ['h2', 'http/1.1', 'http/1.0'],
    client_ca: null, client_authentication: 'NONE', insert_headers: {}, sni: [], hsts: [null, false, false], tags: ['keep'],
    provisioning_status: 'PENDING_UPDATE',
  })
  await waitActive(api, lbId)
  const emptied = await put(api, https.id, { sni_container_refs: [], tags: [], insert_headers: { 'X-Real-IP': 'true' } })
  assert.equal(emptied.statusCode, 200, emptied.body)
  const e = (emptied.json() as { listener: Json }).listener
  assert.deepEqual([e.sni_container_refs, e.tags, e.insert_headers], [[], [], { 'X-Real-IP': 'true' }])
})

test('create: every validation of §9.3 answers 400 (or 404) with Octavia\'s text and writes nothing', async (t) => {
  const api = await startApi(t)
  const lb = await activeLoadBalancer(api)
  const other = await activeLoadBalancer(api)
  const lbId = String(lb.id)
  const vip = String(lb.vip_address)
  const httpPool = await seedPool(api.deps.db.kysely, lbId, { protocol: 'HTTP' })
  const udpPool = await seedPool(api.deps.db.kysely, lbId, { protocol: 'UDP' })
  const foreignPool = await seedPool(api.deps.db.kysely, String(other.id), { protocol: 'HTTP' })
  const http = { loadbalancer_id: lbId, protocol: 'HTTP', protocol_port: 80 }
  const tls = { loadbalancer_id: lbId, protocol: 'TERMINATED_HTTPS', protocol_port: 443, default_tls_container_ref: 'cert' }
  const V = 'Validation failure: '
  const cases: Array<[Json, number, string]> = [
    [{ ...http, protocol: 'PROXY' }, 400, "Invalid input for field/attribute protocol. Value: 'PROXY'. Value should be one of: TCP, HTTP, HTTPS, TERMINATED_HTTPS, UDP, SCTP, PROMETHEUS"],
    [{ ...http, protocol_port: 0 }, 400, "Invalid input for field/attribute protocol_port. Value: '0'. Value should be greater or equal to 1"],
    [{ ...http, protocol_port: 65536 }, 400, "Invalid input for field/attribute protocol_port. Value: '65536'. Value should be lower or equal to 65535"],
    [{ protocol: 'HTTP', protocol_port: 80 }, 400, "Invalid input for field/attribute loadbalancer_id. Value: 'None'. Mandatory field missing."],
    [{ ...http, protocol: null }, 400, "Invalid input for field/attribute protocol. Value: 'None'. Mandatory field missing."],
    [{ ...http, connection_limit: -2 }, 400, "Invalid input for field/attribute connection_limit. Value: '-2'. Value should be greater or equal to -1"],
    [{ ...http, timeout_member_data: 2073600001 }, 400, "Invalid input for field/attribute timeout_member_data. Value: '2073600001'. Value should be lower or equal to 2073600000"],
    [{ ...http, allowed_cidrs: ['10.0.1.0/33'] }, 400, "Invalid input for field/attribute allowed_cidrs. Value: '['10.0.1.0/33']'. Value should be IPv4 or IPv6 CIDR format"],
    [{ ...http, alpn_protocols: ['h3'] }, 400, "Invalid input for field/attribute alpn_protocols. Value: '['h3']'. Value should be a valid ALPN protocol ID"],
    [{ ...http, client_authentication: 'SOMETIMES' }, 400, "Invalid input for field/attribute client_authentication. Value: 'SOMETIMES'. Value should be one of: NONE, OPTIONAL, MANDATORY"],
    [{ ...http, default_tls_container_ref: 'x'.repeat(256) }, 400, `Invalid input for field/attribute default_tls_container_ref. Value: '${'x'.repeat(256)}'. Value should have a maximum character requirement of 255`],
    [{ ...http, tls_versions: ['x'.repeat(33)] }, 400, `Invalid input for field/attribute tls_versions. Value: '['${'x'.repeat(33)}']'. Value should have a maximum character requirement of 32`],
    [{ ...http, operating_status: 'ONLINE' }, 400, 'Unknown attribute for argument listener_.listener: operating_status'],
    [{ ...http, default_pool: { protocol: 'HTTP' } }, 400, `${V}default_pool may only be specified when creating a fully populated load balancer.`],
    [{ ...http, l7policies: [{}] }, 400, `${V}l7policies may only be specified when creating a fully populated load balancer.`],
    [{ ...http, loadbalancer_id: UNKNOWN }, 404, `Load Balancer ${UNKNOWN} not found.`],
    [{ ...http, protocol: 'PROMETHEUS', default_pool_id: httpPool }, 400, 'Protocol PROMETHEUS listeners cannot have child objects.'],
    [{ ...http, default_pool_id: UNKNOWN }, 404, `Pool ${UNKNOWN} not found.`],
    [{ ...http, default_pool_id: foreignPool }, 404, `Pool ${foreignPool} not found.`],
    [{ ...http, default_pool_id: udpPool }, 400, `${V}The pool protocol 'UDP' is invalid while the listener protocol is 'HTTP'.`],
    [{ ...http, protocol: 'TCP', insert_headers: { 'X-Forwarded-For': 'true' } }, 400, 'insert-headers is not a valid option for a TCP protocol listener.'],
    [{ ...http, protocol: 'UDP', insert_headers: { 'X-Forwarded-For': 'true' } }, 400, 'insert-headers is not a valid option for a UDP protocol listener.'],
    [{ ...http, insert_headers: { 'X-Foo': 'true', 'X-Forwarded-For': 'true' } }, 400, "['X-Foo', 'X-Forwarded-For'] is not a valid option for insert_headers"],
    [{ ...http, insert_headers: { 'X-Forwarded-For': 'true', 'X-SSL-Client-DN': 'true' } }, 400, "['X-SSL-Client-DN'] is not a valid option for HTTP protocol listener."],
    [{ ...http, protocol: 'UDP', default_tls_container_ref: 'cert' }, 400, `${V}UDP protocol listener does not support TLS.`],
    [{ ...http, protocol: 'SCTP', sni_container_refs: ['sni'] }, 400, `${V}SCTP protocol listener does not support TLS.`],
    [{ ...http, default_tls_container_ref: 'cert' }, 400, `${V}Certificate container references are not allowed on HTTP protocol listeners.`],
    [{ ...http, protocol: 'HTTPS', sni_container_refs: ['sni'] }, 400, `${V}Certificate container references are not allowed on HTTPS protocol listeners.`],
    [{ ...http, client_ca_tls_container_ref: 'ca' }, 400, `${V}An SNI or default certificate container reference must be provided with a client CA container reference.`],
    [{ ...http, protocol: 'PROMETHEUS', client_ca_tls_container_ref: 'ca' }, 400, `${V}An SNI or default certificate container reference must be provided with a client CA container reference.`],
    [{ ...tls, default_tls_container_ref: null }, 400, `${V}An SNI or default certificate container reference must be provided for TERMINATED_HTTPS protocol listeners.`],
    [{ ...tls, client_authentication: 'MANDATORY' }, 400, `${V}Client authentication setting MANDATORY requires a client CA container reference.`],
    [{ ...tls, client_crl_container_ref: 'crl' }, 400, `${V}A client authentication CA reference is required to specify a client authentication revocation list.`],
    [{ ...tls, tls_ciphers: 'ECDHE RSA' }, 400, `${V}Invalid characters in cipher string. Only alphanumeric, -, +, !, :, @, =, _, and . are allowed.`],
    [{ ...http, allowed_cidrs: ['2001:db8::1/32'] }, 400, `${V}CIDR 2001:db8::/32 IP version incompatible with all VIPs ['${vip}'] IP version.`],
    [{ ...tls, tls_versions: [] }, 400, `${V}Empty TLS version list. Either specify at least one TLS version or remove this parameter to use the default.`],
    [{ ...tls, tls_versions: ['TLSv1.2', 'TLSv9', 'SSLv2'] }, 400, `${V}Invalid TLS versions: TLSv9, SSLv2`],
    [{ ...tls, alpn_protocols: [] }, 400, `${V}Empty ALPN protocol list. Either specify at least one ALPN protocol or remove this parameter to use the default.`],
    [{ ...http, protocol: 'PROMETHEUS', sni_container_refs: ['sni'], tls_versions: ['TLSv1'], alpn_protocols: [] }, 400, `${V}Empty ALPN protocol list. Either specify at least one ALPN protocol or remove this parameter to use the default.`],
    [{ ...tls, hsts_preload: true }, 400, `${V}HSTS configuration options hsts_include_subdomains and hsts_preload only make sense if hsts_max_age is set as well.`],
    [{ ...http, hsts_max_age: 10 }, 400, `${V}The HSTS feature can only be used for listeners using the TERMINATED_HTTPS protocol.`],
  ]
  const before = await api.counts()
  for (const [listener, status, message] of cases) {
    assert.deepEqual(fault(await post(api, listener)), { status, faultstring: message }, JSON.stringify(listener))
  }
  assert.deepEqual(await api.counts(), before, 'a refused create writes nothing')
  assert.equal(((await get(api, `${LBS}/${lbId}`)).loadbalancer as Json).provisioning_status, 'ACTIVE', 'and leaves the LB ACTIVE')

  // Custom VIP security groups rule out allowed CIDRs.
  await api.deps.loadBalancers.update(lbId, { vip_sg_ids: ['sg-1'] })
  assert.deepEqual(fault(await post(api, { ...http, allowed_cidrs: ['192.0.2.0/24'] })),
    { status: 400, faultstring: `${V}Allowed CIDRs are not allowed when using custom VIP Security Groups.` })
  await api.deps.loadBalancers.update(lbId, { vip_sg_ids: [] })

  // On a listener that is not TLS, TLS lists are stored unchecked; PROMETHEUS with a certificate is a TLS listener.
  const plain = await activeListener(api, { ...http, tls_versions: ['bogus'], alpn_protocols: [], default_pool_id: httpPool })
  assert.deepEqual([plain.tls_versions, plain.alpn_protocols, plain.default_pool_id], [['bogus'], [], httpPool])
  const prometheus = await activeListener(api, { ...http, protocol: 'PROMETHEUS', protocol_port: 9100, default_tls_container_ref: 'cert' })
  assert.deepEqual([prometheus.default_tls_container_ref, prometheus.tls_versions], ['cert', null])
})

test('a busy load balancer: POST reports 409 before its 400s, PUT reports 400s first, nothing changes', async (t) => {
  const api = await startApi(t)
  const lbId = String((await activeLoadBalancer(api)).id)
  const listener = await activeListener(api, { loadbalancer_id: lbId, protocol: 'HTTP', protocol_port: 80 })
  await api.deps.loadBalancers.setProvisioningStatus(lbId, 'PENDING_UPDATE')
  const before = await api.counts()
  const busy = { status: 409, faultstring: `Load Balancer ${lbId} is immutable and cannot be updated.` }
  assert.deepEqual(fault(await post(api, { loadbalancer_id: lbId, protocol: 'TCP', protocol_port: 81 })), busy)
  assert.deepEqual(fault(await post(api, { loadbalancer_id: lbId, protocol: 'TCP', protocol_port: 80, insert_headers: { 'X-Real-IP': 'true' } })), busy)
  assert.deepEqual(fault(await put(api, listener.id, { insert_headers: { 'X-Foo': 'x' } })),
    { status: 400, faultstring: "['X-Foo'] is not a valid option for insert_headers" })
  assert.deepEqual(fault(await put(api, listener.id, { name: 'fine' })), busy)
  assert.deepEqual(fault(await api.app.inject({ method: 'DELETE', url: `${LISTENERS}/${String(listener.id)}` })), busy)
  assert.deepEqual(await api.counts(), before)
  assert.deepEqual((await get(api, `${LISTENERS}/${String(listener.id)}`)).listener, listener)
  // A DELETED load balancer is found, then refused by the status test.
  await api.deps.loadBalancers.markDeleted(lbId)
  assert.deepEqual(fault(await post(api, { loadbalancer_id: lbId, protocol: 'TCP', protocol_port: 81 })), busy)
})

test('ports: one listener per port and L4 protocol — the TCP family shares ports, UDP and SCTP coexist with TCP:80', async (t) => {
  const api = await startApi(t, { sets: NOOP_DEFAULT_PROVIDER })
  const lbId = String((await activeLoadBalancer(api)).id)
  await activeListener(api, { loadbalancer_id: lbId, protocol: 'HTTP', protocol_port: 80 })
  const before = await api.counts()
  for (const protocol of ['HTTP', 'TCP', 'HTTPS', 'PROMETHEUS']) {
    assert.deepEqual(fault(await post(api, { loadbalancer_id: lbId, protocol, protocol_port: 80 })), {
      status: 409, faultstring: 'Another Listener on this Load Balancer is already using protocol HTTP and protocol_port 80',
    }, protocol)
  }
  assert.deepEqual(fault(await post(api, { loadbalancer_id: lbId, protocol: 'TERMINATED_HTTPS', protocol_port: 80, default_tls_container_ref: 'c' })), {
    status: 409, faultstring: 'Another Listener on this Load Balancer is already using protocol HTTP and protocol_port 80',
  })
  assert.deepEqual(await api.counts(), before)
  assert.equal(((await get(api, `${LBS}/${lbId}`)).loadbalancer as Json).provisioning_status, 'ACTIVE', 'a refused create leaves the LB ACTIVE')
  await activeListener(api, { loadbalancer_id: lbId, protocol: 'UDP', protocol_port: 80 })
  await activeListener(api, { loadbalancer_id: lbId, protocol: 'SCTP', protocol_port: 80 })
  assert.deepEqual(fault(await post(api, { loadbalancer_id: lbId, protocol: 'UDP', protocol_port: 80 })), {
    status: 409, faultstring: 'Another Listener on this Load Balancer is already using protocol UDP and protocol_port 80',
  })
  // The same port on another load balancer is free.
  const otherId = String((await activeLoadBalancer(api)).id)
  await activeListener(api, { loadbalancer_id: otherId, protocol: 'TCP', protocol_port: 80 })
})

test('update: every validation of §9.4 answers 400 against the stored protocol and writes nothing', async (t) => {
  const api = await startApi(t, { sets: NOOP_DEFAULT_PROVIDER })
  const lb = await activeLoadBalancer(api)
  const lbId = String(lb.id)
  const udpPool = await seedPool(api.deps.db.kysely, lbId, { protocol: 'UDP' })
  const http = await activeListener(api, { loadbalancer_id: lbId, protocol: 'HTTP', protocol_port: 80 })
  const udp = await activeListener(api, { loadbalancer_id: lbId, protocol: 'UDP', protocol_port: 53 })
  const prometheus = await activeListener(api, { loadbalancer_id: lbId, protocol: 'PROMETHEUS', protocol_port: 9100 })
  const tls = await activeListener(api, { loadbalancer_id: lbId, protocol: 'TERMINATED_HTTPS', protocol_port: 443, default_tls_container_ref: 'c' })
  const V = 'Validation failure: '
  const cases: Array<[Json, Json, number, string]> = [
    [http, { protocol: 'TCP' }, 400, 'Unknown attribute for argument listener_.listener: protocol'],
    [http, { protocol_port: 81, loadbalancer_id: lbId }, 400, 'Unknown attributes for argument listener_.listener: loadbalancer_id, protocol_port'],
    [http, { connection_limit: 'many' }, 400, "Invalid input for field/attribute connection_limit. Value: 'many'. invalid literal for int() with base 10: 'many'"],
    [udp, { insert_headers: { 'X-Forwarded-For': 'true' } }, 400, `${V}UDP protocol listener does not support TLS or header insertion.`],
    [udp, { default_tls_container_ref: 'c' }, 400, `${V}UDP protocol listener does not support TLS or header insertion.`],
    [http, { sni_container_refs: ['s'] }, 400, `${V}Certificate container references are not allowed on HTTP protocol listeners.`],
    [http, { client_authentication: 'OPTIONAL' }, 400, `${V}Client authentication setting OPTIONAL requires a client CA container reference.`],
    [http, { insert_headers: { 'X-SSL-Issuer': 'true', 'X-Real-IP': 'true' } }, 400, "['X-SSL-Issuer'] is not a valid option for HTTP protocol listener."],
    [prometheus, { insert_headers: { 'X-Real-IP': 'true' } }, 400, 'insert-headers is not a valid option for a PROMETHEUS protocol listener.'],
    [tls, { client_crl_container_ref: 'crl' }, 400, `${V}A client authentication CA reference is required to specify a client authentication revocation list.`],
    [http, { allowed_cidrs: ['2001:db8::/64'] }, 400, `${V}CIDR 2001:db8::/64 IP version incompatible with all VIPs ['${String(lb.vip_address)}'] IP version.`],
    [http, { tls_ciphers: 'A;B' }, 400, `${V}Invalid characters in cipher string. Only alphanumeric, -, +, !, :, @, =, _, and . are allowed.`],
    [http, { tls_versions: [] }, 400, `${V}Empty TLS version list. Either specify at least one TLS version or remove this parameter to use the default.`],
    [http, { tls_versions: ['TLSv2'] }, 400, `${V}Invalid TLS versions: TLSv2`],
    [udp, { alpn_protocols: [] }, 400, `${V}Empty ALPN protocol list. Either specify at least one ALPN protocol or remove this parameter to use the default.`],
    [tls, { hsts_include_subdomains: true }, 400, `${V}Cannot enable hsts_include_subdomains or hsts_preload if hsts_max_age was not set as well.`],
    [http, { hsts_max_age: 3600 }, 400, `${V}The HSTS feature can only be used for listeners using the TERMINATED_HTTPS protocol.`],
    [prometheus, { default_pool_id: udpPool }, 400, 'Protocol PROMETHEUS listeners cannot have child objects.'],
    [http, { default_pool_id: UNKNOWN }, 404, `Pool ${UNKNOWN} not found.`],
    [http, { default_pool_id: udpPool }, 400, `${V}The pool protocol 'UDP' is invalid while the listener protocol is 'HTTP'.`],
    [{ id: UNKNOWN }, { name: 'x' }, 404, `Listener ${UNKNOWN} not found.`],
  ]
  const before = await api.counts()
  const snapshot = (await api.app.inject({ method: 'GET', url: LISTENERS })).body
  for (const [listener, body, status, message] of cases) {
    assert.deepEqual(fault(await put(api, listener.id, body)), { status, faultstring: message }, JSON.stringify(body))
  }
  assert.deepEqual(await api.counts(), before)
  assert.equal((await api.app.inject({ method: 'GET', url: LISTENERS })).body, snapshot, 'no listener changed')

  // Accepted: HSTS with a max age on TERMINATED_HTTPS, certificates on PROMETHEUS, a compatible default pool.
  const hsts = await put(api, tls.id, { hsts_max_age: 31536000, hsts_preload: true })
  assert.equal(hsts.statusCode, 200, hsts.body)
  await waitActive(api, lbId)
  const certified = await put(api, prometheus.id, { default_tls_container_ref: 'metrics-cert' })
  assert.equal(certified.statusCode, 200, certified.body)
  await waitActive(api, lbId)
  const ca = await put(api, tls.id, { client_ca_tls_container_ref: 'ca' })
  assert.equal(ca.statusCode, 200, ca.body)
  await waitActive(api, lbId)
  // The stored CA satisfies client authentication and a CRL given later.
  const crl = await put(api, tls.id, { client_authentication: 'MANDATORY', client_crl_container_ref: 'crl' })
  assert.equal(crl.statusCode, 200, crl.body)
  const withCrl = (crl.json() as { listener: Json }).listener
  assert.deepEqual([withCrl.client_ca_tls_container_ref, withCrl.client_authentication, withCrl.client_crl_container_ref], ['ca', 'MANDATORY', 'crl'])
  await waitActive(api, lbId)
  const udpPoolUse = await put(api, udp.id, { default_pool_id: udpPool })
  assert.equal(udpPoolUse.statusCode, 200, udpPoolUse.body)
  assert.equal((udpPoolUse.json() as { listener: Json }).listener.default_pool_id, udpPool)
})

test('deployment switches: TLS-terminated and PROMETHEUS listeners, prohibited ciphers, minimum TLS version', async (t) => {
  const noTls = await startApi(t, { sets: [...NOOP_DEFAULT_PROVIDER, 'octavia.api_settings.allow_tls_terminated_listeners=false'] })
  const noTlsLb = String((await activeLoadBalancer(noTls)).id)
  let before = await noTls.counts()
  for (const [body, value] of [
    [{ protocol: 'TERMINATED_HTTPS', default_tls_container_ref: 'c' }, 'TERMINATED_HTTPS'],
    [{ protocol: 'PROMETHEUS', sni_container_refs: ['c'] }, 'PROMETHEUS with TLS'],
  ] as const) {
    assert.deepEqual(fault(await post(noTls, { loadbalancer_id: noTlsLb, protocol_port: 443, ...body })),
      { status: 400, faultstring: `The selected protocol is not allowed in this deployment: ${value}` })
  }
  assert.deepEqual(await noTls.counts(), before)
  await activeListener(noTls, { loadbalancer_id: noTlsLb, protocol: 'PROMETHEUS', protocol_port: 9100 })

  const noPrometheus = await startApi(t, { sets: ['octavia.api_settings.allow_prometheus_listeners=false'] })
  const noPrometheusLb = String((await activeLoadBalancer(noPrometheus)).id)
  assert.deepEqual(fault(await post(noPrometheus, { loadbalancer_id: noPrometheusLb, protocol: 'PROMETHEUS', protocol_port: 9100 })),
    { status: 400, faultstring: 'The selected protocol is not allowed in this deployment: PROMETHEUS' })

  const strict = await startApi(t, {
    sets: [...NOOP_DEFAULT_PROVIDER, 'octavia.api_settings.tls_cipher_prohibit_list=RC4-MD5:DES-CBC3-SHA', 'octavia.api_settings.minimum_tls_version=TLSv1.2'],
  })
  const lbId = String((await activeLoadBalancer(strict)).id)
  const listener = await activeListener(strict, { loadbalancer_id: lbId, protocol: 'HTTP', protocol_port: 80 })
  before = await strict.counts()
  const tls = { loadbalancer_id: lbId, protocol: 'TERMINATED_HTTPS', protocol_port: 443, default_tls_container_ref: 'c' }
  assert.deepEqual(fault(await post(strict, { ...tls, tls_ciphers: 'AES128-SHA:RC4-MD5:DES-CBC3-SHA' })),
    { status: 400, faultstring: 'Validation failure: The following ciphers have been prohibited by an administrator: RC4-MD5, DES-CBC3-SHA' })
  assert.deepEqual(fault(await post(strict, { ...tls, tls_versions: ['TLSv1.1', 'TLSv1.3'] })),
    { status: 400, faultstring: 'Validation failure: Requested TLS versions are less than the minimum: TLSv1.1 < TLSv1.2' })
  assert.deepEqual(fault(await put(strict, listener.id, { tls_versions: ['TLSv1', 'TLSv1.1', 'TLSv1.3'] })),
    { status: 400, faultstring: 'Validation failure: Requested TLS versions are less than the minimum: TLSv1, TLSv1.1 < TLSv1.2' })
  assert.deepEqual(fault(await put(strict, listener.id, { tls_ciphers: 'RC4-MD5' })),
    { status: 400, faultstring: 'Validation failure: The following ciphers have been prohibited by an administrator: RC4-MD5' })
  assert.deepEqual(await strict.counts(), before)
  const accepted = await activeListener(strict, { ...tls, tls_versions: ['TLSv1.2'] })
  assert.equal(accepted.tls_ciphers, DEFAULT_CIPHERS)
})

test('delete takes the L7 policies, rules and tags, keeps the default pool; the LB goes back to ACTIVE', async (t) => {
  const api = await startApi(t)
  const lbId = String((await activeLoadBalancer(api)).id)
  const kysely = api.deps.db.kysely
  const poolId = await seedPool(kysely, lbId, { protocol: 'HTTP' })
  const listener = await activeListener(api, { loadbalancer_id: lbId, protocol: 'HTTP', protocol_port: 80, default_pool_id: poolId, tags: ['t'] })
  const id = String(listener.id)
  const policy = await seedL7Policy(kysely, id, poolId)
  await seedL7Rule(kysely, policy)
  assert.deepEqual(((await get(api, `${LISTENERS}/${id}`)).listener as Json).l7policies, [{ id: policy }])
  const res = await api.app.inject({ method: 'DELETE', url: `${LISTENERS}/${id}` })
  assert.equal(res.statusCode, 204)
  await api.until(`${LISTENERS}/${id}`, (_b, status) => status === 404)
  await waitActive(api, lbId)
  const remaining = async (table: 'l7policy' | 'l7rule' | 'tags' | 'pool') =>
    Number((await kysely.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n)
  assert.deepEqual([await remaining('l7policy'), await remaining('l7rule'), await remaining('tags'), await remaining('pool')], [0, 0, 0, 1])
})

test('list: filters, tags, sorting, pagination links, fields; show with fields; stats', async (t) => {
  const api = await startApi(t, { sets: NOOP_DEFAULT_PROVIDER })
  const lbId = String((await activeLoadBalancer(api)).id)
  const a = await activeListener(api, { loadbalancer_id: lbId, protocol: 'HTTP', protocol_port: 80, name: 'a', tags: ['web', 'blue'] })
  const b = await activeListener(api, { loadbalancer_id: lbId, protocol: 'TCP', protocol_port: 81, name: 'b', tags: ['web'] })
  const c = await activeListener(api, { loadbalancer_id: lbId, protocol: 'UDP', protocol_port: 82, name: 'c' })
  const ids = async (query: string) => ((await get(api, `${LISTENERS}${query}`)).listeners as Json[]).map((l) => l.id)

  const all = await get(api, LISTENERS)
  assert.deepEqual((all.listeners as Json[]).map((l) => l.id), [a.id, b.id, c.id])
  assert.deepEqual(all.listeners_links, [])
  assert.deepEqual((all.listeners as Json[])[0], a, 'list items render like show')
  assert.deepEqual(await ids('?protocol=TCP'), [b.id])
  assert.deepEqual(await ids(`?loadbalancer_id=${lbId}&protocol_port=82`), [c.id])
  assert.deepEqual(await ids('?tags=web'), [a.id, b.id])
  assert.deepEqual(await ids('?not-tags-any=blue'), [b.id, c.id])
  assert.deepEqual(await ids('?sort=protocol_port:desc'), [c.id, b.id, a.id])
  assert.deepEqual(await get(api, `${LISTENERS}?fields=id&fields=protocol&name=b`), { listeners: [{ id: b.id, protocol: 'TCP' }], listeners_links: [] })
  const page = await get(api, `${LISTENERS}?limit=2`)
  assert.deepEqual((page.listeners as Json[]).map((l) => l.id), [a.id, b.id])
  assert.deepEqual(page.listeners_links, [{ href: `http://localhost:80${LISTENERS}?limit=2&marker=${String(b.id)}`, rel: 'next' }])
  assert.deepEqual(await ids(`?limit=2&marker=${String(b.id)}`), [c.id])
  assert.deepEqual(fault(await api.app.inject({ method: 'GET', url: `${LISTENERS}?default_tls_container=x` })),
    { status: 400, faultstring: 'One or more arguments are either duplicate or invalid' })

  assert.deepEqual(await get(api, `/v2/listeners/${String(a.id)}?fields=name&fields=loadbalancers`), { listener: { name: 'a', loadbalancers: [{ id: lbId }] } })

  assert.deepEqual(await get(api, `/v2.0/lbaas/listeners/${String(a.id)}/stats`), {
    stats: { bytes_in: 0, bytes_out: 0, active_connections: 0, total_connections: 0, request_errors: 0 },
  })
  await api.deps.db.kysely.insertInto('listener_statistics').values([
    { listener_id: String(a.id), amphora_id: String(a.id), bytes_in: 10, bytes_out: 20, active_connections: 3, total_connections: 40, request_errors: 1 },
    { listener_id: String(a.id), amphora_id: UNKNOWN, bytes_in: 1, bytes_out: 2, active_connections: 5, total_connections: 4, request_errors: 0 },
  ]).execute()
  // Rows of an amphora that is not ALLOCATED (here: unknown) add everything but active connections.
  assert.deepEqual(await get(api, `${LISTENERS}/${String(a.id)}/stats`), {
    stats: { bytes_in: 11, bytes_out: 22, active_connections: 3, total_connections: 44, request_errors: 1 },
  })
  assert.equal((await api.app.inject({ method: 'GET', url: `${LISTENERS}/${UNKNOWN}/stats` })).statusCode, 404)
})
