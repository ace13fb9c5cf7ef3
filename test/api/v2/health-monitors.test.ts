import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { DEFAULT_SUBNET_ID } from '../../../src/config/defaults.ts'
import type { Executor } from '../../../src/db/database.ts'
import { startApi, type ApiHarness } from '../../helpers/api-harness.ts'
import { NOOP_DEFAULT_PROVIDER } from '../../helpers/noop-provider.ts'
import { seedHealthMonitor, seedListener, seedMember, seedPool } from '../../helpers/db-seed.ts'

const LBS = '/v2/lbaas/loadbalancers'
const HMS = '/v2/lbaas/healthmonitors'

type Json = Record<string, unknown>

interface Setup {
  api: ApiHarness
  db: Executor
  lbId: string
  poolId: string
}

/** An ACTIVE load balancer (through the API) with an ACTIVE pool of `protocol` (seeded: pools are another module's). */
async function setup(t: TestContext, options: { protocol?: string; sets?: string[] } = {}): Promise<Setup> {
  const api = await startApi(t, options.sets ? { sets: options.sets } : {})
  const res = await api.app.inject({ method: 'POST', url: LBS, payload: { loadbalancer: { vip_subnet_id: DEFAULT_SUBNET_ID } }, headers: { 'x-project-id': 'owner' } })
  const lbId = String((res.json() as { loadbalancer: Json }).loadbalancer.id)
  await api.until(`${LBS}/${lbId}`, (b) => (b.loadbalancer as Json).provisioning_status === 'ACTIVE')
  const db = api.deps.db.kysely
  const poolId = await seedPool(db, lbId, { project_id: 'owner', protocol: options.protocol ?? 'HTTP' })
  return { api, db, lbId, poolId }
}

async function post(s: Setup, healthmonitor: Json) {
  return s.api.app.inject({ method: 'POST', url: HMS, payload: { healthmonitor } })
}

/** Waits until the worker has handed the load balancer back. */
async function settle(s: Setup): Promise<void> {
  await s.api.until(`${LBS}/${s.lbId}`, (b) => (b.loadbalancer as Json).provisioning_status === 'ACTIVE')
}

/** Creates a monitor and waits until it and its load balancer are ACTIVE. */
async function createActive(s: Setup, healthmonitor: Json): Promise<Json> {
  const res = await post(s, { pool_id: s.poolId, delay: 5, timeout: 3, max_retries: 2, ...healthmonitor })
  assert.equal(res.statusCode, 201, res.body)
  const id = String((res.json() as { healthmonitor: Json }).healthmonitor.id)
  await settle(s)
  return (await s.api.until(`${HMS}/${id}`, (b) => (b.healthmonitor as Json).provisioning_status === 'ACTIVE')).healthmonitor as Json
}

function fault(res: { statusCode: number; json(): unknown }): { status: number; faultstring: string } {
  return { status: res.statusCode, faultstring: (res.json() as { faultstring: string }).faultstring }
}

async function provisioning(db: Executor, table: 'load_balancer' | 'pool' | 'listener', id: string): Promise<string | undefined> {
  const row = await db.selectFrom(table as 'pool').select('provisioning_status').where('id', '=', id).executeTakeFirst()
  return row?.provisioning_status
}

test('create: 201 with every field and HTTP defaults, PENDING_CREATE/OFFLINE; the worker makes it ACTIVE and ONLINE with every parent ACTIVE', async (t) => {
  const s = await setup(t)
  const listenerId = await seedListener(s.db, s.lbId, { default_pool_id: s.poolId })
  const res = await post(s, { pool_id: s.poolId.toUpperCase(), type: 'HTTP', delay: '5', timeout: 3, max_retries: 2, tags: ['b', 'a'], project_id: 'ignored' })
  assert.equal(res.statusCode, 201, res.body)
  const hm = (res.json() as { healthmonitor: Json }).healthmonitor
  assert.deepEqual(Object.keys(hm), [
    'id', 'name', 'type', 'delay', 'timeout', 'max_retries', 'max_retries_down', 'http_method', 'url_path', 'expected_codes',
    'admin_state_up', 'project_id', 'tenant_id', 'pools', 'provisioning_status', 'operating_status', 'created_at', 'updated_at',
    'tags', 'http_version', 'domain_name',
  ])
  assert.deepEqual({ ...hm, id: undefined, created_at: undefined }, {
    id: undefined, name: '', type: 'HTTP', delay: 5, timeout: 3, max_retries: 2, max_retries_down: 3, http_method: 'GET',
    url_path: '/', expected_codes: '200', admin_state_up: true, project_id: 'owner', tenant_id: 'owner', pools: [{ id: s.poolId }],
    provisioning_status: 'PENDING_CREATE', operating_status: 'OFFLINE', created_at: undefined, updated_at: null, tags: ['a', 'b'],
    http_version: null, domain_name: null,
  })
  assert.notEqual(hm.id, s.poolId)
  await settle(s)
  const active = (await s.api.until(`${HMS}/${String(hm.id)}`, (b) => (b.healthmonitor as Json).provisioning_status === 'ACTIVE')).healthmonitor as Json
  assert.equal(active.operating_status, 'ONLINE')
  assert.equal(await provisioning(s.db, 'pool', s.poolId), 'ACTIVE')
  assert.equal(await provisioning(s.db, 'listener', listenerId), 'ACTIVE')
  const jobs = await s.db.selectFrom('jobs').select(['kind', 'target_type', 'state']).where('kind', 'like', 'healthmonitor.%').execute()
  assert.deepEqual(jobs, [{ kind: 'healthmonitor.create', target_type: 'healthmonitor', state: 'succeeded' }])

  const shown = await s.api.app.inject({ method: 'GET', url: `${HMS}/${String(hm.id)}?fields=pools&fields=type` })
  assert.deepEqual(shown.json(), { healthmonitor: { type: 'HTTP', pools: [{ id: s.poolId }] } })
  const pool = await s.api.app.inject({ method: 'GET', url: `/v2/lbaas/pools/${s.poolId}` })
  assert.equal((pool.json() as { pool: Json }).pool.healthmonitor_id, hm.id)
})

test('a disabled monitor ends OFFLINE; non-HTTP types have no HTTP fields; every field is stored as given', async (t) => {
  const s = await setup(t)
  const tcp = await createActive(s, { type: 'TCP', admin_state_up: false, max_retries_down: 7, name: 'probe', http_version: 1.1, domain_name: 'example.com' })
  assert.deepEqual([tcp.operating_status, tcp.admin_state_up, tcp.http_method, tcp.url_path, tcp.expected_codes, tcp.max_retries_down, tcp.name, tcp.http_version, tcp.domain_name],
    ['OFFLINE', false, null, null, null, 7, 'probe', 1.1, 'example.com'])
  const https = await seedPool(s.db, s.lbId, { protocol: 'HTTPS' })
  const res = await post(s, {
    pool_id: https, type: 'HTTPS', delay: 0, timeout: 0, max_retries: 10, http_method: 'HEAD', url_path: '/health?full=1',
    expected_codes: '200-204', http_version: '1.0',
  })
  assert.equal(res.statusCode, 201, res.body)
  const hm = (res.json() as { healthmonitor: Json }).healthmonitor
  assert.deepEqual([hm.http_method, hm.url_path, hm.expected_codes, hm.http_version, hm.delay], ['HEAD', '/health?full=1', '200-204', 1, 0])
})

test('type / pool-protocol matrix of spec §12.2, with its exact messages', async (t) => {
  const s = await setup(t, { sets: NOOP_DEFAULT_PROVIDER })
  const types = ['HTTP', 'HTTPS', 'PING', 'TCP', 'TLS-HELLO', 'UDP-CONNECT', 'SCTP']
  const udpTypes = ['UDP-CONNECT', 'SCTP', 'TCP', 'HTTP']
  for (const protocol of ['HTTP', 'HTTPS', 'TCP', 'PROXY', 'PROXYV2', 'UDP', 'SCTP']) {
    for (const type of types) {
      const poolId = await seedPool(s.db, s.lbId, { protocol })
      const res = await post(s, { pool_id: poolId, type, delay: 5, timeout: 3, max_retries: 2 })
      const lvs = protocol === 'UDP' || protocol === 'SCTP'
      if (lvs ? udpTypes.includes(type) : !['UDP-CONNECT', 'SCTP'].includes(type)) {
        assert.equal(res.statusCode, 201, `${type} on ${protocol}: ${res.body}`)
        await settle(s)
      } else if (lvs) {
        assert.deepEqual(fault(res), { status: 400, faultstring: `Validation failure: The associated pool protocol is ${protocol}, so only a UDP-CONNECT/SCTP/TCP/HTTP health monitor is supported.` })
      } else {
        assert.deepEqual(fault(res), { status: 400, faultstring: `Validation failure: The ${type} type is only supported for pools of type UDP/SCTP.` })
      }
    }
  }
})

test('UDP-CONNECT delay minimum from api_settings (equal is fine, negative disables it) and the PING switch', async (t) => {
  const s = await setup(t, { protocol: 'UDP', sets: [...NOOP_DEFAULT_PROVIDER, 'octavia.api_settings.allow_ping_health_monitors=false'] })
  const http = await seedPool(s.db, s.lbId)
  const before = await s.api.counts()
  assert.deepEqual(fault(await post(s, { pool_id: s.poolId, type: 'UDP-CONNECT', delay: 2, timeout: 1, max_retries: 2 })),
    { status: 400, faultstring: 'Validation failure: The request delay value 2 should be larger than 3 for UDP-CONNECT health monitor type.' })
  assert.deepEqual(fault(await post(s, { pool_id: http, type: 'PING', delay: 2, timeout: 1, max_retries: 2 })),
    { status: 400, faultstring: 'The selected type is not allowed in this deployment: PING' })
  assert.deepEqual(await s.api.counts(), before)
  const hm = await createActive(s, { type: 'UDP-CONNECT', delay: 3 })
  const url = `${HMS}/${String(hm.id)}`
  assert.deepEqual(fault(await s.api.app.inject({ method: 'PUT', url, payload: { healthmonitor: { delay: 1 } } })),
    { status: 400, faultstring: 'Validation failure: The request delay value 1 should be larger than 3 for UDP-CONNECT health monitor type.' })

  const unlimited = await setup(t, { protocol: 'UDP', sets: [...NOOP_DEFAULT_PROVIDER, 'octavia.api_settings.udp_connect_min_interval_health_monitor=-1'] })
  await createActive(unlimited, { type: 'UDP-CONNECT', delay: 0 })
})

test('every validation rule answers 400 with its message and writes nothing', async (t) => {
  const s = await setup(t)
  const tcpPool = await seedPool(s.db, s.lbId, { protocol: 'TCP' })
  const base = { pool_id: s.poolId, type: 'HTTP', delay: 5, timeout: 3, max_retries: 2 }
  const tcp = { ...base, pool_id: tcpPool, type: 'TCP' }
  const cases: Array<[unknown, string]> = [
    [undefined, 'Missing argument: "health_monitor_"'],
    [{}, 'Invalid input for field/attribute healthmonitor. Value: \'None\'. Mandatory field missing.'],
    [{ healthmonitor: { ...base, pool_id: undefined } }, 'Invalid input for field/attribute pool_id. Value: \'None\'. Mandatory field missing.'],
    [{ healthmonitor: { ...base, pool_id: null } }, 'Invalid input for field/attribute pool_id. Value: \'None\'. Mandatory field missing.'],
    [{ healthmonitor: { ...base, pool_id: 'x' } }, 'Invalid input for field/attribute pool_id. Value: \'x\'. Value should be UUID format'],
    [{ healthmonitor: { ...base, type: undefined } }, 'Invalid input for field/attribute type. Value: \'None\'. Mandatory field missing.'],
    [{ healthmonitor: { ...base, type: 'ICMP' } }, 'Invalid input for field/attribute type. Value: \'ICMP\'. Value should be one of: HTTP, HTTPS, PING, TCP, TLS-HELLO, UDP-CONNECT, SCTP'],
    [{ healthmonitor: { ...base, delay: -1 } }, 'Invalid input for field/attribute delay. Value: \'-1\'. Value should be greater or equal to 0'],
    [{ healthmonitor: { ...base, timeout: 'x' } }, 'Invalid input for field/attribute timeout. Value: \'x\'. invalid literal for int() with base 10: \'x\''],
    [{ healthmonitor: { ...base, max_retries: 0 } }, 'Invalid input for field/attribute max_retries. Value: \'0\'. Value should be greater or equal to 1'],
    [{ healthmonitor: { ...base, max_retries: 11 } }, 'Invalid input for field/attribute max_retries. Value: \'11\'. Value should be lower or equal to 10'],
    [{ healthmonitor: { ...base, max_retries_down: 11 } }, 'Invalid input for field/attribute max_retries_down. Value: \'11\'. Value should be lower or equal to 10'],
    [{ healthmonitor: { ...base, http_method: 'FETCH' } }, 'Invalid input for field/attribute http_method. Value: \'FETCH\'. Value should be one of: GET, HEAD, POST, PUT, DELETE, TRACE, OPTIONS, CONNECT, PATCH'],
    [{ healthmonitor: { ...base, url_path: 'http://x/' } }, 'Invalid input for field/attribute url_path. Value: \'http://x/\'. Value must be a valid URL Path string'],
    [{ healthmonitor: { ...base, expected_codes: '20' } }, 'Invalid input for field/attribute expected_codes. Value: \'20\'. Value should match the pattern ^(\\d{3}(\\s*,\\s*\\d{3})*)$|^(\\d{3}-\\d{3})$'],
    [{ healthmonitor: { ...base, http_version: 2 } }, 'Invalid input for field/attribute http_version. Value: \'2.0\'. Value should be one of: 1.0, 1.1'],
    [{ healthmonitor: { ...base, http_version: 1.1, domain_name: '-bad.example' } },
      'Invalid input for field/attribute domain_name. Value: \'-bad.example\'. Value should match the pattern ^(?=.{1,253}\\.?$)(?:(?!-|[^.]+_)[A-Za-z0-9-_]{1,63}(?<!-)(?:\\.|$))+$'],
    [{ healthmonitor: { ...base, name: 'n'.repeat(256) } }, `Invalid input for field/attribute name. Value: '${'n'.repeat(256)}'. Value should have a maximum character requirement of 255`],
    [{ healthmonitor: { ...base, description: 'x' } }, 'Unknown attribute for argument health_monitor_.healthmonitor: description'],
    [{ healthmonitor: { ...base, type: null } }, 'None is not a valid option for type'],
    [{ healthmonitor: { ...base, delay: null } }, 'None is not a valid option for delay'],
    [{ healthmonitor: { ...base, timeout: null } }, 'None is not a valid option for timeout'],
    [{ healthmonitor: { ...base, max_retries: null } }, 'None is not a valid option for max_retries'],
    [{ healthmonitor: { ...tcp, http_method: 'GET' } }, 'http_method is not a valid option for health monitors of type TCP'],
    [{ healthmonitor: { ...tcp, url_path: '/' } }, 'url_path is not a valid option for health monitors of type TCP'],
    [{ healthmonitor: { ...tcp, expected_codes: '200' } }, 'expected_codes is not a valid option for health monitors of type TCP'],
    [{ healthmonitor: { ...base, domain_name: 'example.com' } }, 'Validation failure: \'http_version\' must be specified when \'domain_name\' is provided.'],
    [{ healthmonitor: { ...base, domain_name: 'example.com', http_version: 1.0 } }, 'http_version 1.0 is not a valid option for health monitors HTTP 1.1 domain name health check'],
  ]
  const before = await s.api.counts()
  for (const [payload, faultstring] of cases) {
    const res = await s.api.app.inject({ method: 'POST', url: HMS, ...(payload === undefined ? {} : { payload: payload as Json }) })
    assert.deepEqual(fault(res), { status: 400, faultstring }, JSON.stringify(payload))
  }
  const missing = 'a2c8e0bb-0000-4000-8000-000000000003'
  assert.deepEqual(fault(await post(s, { ...base, pool_id: missing })), { status: 404, faultstring: `Pool ${missing} not found.` })
  assert.deepEqual(await s.api.counts(), before)
  assert.equal(await provisioning(s.db, 'pool', s.poolId), 'ACTIVE')
  assert.equal(await provisioning(s.db, 'load_balancer', s.lbId), 'ACTIVE')
  // A TCP monitor may carry null HTTP fields on create (only non-empty values are refused).
  assert.equal((await post(s, { ...tcp, http_method: null, url_path: null })).statusCode, 201)
})

test('a second monitor on a pool is 409; a busy pool or LB is 409 (pool first); nothing changes', async (t) => {
  const s = await setup(t)
  const hm = await createActive(s, { type: 'TCP' })
  const base = { pool_id: s.poolId, type: 'HTTP', delay: 5, timeout: 3, max_retries: 2 }
  const other = await seedPool(s.db, s.lbId)
  const before = await s.api.counts()
  assert.deepEqual(fault(await post(s, base)), { status: 409, faultstring: 'This pool already has a health monitor' })
  assert.deepEqual(await s.api.counts(), before)
  assert.equal(await provisioning(s.db, 'load_balancer', s.lbId), 'ACTIVE')

  const url = `${HMS}/${String(hm.id)}`
  await s.db.updateTable('pool').set({ provisioning_status: 'ERROR' }).where('id', 'in', [s.poolId, other]).execute()
  await s.db.updateTable('load_balancer').set({ provisioning_status: 'PENDING_UPDATE' }).where('id', '=', s.lbId).execute()
  const calls = [
    [{ method: 'POST', url: HMS, payload: { healthmonitor: { ...base, pool_id: other } } }, other],
    [{ method: 'PUT', url, payload: { healthmonitor: { delay: 9 } } }, s.poolId],
    [{ method: 'DELETE', url }, s.poolId],
  ] as const
  for (const [call, poolId] of calls) {
    assert.deepEqual(fault(await s.api.app.inject(call)), { status: 409, faultstring: `Pool ${poolId} is immutable and cannot be updated.` })
  }
  await s.db.updateTable('pool').set({ provisioning_status: 'ACTIVE' }).where('id', 'in', [s.poolId, other]).execute()
  for (const [call] of calls) {
    assert.deepEqual(fault(await s.api.app.inject(call)), { status: 409, faultstring: `Load Balancer ${s.lbId} is immutable and cannot be updated.` })
  }
  assert.deepEqual(await s.api.counts(), before)
  const stored = await s.db.selectFrom('health_monitor').select(['delay', 'provisioning_status']).executeTakeFirstOrThrow()
  assert.deepEqual(stored, { delay: 5, provisioning_status: 'ACTIVE' })
})

test('update: new values PENDING_UPDATE, then ACTIVE; null restores defaults; disabling ends OFFLINE; immutable fields are 400', async (t) => {
  const s = await setup(t)
  const listenerId = await seedListener(s.db, s.lbId, { default_pool_id: s.poolId })
  const hm = await createActive(s, { type: 'HTTP', name: 'a', http_method: 'POST', url_path: '/a', expected_codes: '201', max_retries_down: 5, tags: ['x'] })
  const url = `${HMS}/${String(hm.id)}`
  const res = await s.api.app.inject({ method: 'PUT', url, payload: { healthmonitor: { name: 'b', delay: 10, timeout: 4, max_retries: 3, admin_state_up: false, http_version: 1.1, domain_name: 'svc.example' } } })
  assert.equal(res.statusCode, 200, res.body)
  const updated = (res.json() as { healthmonitor: Json }).healthmonitor
  assert.deepEqual([updated.name, updated.delay, updated.timeout, updated.max_retries, updated.admin_state_up, updated.http_version, updated.domain_name, updated.provisioning_status],
    ['b', 10, 4, 3, false, 1.1, 'svc.example', 'PENDING_UPDATE'])
  await settle(s)
  const disabled = (await s.api.until(url, (b) => (b.healthmonitor as Json).provisioning_status === 'ACTIVE')).healthmonitor as Json
  assert.equal(disabled.operating_status, 'OFFLINE')
  assert.equal(await provisioning(s.db, 'listener', listenerId), 'ACTIVE')

  const reset = await s.api.app.inject({ method: 'PUT', url, payload: { healthmonitor: { name: null, http_method: null, url_path: null, expected_codes: null, max_retries_down: null, tags: null, admin_state_up: true } } })
  const after = (reset.json() as { healthmonitor: Json }).healthmonitor
  assert.deepEqual([after.name, after.http_method, after.url_path, after.expected_codes, after.max_retries_down, after.tags], ['', 'GET', '/', '200', 3, ['x']])
  await settle(s)
  const enabled = (await s.api.until(url, (b) => (b.healthmonitor as Json).provisioning_status === 'ACTIVE')).healthmonitor as Json
  assert.equal(enabled.operating_status, 'ONLINE')

  const before = await s.api.counts()
  const bad: Array<[Json, string]> = [
    [{ healthmonitor: { type: 'TCP' } }, 'Unknown attribute for argument health_monitor_.healthmonitor: type'],
    [{ healthmonitor: { pool_id: s.poolId } }, 'Unknown attribute for argument health_monitor_.healthmonitor: pool_id'],
    [{ healthmonitor: { delay: null } }, 'None is not a valid option for delay'],
    [{ healthmonitor: { max_retries: null } }, 'None is not a valid option for max_retries'],
    [{ healthmonitor: { timeout: null } }, 'None is not a valid option for timeout'],
    [{ healthmonitor: { http_version: 1.0 } }, 'http_version 1.0 is not a valid option for health monitors HTTP 1.1 domain name health check'],
  ]
  for (const [payload, faultstring] of bad) assert.deepEqual(fault(await s.api.app.inject({ method: 'PUT', url, payload })), { status: 400, faultstring })
  assert.deepEqual(await s.api.counts(), before)
  assert.equal(await provisioning(s.db, 'load_balancer', s.lbId), 'ACTIVE')
})

test('update of a non-HTTP monitor refuses the HTTP fields even as null; a stored http_version satisfies a new domain_name', async (t) => {
  const s = await setup(t, { protocol: 'TCP' })
  const hm = await createActive(s, { type: 'TCP', http_version: 1.1 })
  const url = `${HMS}/${String(hm.id)}`
  for (const field of ['http_method', 'url_path', 'expected_codes']) {
    assert.deepEqual(fault(await s.api.app.inject({ method: 'PUT', url, payload: { healthmonitor: { [field]: null } } })),
      { status: 400, faultstring: `${field} is not a valid option for health monitors of type TCP` })
  }
  const res = await s.api.app.inject({ method: 'PUT', url, payload: { healthmonitor: { domain_name: 'db.example' } } })
  assert.equal(res.statusCode, 200, res.body)
  await settle(s)
})

test('delete: 204, PENDING_DELETE, then gone; the pool\'s members go NO_MONITOR and every parent ACTIVE', async (t) => {
  const s = await setup(t)
  const listenerId = await seedListener(s.db, s.lbId, { default_pool_id: s.poolId })
  const hm = await createActive(s, { type: 'HTTP', tags: ['t'] })
  const members = [
    await seedMember(s.db, s.poolId, { ip_address: '192.0.2.1', operating_status: 'ONLINE' }),
    await seedMember(s.db, s.poolId, { ip_address: '192.0.2.2', operating_status: 'ERROR' }),
  ]
  const elsewhere = await seedPool(s.db, s.lbId)
  const bystander = await seedMember(s.db, elsewhere, { operating_status: 'ONLINE' })
  await seedHealthMonitor(s.db, elsewhere)
  const url = `${HMS}/${String(hm.id)}`
  const res = await s.api.app.inject({ method: 'DELETE', url })
  assert.equal(res.statusCode, 204)
  assert.equal(res.body, '')
  await s.api.until(url, (_b, status) => status === 404)
  await settle(s)
  const statuses = await s.db.selectFrom('member').select(['id', 'operating_status']).execute()
  const byId = new Map(statuses.map((m) => [m.id, m.operating_status]))
  assert.deepEqual(members.map((id) => byId.get(id)), ['NO_MONITOR', 'NO_MONITOR'])
  assert.equal(byId.get(bystander), 'ONLINE')
  assert.equal(await provisioning(s.db, 'pool', s.poolId), 'ACTIVE')
  assert.equal(await provisioning(s.db, 'listener', listenerId), 'ACTIVE')
  assert.equal((await s.api.counts()).tags, 0)
  assert.deepEqual(fault(await s.api.app.inject({ method: 'GET', url })), { status: 404, faultstring: `Health Monitor ${String(hm.id)} not found.` })
  // The pool can take a new monitor again.
  await createActive(s, { type: 'TCP' })
})

test('list: filters, tags, sorting, fields and paging links', async (t) => {
  const s = await setup(t)
  const a = await createActive(s, { type: 'HTTP', tags: ['blue'] })
  const second = await seedPool(s.db, s.lbId, { protocol: 'TCP' })
  const b = await createActive(s, { pool_id: second, type: 'TCP', delay: 9 })
  const list = async (query: string) => (await s.api.app.inject({ method: 'GET', url: `${HMS}${query}` })).json() as { healthmonitors: Json[]; healthmonitors_links: Json[] }
  assert.deepEqual((await list('')).healthmonitors.map((h) => h.id), [a.id, b.id])
  assert.deepEqual((await list('')).healthmonitors[0], a)
  assert.deepEqual((await list(`?pool_id=${second}`)).healthmonitors.map((h) => h.id), [b.id])
  assert.deepEqual((await list('?type=HTTP&max_retries=2')).healthmonitors.map((h) => h.id), [a.id])
  assert.deepEqual((await list('?not-tags=blue')).healthmonitors.map((h) => h.id), [b.id])
  assert.deepEqual((await list('?sort=delay:desc')).healthmonitors.map((h) => h.id), [b.id, a.id])
  assert.deepEqual((await list('?fields=delay')).healthmonitors, [{ delay: 5 }, { delay: 9 }])
  const page = await list('?limit=1')
  assert.deepEqual(page.healthmonitors_links, [{ href: `http://localhost:80${HMS}?limit=1&marker=${String(a.id)}`, rel: 'next' }])
  assert.deepEqual(fault(await s.api.app.inject({ method: 'GET', url: `${HMS}?pools=x` })),
    { status: 400, faultstring: 'One or more arguments are either duplicate or invalid' })
})
