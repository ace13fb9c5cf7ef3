import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { DEFAULT_SUBNET_ID } from '../../../src/config/defaults.ts'
import { seedHealthMonitor, seedL7Policy, seedListener, seedMember } from '../../helpers/db-seed.ts'
import { NOOP_DEFAULT_PROVIDER } from '../../helpers/noop-provider.ts'
import { startApi, type ApiHarness } from '../../helpers/api-harness.ts'

const LBS = '/v2/lbaas/loadbalancers'
const POOLS = '/v2/lbaas/pools'
const UNKNOWN = 'a2c8e0bb-0000-4000-8000-0000000000aa'
const DEFAULT_CIPHERS = 'TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:ECDHE-ECDSA-AES128-GCM-SHA256:'
  + 'ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:'
  + 'ECDHE-RSA-CHACHA20-POLY1305:DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305'
const WITH_NOOP = ['octavia.api_settings.enabled_provider_drivers={amphora: "The Octavia Amphora driver.", noop_driver: "The noop driver."}']

type Json = Record<string, unknown>

function fault(res: { statusCode: number; json(): unknown }): { status: number; faultstring: string } {
  return { status: res.statusCode, faultstring: (res.json() as { faultstring: string }).faultstring }
}

const V = (detail: string) => `Validation failure: ${detail}`

async function activeLoadBalancer(api: ApiHarness, body: Json = {}): Promise<string> {
  const res = await api.app.inject({ method: 'POST', url: LBS, payload: { loadbalancer: { vip_subnet_id: DEFAULT_SUBNET_ID, ...body } } })
  assert.equal(res.statusCode, 201, res.body)
  const id = (res.json() as { loadbalancer: { id: string } }).loadbalancer.id
  await settled(api, id)
  return id
}

/** Waits until the LB is ACTIVE again (the worker finished the last change). */
async function settled(api: ApiHarness, lbId: string): Promise<Json> {
  return (await api.until(`${LBS}/${lbId}`, (b) => (b.loadbalancer as Json).provisioning_status === 'ACTIVE')).loadbalancer as Json
}

function postPool(api: ApiHarness, pool: Json) {
  return api.app.inject({ method: 'POST', url: POOLS, payload: { pool } })
}

function putPool(api: ApiHarness, id: string, pool: Json) {
  return api.app.inject({ method: 'PUT', url: `${POOLS}/${id}`, payload: { pool } })
}

/** Creates a pool, waits for the worker, returns it ACTIVE. */
async function activePool(api: ApiHarness, lbId: string, pool: Json = {}): Promise<Json> {
  const res = await postPool(api, { loadbalancer_id: lbId, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', ...pool })
  assert.equal(res.statusCode, 201, res.body)
  const created = (res.json() as { pool: Json }).pool
  await settled(api, lbId)
  return (await api.until(`${POOLS}/${String(created.id)}`, (b) => (b.pool as Json).provisioning_status === 'ACTIVE')).pool as Json
}

/**
 * Runs `during` while the worker is held after the first task (the checkpoint) of every job, so a
 * test can see the PENDING_* statuses the API wrote: the in-process worker is otherwise faster
 * than the test. The remaining tasks run once released.
 */
async function whileWorkerHeld(_t: TestContext, api: ApiHarness, during: () => Promise<void>): Promise<void> {
  const release = api.holdWorker()
  try {
    await during()
  } finally {
    release()
  }
}

async function listenerStatus(api: ApiHarness, id: string) {
  return api.deps.db.kysely.selectFrom('listener').select(['provisioning_status', 'default_pool_id']).where('id', '=', id).executeTakeFirstOrThrow()
}

test('create answers 201 with every field of §10.1 (PENDING_CREATE/OFFLINE, LB PENDING_UPDATE), then the worker makes it ACTIVE', async (t) => {
  const api = await startApi(t)
  const lbId = await activeLoadBalancer(api, { project_id: 'proj-1' })
  let poolId = ''
  await whileWorkerHeld(t, api, async () => {
    const res = await postPool(api, {
      loadbalancer_id: lbId.toUpperCase(), protocol: 'HTTP', lb_algorithm: 'LEAST_CONNECTIONS', name: 'web', tags: ['b', 'a', 'b'],
      project_id: 'ignored', members: [], healthmonitor: null,
    })
    assert.equal(res.statusCode, 201, res.body)
    const pool = (res.json() as { pool: Json }).pool
    assert.deepEqual(Object.keys(pool).sort(), [
      'admin_state_up', 'alpn_protocols', 'ca_tls_container_ref', 'created_at', 'crl_container_ref', 'description', 'id', 'lb_algorithm',
      'listeners', 'loadbalancers', 'members', 'name', 'operating_status', 'project_id', 'protocol', 'provisioning_status',
      'session_persistence', 'tags', 'tenant_id', 'tls_ciphers', 'tls_container_ref', 'tls_enabled', 'tls_versions', 'updated_at',
    ], 'no healthmonitor_id key while the pool has no health monitor')
    assert.deepEqual({ ...pool, id: 'x', created_at: 'x' }, {
      id: 'x', name: 'web', description: '', provisioning_status: 'PENDING_CREATE', operating_status: 'OFFLINE', admin_state_up: true,
      protocol: 'HTTP', lb_algorithm: 'LEAST_CONNECTIONS', session_persistence: null, project_id: 'proj-1', tenant_id: 'proj-1',
      loadbalancers: [{ id: lbId }], listeners: [], created_at: 'x', updated_at: null, members: [], tags: ['a', 'b'],
      tls_container_ref: null, ca_tls_container_ref: null, crl_container_ref: null, tls_enabled: false, tls_ciphers: null,
      tls_versions: null, alpn_protocols: null,
    })
    assert.match(String(pool.created_at), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/)
    const lb = (await api.app.inject({ method: 'GET', url: `${LBS}/${lbId}` })).json() as { loadbalancer: Json }
    assert.equal(lb.loadbalancer.provisioning_status, 'PENDING_UPDATE')
    assert.deepEqual(lb.loadbalancer.pools, [{ id: pool.id }])
    poolId = String(pool.id)
  })

  const active = await api.until(`${POOLS}/${poolId}`, (b) => (b.pool as Json).provisioning_status === 'ACTIVE')
  assert.equal((active.pool as Json).operating_status, 'OFFLINE')
  assert.equal((await settled(api, lbId)).provisioning_status, 'ACTIVE')
  // fields on show, as on the list (spec/api-v2.md §5.6).
  const some = (await api.app.inject({ method: 'GET', url: `${POOLS}/${poolId}?fields=id&fields=protocol` })).json()
  assert.deepEqual(some, { pool: { id: poolId, protocol: 'HTTP' } })
})

test('the full lifecycle: update stores values with PENDING_UPDATE, the LB is busy (409) meanwhile, delete → 404 with the LB ACTIVE', async (t) => {
  const api = await startApi(t)
  const lbId = await activeLoadBalancer(api)
  const pool = await activePool(api, lbId, { name: 'a', tags: ['x'], session_persistence: { type: 'SOURCE_IP' } })
  const url = `${POOLS}/${String(pool.id)}`

  await whileWorkerHeld(t, api, async () => {
    const res = await putPool(api, String(pool.id), {
      name: 'b', description: 'd', admin_state_up: null, lb_algorithm: 'SOURCE_IP', tags: ['z', 'y'],
      session_persistence: { type: 'APP_COOKIE', cookie_name: 'JSESSIONID' },
    })
    assert.equal(res.statusCode, 200, res.body)
    const updated = (res.json() as { pool: Json }).pool
    assert.deepEqual([updated.name, updated.description, updated.admin_state_up, updated.lb_algorithm, updated.tags, updated.provisioning_status],
      ['b', 'd', false, 'SOURCE_IP', ['y', 'z'], 'PENDING_UPDATE'])
    assert.deepEqual(updated.session_persistence, { type: 'APP_COOKIE', cookie_name: 'JSESSIONID', persistence_timeout: null, persistence_granularity: null })
    assert.notEqual(updated.updated_at, null)

    // While the LB is busy every change under it is refused, and nothing is written.
    const busy = { status: 409, faultstring: `Load Balancer ${lbId} is immutable and cannot be updated.` }
    const before = await api.counts()
    assert.deepEqual(fault(await postPool(api, { loadbalancer_id: lbId, protocol: 'TCP', lb_algorithm: 'ROUND_ROBIN' })), busy)
    assert.deepEqual(fault(await putPool(api, String(pool.id), { name: 'c' })), busy)
    assert.deepEqual(fault(await api.app.inject({ method: 'DELETE', url })), busy)
    assert.deepEqual(await api.counts(), before)
    assert.equal(((await api.app.inject({ method: 'GET', url })).json() as { pool: Json }).pool.name, 'b')
  })
  await api.until(url, (b) => (b.pool as Json).provisioning_status === 'ACTIVE')

  // A member, a health monitor and their tags go with the pool.
  const member = await seedMember(api.deps.db.kysely, String(pool.id))
  const monitor = await seedHealthMonitor(api.deps.db.kysely, String(pool.id))
  await api.deps.db.kysely.insertInto('tags').values([{ resource_id: member, tag: 'm' }]).execute()
  const shown = ((await api.app.inject({ method: 'GET', url })).json() as { pool: Json }).pool
  assert.deepEqual([shown.members, shown.healthmonitor_id], [[{ id: member }], monitor])

  const deleted = await api.app.inject({ method: 'DELETE', url })
  assert.equal(deleted.statusCode, 204)
  assert.equal(deleted.body, '')
  await api.until(url, (_b, status) => status === 404)
  assert.deepEqual(fault(await api.app.inject({ method: 'GET', url })), { status: 404, faultstring: `Pool ${String(pool.id)} not found.` })
  const lb = await settled(api, lbId)
  assert.deepEqual(lb.pools, [])
  for (const table of ['member', 'health_monitor', 'session_persistence', 'tags'] as const) {
    const row = await api.deps.db.kysely.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()
    assert.equal(Number(row.n), 0, table)
  }
  assert.deepEqual(fault(await putPool(api, String(pool.id), { name: 'x' })), { status: 404, faultstring: `Pool ${String(pool.id)} not found.` })
  assert.deepEqual(fault(await api.app.inject({ method: 'DELETE', url })), { status: 404, faultstring: `Pool ${String(pool.id)} not found.` })
})

test('create: every bad value is a 400 (or 404) with upstream\'s text, and nothing changes', async (t) => {
  const api = await startApi(t)
  const lbId = await activeLoadBalancer(api)
  const base = { loadbalancer_id: lbId, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' }
  const long = 'x'.repeat(256)
  const cases: Array<[Json, number, string]> = [
    [{ ...base, id: UNKNOWN }, 400, 'Unknown attribute for argument pool_.pool: id'],
    [{ ...base, session_persistence: { type: 'SOURCE_IP', ttl: 1 } }, 400, 'Unknown attribute for argument pool_.pool.session_persistence: ttl'],
    [{ loadbalancer_id: lbId, lb_algorithm: 'ROUND_ROBIN' }, 400, "Invalid input for field/attribute protocol. Value: 'None'. Mandatory field missing."],
    [{ ...base, protocol: 'PROMETHEUS' }, 400, "Invalid input for field/attribute protocol. Value: 'PROMETHEUS'. Value should be one of: TCP, HTTP, HTTPS, PROXY, PROXYV2, UDP, SCTP"],
    [{ ...base, lb_algorithm: null }, 400, "Invalid input for field/attribute lb_algorithm. Value: 'None'. Mandatory field missing."],
    [{ ...base, lb_algorithm: 'FASTEST' }, 400, "Invalid input for field/attribute lb_algorithm. Value: 'FASTEST'. Value should be one of: ROUND_ROBIN, LEAST_CONNECTIONS, SOURCE_IP, SOURCE_IP_PORT"],
    [{ ...base, loadbalancer_id: 'lb-1' }, 400, "Invalid input for field/attribute loadbalancer_id. Value: 'lb-1'. Value should be UUID format"],
    [{ ...base, name: long }, 400, `Invalid input for field/attribute name. Value: '${long}'. Value should have a maximum character requirement of 255`],
    [{ ...base, admin_state_up: 'maybe' }, 400, "Invalid input for field/attribute admin_state_up. Value: 'maybe'. Value not an unambiguous boolean: maybe"],
    [{ ...base, tls_container_ref: long }, 400, `Invalid input for field/attribute tls_container_ref. Value: '${long}'. Value should have a maximum character requirement of 255`],
    [{ ...base, alpn_protocols: ['h3'] }, 400, "Invalid input for field/attribute alpn_protocols. Value: '['h3']'. Value should be a valid ALPN protocol ID"],
    [{ ...base, session_persistence: {} }, 400, "Invalid input for field/attribute type. Value: 'None'. Mandatory field missing."],
    [{ ...base, session_persistence: { type: 'URL' } }, 400, "Invalid input for field/attribute type. Value: 'URL'. Value should be one of: SOURCE_IP, HTTP_COOKIE, APP_COOKIE"],
    [{ ...base, session_persistence: { type: 'SOURCE_IP', persistence_granularity: '255.255.255.256' } }, 400,
      "Invalid input for field/attribute persistence_granularity. Value: '255.255.255.256'. Value should be IPv4 or IPv6 format"],
    [{ ...base, healthmonitor: { type: 'HTTP', delay: 5, timeout: 3, max_retries: 3 } }, 400,
      V('healthmonitor may only be specified when creating a fully populated load balancer.')],
    [{ ...base, members: [{ address: '192.0.2.1', protocol_port: 80 }] }, 400, V('members may only be specified when creating a fully populated load balancer.')],
    [{ protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' }, 400, V('Must provide at least one of: loadbalancer_id, listener_id')],
    [{ ...base, loadbalancer_id: UNKNOWN }, 404, `Load Balancer ${UNKNOWN} not found.`],
    [{ protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', listener_id: UNKNOWN }, 404, `Listener ${UNKNOWN} not found.`],
    [{ ...base, crl_container_ref: 'crl' }, 400, V('A CA certificate reference is required to specify a revocation list.')],
    [{ ...base, tls_ciphers: 'AES 256' }, 400, V('Invalid characters in cipher string. Only alphanumeric, -, +, !, :, @, =, _, and . are allowed.')],
    [{ ...base, tls_enabled: true, tls_versions: [] }, 400,
      V('Empty TLS version list. Either specify at least one TLS version or remove this parameter to use the default.')],
    [{ ...base, tls_enabled: true, tls_versions: ['TLSv1.2', 'TLSv9', 'SSLv2'] }, 400, V('Invalid TLS versions: TLSv9, SSLv2')],
    [{ ...base, tls_enabled: true, alpn_protocols: [] }, 400,
      V('Empty ALPN protocol list. Either specify at least one ALPN protocol or remove this parameter to use the default.')],
    [{ ...base, lb_algorithm: 'SOURCE_IP_PORT' }, 501,
      "Provider 'amphora' does not support a requested option: Amphora provider does not support SOURCE_IP_PORT algorithm."],
  ]
  const before = await api.counts()
  for (const [pool, status, faultstring] of cases) {
    assert.deepEqual(fault(await postPool(api, pool)), { status, faultstring }, JSON.stringify(pool))
  }
  assert.deepEqual(fault(await api.app.inject({ method: 'POST', url: POOLS, payload: {} })),
    { status: 400, faultstring: "Invalid input for field/attribute pool. Value: 'None'. Mandatory field missing." })
  assert.deepEqual(await api.counts(), before, 'a refused create writes nothing')
  assert.equal((await settled(api, lbId)).provisioning_status, 'ACTIVE', 'and leaves the LB ACTIVE')

  // Without tls_enabled the version and ALPN lists are stored unchecked; with it the defaults fill in.
  const plain = await activePool(api, lbId, { tls_versions: [], tls_ciphers: 'AES128-SHA' })
  assert.deepEqual([plain.tls_versions, plain.tls_ciphers, plain.alpn_protocols], [[], 'AES128-SHA', null])
  const tls = await activePool(api, lbId, { tls_enabled: 'yes', tls_container_ref: 'cert-ref', ca_tls_container_ref: 'ca-ref', crl_container_ref: 'crl-ref' })
  assert.deepEqual([tls.tls_enabled, tls.tls_ciphers, tls.tls_versions, tls.alpn_protocols, tls.tls_container_ref, tls.ca_tls_container_ref, tls.crl_container_ref],
    [true, DEFAULT_CIPHERS, ['TLSv1.2', 'TLSv1.3'], ['h2', 'http/1.1', 'http/1.0'], 'cert-ref', 'ca-ref', 'crl-ref'])
})

test('configured cipher prohibit list and minimum TLS version', async (t) => {
  const api = await startApi(t, { sets: ['octavia.api_settings.tls_cipher_prohibit_list=RC4-MD5:DES-CBC3-SHA', 'octavia.api_settings.minimum_tls_version=TLSv1.2'] })
  const lbId = await activeLoadBalancer(api)
  const base = { loadbalancer_id: lbId, protocol: 'HTTPS', lb_algorithm: 'ROUND_ROBIN' }
  const before = await api.counts()
  assert.deepEqual(fault(await postPool(api, { ...base, tls_ciphers: 'DES-CBC3-SHA:AES128-SHA:RC4-MD5' })),
    { status: 400, faultstring: V('The following ciphers have been prohibited by an administrator: DES-CBC3-SHA, RC4-MD5') })
  assert.deepEqual(fault(await postPool(api, { ...base, tls_enabled: true, tls_versions: ['TLSv1', 'TLSv1.1', 'TLSv1.3'] })),
    { status: 400, faultstring: V('Requested TLS versions are less than the minimum: TLSv1, TLSv1.1 < TLSv1.2') })
  assert.deepEqual(await api.counts(), before)
  const pool = await activePool(api, lbId, { ...base })
  assert.deepEqual(fault(await putPool(api, String(pool.id), { tls_versions: ['SSLv3'] })),
    { status: 400, faultstring: V('Requested TLS versions are less than the minimum: SSLv3 < TLSv1.2') })
})

test('session persistence on create: the type/protocol/cookie_name matrix of §10.2', async (t) => {
  const api = await startApi(t, { sets: NOOP_DEFAULT_PROVIDER })
  const lbId = await activeLoadBalancer(api)
  const accepted: Array<[string, Json, Json]> = [
    ['HTTP', { type: 'SOURCE_IP' }, { type: 'SOURCE_IP', cookie_name: null, persistence_timeout: null, persistence_granularity: null }],
    ['HTTP', { type: 'HTTP_COOKIE', cookie_name: null }, { type: 'HTTP_COOKIE', cookie_name: null, persistence_timeout: null, persistence_granularity: null }],
    ['TCP', { type: 'APP_COOKIE', cookie_name: 'JSESSIONID' }, { type: 'APP_COOKIE', cookie_name: 'JSESSIONID', persistence_timeout: null, persistence_granularity: null }],
    ['HTTP', { type: 'SOURCE_IP', persistence_timeout: 0 }, { type: 'SOURCE_IP', cookie_name: null, persistence_timeout: 0, persistence_granularity: null }],
    ['UDP', { type: 'SOURCE_IP', persistence_timeout: '60', persistence_granularity: '255.255.255.0' },
      { type: 'SOURCE_IP', cookie_name: null, persistence_timeout: 60, persistence_granularity: '255.255.255.0' }],
    ['SCTP', { type: 'SOURCE_IP' }, { type: 'SOURCE_IP', cookie_name: null, persistence_timeout: null, persistence_granularity: null }],
  ]
  for (const [protocol, sp, shown] of accepted) {
    const pool = await activePool(api, lbId, { protocol, session_persistence: sp })
    assert.deepEqual(pool.session_persistence, shown, `${protocol} ${JSON.stringify(sp)}`)
  }

  const refused: Array<[string, Json, string]> = [
    ['HTTP', { type: 'APP_COOKIE' }, 'Field "cookie_name" must be specified when using the "APP_COOKIE" session persistence type.'],
    ['HTTP', { type: 'APP_COOKIE', cookie_name: '' }, 'Field "cookie_name" must be specified when using the "APP_COOKIE" session persistence type.'],
    ['HTTP', { type: 'HTTP_COOKIE', cookie_name: 'c' }, 'Field "cookie_name" can only be specified with session persistence of type "APP_COOKIE".'],
    ['HTTP', { type: 'SOURCE_IP', cookie_name: 'c' }, 'Field "cookie_name" can only be specified with session persistence of type "APP_COOKIE".'],
    ['HTTP', { type: 'APP_COOKIE', cookie_name: 'a b' }, 'Supplied "cookie_name" is invalid.'],
    ['HTTP', { type: 'APP_COOKIE', cookie_name: 'a;b' }, 'Supplied "cookie_name" is invalid.'],
    ['HTTP', { type: 'APP_COOKIE', cookie_name: 'a\\b' }, 'Supplied "cookie_name" is invalid.'],
    ['HTTP', { type: 'APP_COOKIE', cookie_name: '日本' }, 'Supplied "cookie_name" is invalid.'],
    ['HTTPS', { type: 'SOURCE_IP', persistence_timeout: 10 }, 'persistence_timeout and persistence_granularity is only for UDP and SCTP protocol pools.'],
    ['PROXY', { type: 'SOURCE_IP', persistence_granularity: '255.0.0.0' }, 'persistence_timeout and persistence_granularity is only for UDP and SCTP protocol pools.'],
    ['UDP', { type: 'SOURCE_IP', cookie_name: 'c' },
      'session_persistence SOURCE_IP type for UDP and SCTP protocols only accepts: type, persistence_timeout, persistence_granularity.'],
    ['SCTP', { type: 'APP_COOKIE', cookie_name: 'c' }, 'Cookie names are not supported for UDP/SCTP pools.'],
    ['UDP', { type: 'HTTP_COOKIE' }, 'Session persistence of type HTTP_COOKIE is not supported for UDP/SCTP protocol pools.'],
    ['SCTP', { type: 'APP_COOKIE' }, 'Session persistence of type APP_COOKIE is not supported for UDP/SCTP protocol pools.'],
  ]
  const before = await api.counts()
  for (const [protocol, sp, detail] of refused) {
    const res = await postPool(api, { loadbalancer_id: lbId, protocol, lb_algorithm: 'ROUND_ROBIN', session_persistence: sp })
    assert.deepEqual(fault(res), { status: 400, faultstring: V(detail) }, `${protocol} ${JSON.stringify(sp)}`)
  }
  assert.deepEqual(await api.counts(), before)
  // A cookie name is any token: letters beyond ASCII up to U+00FF count.
  const latin = await activePool(api, lbId, { session_persistence: { type: 'APP_COOKIE', cookie_name: 'sess_ïd-1.2' } })
  assert.equal((latin.session_persistence as Json).cookie_name, 'sess_ïd-1.2')
})

test('update: session persistence replace/keep type/remove, TLS defaults on null, CA/CRL coherence, 400s before the status test', async (t) => {
  const api = await startApi(t, { sets: NOOP_DEFAULT_PROVIDER })
  const lbId = await activeLoadBalancer(api)
  const http = await activePool(api, lbId, { session_persistence: { type: 'APP_COOKIE', cookie_name: 'a' }, tags: ['keep'] })
  const id = String(http.id)
  const sp = async (body: Json) => {
    const res = await putPool(api, id, body)
    assert.equal(res.statusCode, 200, res.body)
    await settled(api, lbId)
    return (res.json() as { pool: Json }).pool
  }
  // The stored type is reused; what the object leaves out becomes null.
  assert.deepEqual((await sp({ session_persistence: { cookie_name: 'b' } })).session_persistence,
    { type: 'APP_COOKIE', cookie_name: 'b', persistence_timeout: null, persistence_granularity: null })
  assert.deepEqual((await sp({ session_persistence: { type: 'HTTP_COOKIE' } })).session_persistence,
    { type: 'HTTP_COOKIE', cookie_name: null, persistence_timeout: null, persistence_granularity: null })
  const cleared = await sp({ session_persistence: null, tags: null })
  assert.deepEqual([cleared.session_persistence, cleared.tags], [null, ['keep']])
  // null TLS ciphers and versions take the configured defaults, null ALPN stays null.
  const tls = await sp({ tls_enabled: true, tls_ciphers: null, tls_versions: null, alpn_protocols: null })
  assert.deepEqual([tls.tls_enabled, tls.tls_ciphers, tls.tls_versions, tls.alpn_protocols], [true, DEFAULT_CIPHERS, ['TLSv1.2', 'TLSv1.3'], null])
  const refs = await sp({ ca_tls_container_ref: 'ca', crl_container_ref: 'crl', tls_container_ref: 'cert', alpn_protocols: ['h2'] })
  assert.deepEqual([refs.ca_tls_container_ref, refs.crl_container_ref, refs.tls_container_ref, refs.alpn_protocols], ['ca', 'crl', 'cert', ['h2']])

  const udp = await activePool(api, lbId, { protocol: 'UDP' })
  const refused: Array<[string, Json, string]> = [
    [id, { session_persistence: {} }, V('Invalid session_persistence provided.')],
    [id, { session_persistence: { cookie_name: 'x' } }, V('Invalid session_persistence provided.')],
    [id, { session_persistence: { type: 'SOURCE_IP', persistence_timeout: 5 } }, V('persistence_timeout and persistence_granularity is only for UDP protocol pools.')],
    [id, { session_persistence: { type: 'APP_COOKIE' } }, V('Field "cookie_name" must be specified when using the "APP_COOKIE" session persistence type.')],
    [String(udp.id), { session_persistence: { type: 'APP_COOKIE', cookie_name: 'x' } }, V('Cookie names are not supported for UDP/SCTP pools.')],
    [String(udp.id), { session_persistence: { type: 'HTTP_COOKIE' } }, V('Session persistence of type HTTP_COOKIE is not supported for UDP/SCTP protocol pools.')],
    [id, { ca_tls_container_ref: null }, V('A CA reference cannot be removed when a certificate revocation list is present.')],
    [id, { ca_tls_container_ref: '', crl_container_ref: 'other' }, V('A CA reference cannot be removed when a certificate revocation list is present.')],
    [String(udp.id), { ca_tls_container_ref: null, crl_container_ref: 'crl' }, V('A CA reference is required to specify a certificate revocation list.')],
    [String(udp.id), { crl_container_ref: 'crl' }, V('A CA reference is required to specify a certificate revocation list.')],
    [id, { tls_versions: [] }, V('Empty TLS version list. Either specify at least one TLS version or remove this parameter to use the default.')],
    [id, { tls_versions: ['TLSv1.4'] }, V('Invalid TLS versions: TLSv1.4')],
    [id, { alpn_protocols: [] }, V('Empty ALPN protocol list. Either specify at least one ALPN protocol or remove this parameter to use the default.')],
    [id, { tls_ciphers: 'A B' }, V('Invalid characters in cipher string. Only alphanumeric, -, +, !, :, @, =, _, and . are allowed.')],
    [id, { protocol: 'TCP' }, 'Unknown attribute for argument pool_.pool: protocol'],
    [id, { loadbalancer_id: lbId }, 'Unknown attribute for argument pool_.pool: loadbalancer_id'],
    [id, { lb_algorithm: null }, "Invalid input for field/attribute lb_algorithm. Value: 'None'. Mandatory field missing."],
    [id, { session_persistence: { type: 'NONE' } }, "Invalid input for field/attribute type. Value: 'NONE'. Value should be one of: SOURCE_IP, HTTP_COOKIE, APP_COOKIE"],
  ]
  // Update validations come before the status test (spec/api-v2.md §10.4): a busy LB still answers 400.
  await api.deps.loadBalancers.setProvisioningStatus(lbId, 'PENDING_UPDATE')
  const before = await api.counts()
  const stored = (await api.app.inject({ method: 'GET', url: `${POOLS}/${id}` })).json() as { pool: Json }
  for (const [poolId, body, faultstring] of refused) {
    assert.deepEqual(fault(await putPool(api, poolId, body)), { status: 400, faultstring }, JSON.stringify(body))
  }
  assert.deepEqual(await api.counts(), before)
  assert.deepEqual((await api.app.inject({ method: 'GET', url: `${POOLS}/${id}` })).json(), stored, 'the pool is unchanged')
  await api.deps.loadBalancers.setProvisioningStatus(lbId, 'ACTIVE')
  assert.deepEqual(fault(await putPool(api, UNKNOWN, {})), { status: 404, faultstring: `Pool ${UNKNOWN} not found.` })

  // A CA replaced together with its CRL is fine; so is removing both.
  const both = await sp({ ca_tls_container_ref: null, crl_container_ref: null })
  assert.deepEqual([both.ca_tls_container_ref, both.crl_container_ref], [null, null])
})

test('SOURCE_IP_PORT: 501 from the amphora provider on create and update, accepted on a noop_driver load balancer', async (t) => {
  const api = await startApi(t, { sets: WITH_NOOP })
  const amphora = await activeLoadBalancer(api)
  const pool = await activePool(api, amphora)
  const refusal = { status: 501, faultstring: "Provider 'amphora' does not support a requested option: Amphora provider does not support SOURCE_IP_PORT algorithm." }
  const before = await api.counts()
  assert.deepEqual(fault(await postPool(api, { loadbalancer_id: amphora, protocol: 'TCP', lb_algorithm: 'SOURCE_IP_PORT' })), refusal)
  assert.deepEqual(fault(await putPool(api, String(pool.id), { lb_algorithm: 'SOURCE_IP_PORT', name: 'changed' })), refusal)
  assert.deepEqual(await api.counts(), before)
  const after = ((await api.app.inject({ method: 'GET', url: `${POOLS}/${String(pool.id)}` })).json() as { pool: Json }).pool
  assert.deepEqual([after.lb_algorithm, after.name, after.provisioning_status], ['ROUND_ROBIN', '', 'ACTIVE'], 'the refused update was rolled back')
  assert.equal((await settled(api, amphora)).provisioning_status, 'ACTIVE')

  const noop = await activeLoadBalancer(api, { provider: 'noop_driver' })
  const accepted = await activePool(api, noop, { protocol: 'TCP', lb_algorithm: 'SOURCE_IP_PORT' })
  assert.equal(accepted.lb_algorithm, 'SOURCE_IP_PORT')
  const res = await putPool(api, String(accepted.id), { lb_algorithm: 'SOURCE_IP_PORT' })
  assert.equal(res.statusCode, 200, res.body)
})

test('listener_id: default pool of the listener, protocol compatibility, PROMETHEUS, one default pool, statuses', async (t) => {
  const api = await startApi(t)
  const lbId = await activeLoadBalancer(api)
  const otherLb = await activeLoadBalancer(api)
  const k = api.deps.db.kysely
  const http = await seedListener(k, lbId, { protocol: 'HTTP', protocol_port: 80 })
  const udp = await seedListener(k, lbId, { protocol: 'UDP', protocol_port: 53 })
  const prometheus = await seedListener(k, lbId, { protocol: 'PROMETHEUS', protocol_port: 9100 })
  const elsewhere = await seedListener(k, otherLb, { protocol: 'TCP', protocol_port: 80 })

  const before = await api.counts()
  const refused: Array<[Json, number, string]> = [
    [{ listener_id: http, protocol: 'UDP' }, 400, V("The pool protocol 'UDP' is invalid while the listener protocol is 'HTTP'.")],
    [{ listener_id: http, protocol: 'HTTPS' }, 400, V("The pool protocol 'HTTPS' is invalid while the listener protocol is 'HTTP'.")],
    [{ listener_id: udp, protocol: 'TCP' }, 400, V("The pool protocol 'TCP' is invalid while the listener protocol is 'UDP'.")],
    // spec/api-v2.md §18: also checked when loadbalancer_id is given.
    [{ listener_id: http, loadbalancer_id: lbId, protocol: 'SCTP' }, 400, V("The pool protocol 'SCTP' is invalid while the listener protocol is 'HTTP'.")],
    [{ listener_id: prometheus, protocol: 'HTTP' }, 400, 'Protocol PROMETHEUS listeners cannot have child objects.'],
    [{ listener_id: UNKNOWN, loadbalancer_id: lbId, protocol: 'HTTP' }, 404, `Listener ${UNKNOWN} not found.`],
  ]
  for (const [body, status, faultstring] of refused) {
    assert.deepEqual(fault(await postPool(api, { lb_algorithm: 'ROUND_ROBIN', ...body })), { status, faultstring }, JSON.stringify(body))
  }
  const foreign = fault(await postPool(api, { listener_id: elsewhere, loadbalancer_id: lbId, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' }))
  assert.equal(foreign.status, 404)
  assert.match(foreign.faultstring, /^Pool [0-9a-f-]{36} not found\.$/)
  assert.deepEqual(await api.counts(), before)
  assert.equal((await listenerStatus(api, elsewhere)).provisioning_status, 'ACTIVE', 'the refused create was rolled back')

  // The load balancer comes from the listener; the listener is PENDING_UPDATE until the worker is done.
  let poolId = ''
  await whileWorkerHeld(t, api, async () => {
    const res = await postPool(api, { listener_id: http, protocol: 'PROXY', lb_algorithm: 'ROUND_ROBIN' })
    assert.equal(res.statusCode, 201, res.body)
    const pool = (res.json() as { pool: Json }).pool
    poolId = String(pool.id)
    assert.deepEqual([pool.loadbalancers, pool.listeners], [[{ id: lbId }], [{ id: http }]])
    assert.deepEqual(await listenerStatus(api, http), { provisioning_status: 'PENDING_UPDATE', default_pool_id: poolId })
  })
  await settled(api, lbId)
  assert.deepEqual(await listenerStatus(api, http), { provisioning_status: 'ACTIVE', default_pool_id: poolId })

  assert.deepEqual(fault(await postPool(api, { listener_id: http, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' })),
    { status: 409, faultstring: 'This listener already has a default pool' })

  // Update and delete put every listener using the pool PENDING_UPDATE; delete clears its default pool.
  await whileWorkerHeld(t, api, async () => {
    assert.equal((await putPool(api, poolId, { name: 'n' })).statusCode, 200)
    assert.equal((await listenerStatus(api, http)).provisioning_status, 'PENDING_UPDATE')
  })
  await settled(api, lbId)
  await whileWorkerHeld(t, api, async () => {
    assert.equal((await api.app.inject({ method: 'DELETE', url: `${POOLS}/${poolId}` })).statusCode, 204)
    assert.equal((await listenerStatus(api, http)).provisioning_status, 'PENDING_UPDATE')
    const deleting = ((await api.app.inject({ method: 'GET', url: `${POOLS}/${poolId}` })).json() as { pool: Json }).pool
    assert.equal(deleting.provisioning_status, 'PENDING_DELETE')
  })
  await api.until(`${POOLS}/${poolId}`, (_b, status) => status === 404)
  await settled(api, lbId)
  assert.deepEqual(await listenerStatus(api, http), { provisioning_status: 'ACTIVE', default_pool_id: null })
})

test('delete is refused while an L7 policy redirects to the pool', async (t) => {
  const api = await startApi(t)
  const lbId = await activeLoadBalancer(api)
  const pool = await activePool(api, lbId)
  const listener = await seedListener(api.deps.db.kysely, lbId)
  const policy = await seedL7Policy(api.deps.db.kysely, listener, String(pool.id))
  await api.deps.db.kysely.updateTable('l7policy').set({ enabled: false, provisioning_status: 'ERROR' }).where('id', '=', policy).execute()
  const before = await api.counts()
  assert.deepEqual(fault(await api.app.inject({ method: 'DELETE', url: `${POOLS}/${String(pool.id)}` })),
    { status: 409, faultstring: `Pool ${String(pool.id)} is in use by L7 policy ${policy}` })
  assert.deepEqual(await api.counts(), before)
  assert.equal((await settled(api, lbId)).provisioning_status, 'ACTIVE')
})

test('list: pools and pools_links through the list engine (filters, tags, fields, pagination)', async (t) => {
  const api = await startApi(t)
  const lbA = await activeLoadBalancer(api)
  const lbB = await activeLoadBalancer(api)
  const a = await activePool(api, lbA, { name: 'a', tags: ['blue'] })
  const b = await activePool(api, lbB, { name: 'b', protocol: 'TCP' })
  const list = async (query: string) => (await api.app.inject({ method: 'GET', url: `${POOLS}${query}` })).json() as { pools: Json[]; pools_links: Json[] }
  const all = await list('')
  assert.deepEqual(all.pools.map((p) => p.id), [a.id, b.id])
  assert.deepEqual(all.pools[0], a, 'list items render like show')
  assert.deepEqual(all.pools_links, [])
  assert.deepEqual((await list(`?loadbalancer_id=${lbB}`)).pools.map((p) => p.id), [b.id])
  assert.deepEqual((await list('?protocol=HTTP&fields=name')).pools, [{ name: 'a' }])
  assert.deepEqual((await list('?tags=blue')).pools.map((p) => p.id), [a.id])
  const page = await list('?limit=1')
  assert.deepEqual(page.pools.map((p) => p.id), [a.id])
  assert.equal(page.pools_links.length, 1)
  assert.equal(page.pools_links[0]?.rel, 'next')
  assert.deepEqual(fault(await api.app.inject({ method: 'GET', url: `${POOLS}?color=red` })),
    { status: 400, faultstring: 'One or more arguments are either duplicate or invalid' })
  const alias = (await api.app.inject({ method: 'GET', url: `/v2.0/pools/${String(a.id)}` })).json() as { pool: Json }
  assert.equal(alias.pool.id, a.id)
})
