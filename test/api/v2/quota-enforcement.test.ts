import { test } from 'node:test'
import assert from 'node:assert/strict'
import { unenforcedQuotas } from '../../../src/api/access/access.ts'
import { EnforcedQuotaGate } from '../../../src/api/access/enforced-quota-gate.ts'
import { createApiDeps } from '../../../src/api/v2/api-deps.ts'
import { systemClock } from '../../../src/common/clock.ts'
import { DEFAULT_SUBNET_ID } from '../../../src/config/defaults.ts'
import { loadConfig } from '../../../src/config/load-config.ts'
import type { DatabaseEngine } from '../../../src/db/database-options.ts'
import { startApi, type ApiHarness } from '../../helpers/api-harness.ts'
import { ENGINES, withTestDatabase } from '../../helpers/test-database.ts'

// Quota enforcement (spec/api-v2.md §14.3) on every create path. Most tests run the API with
// noauth (every caller an administrator) and the enforcing gate put in by hand; one goes through
// the headers identity engine, which enforces quotas by itself.

const LBS = '/v2/lbaas/loadbalancers'

type Json = Record<string, unknown>

async function enforcingApi(t: Parameters<typeof startApi>[0], engine: DatabaseEngine = 'sqlite'): Promise<ApiHarness> {
  const api = await startApi(t, { engine })
  api.deps.quotas = new EnforcedQuotaGate(api.deps.db, api.deps.config.quotas)
  return api
}

async function inject(api: ApiHarness, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: Json, project?: string) {
  return api.app.inject({ method, url, ...(payload ? { payload } : {}), ...(project ? { headers: { 'x-project-id': project } } : {}) })
}

async function setQuota(api: ApiHarness, projectId: string, quota: Json): Promise<void> {
  const res = await inject(api, 'PUT', `/v2/lbaas/quotas/${projectId}`, { quota })
  assert.equal(res.statusCode, 202, res.body)
}

/** POSTs and expects 201 (or 202 for a batch); returns the new object's id. */
async function created(api: ApiHarness, url: string, payload: Json, project?: string): Promise<string> {
  const res = await inject(api, url.endsWith('/members') && !('member' in payload) ? 'PUT' : 'POST', url, payload, project)
  assert.ok(res.statusCode === 201 || res.statusCode === 202, `${url}: ${res.statusCode} ${res.body}`)
  const body = res.body === '' ? {} : res.json() as Record<string, Json>
  return String(Object.values(body)[0]?.id ?? '')
}

function refused(res: { statusCode: number; json(): unknown }, label: string): void {
  assert.deepEqual([res.statusCode, (res.json() as { faultstring: string }).faultstring], [403, `Quota has been met for resources: ${label}`])
}

async function settle(api: ApiHarness, lbId: string): Promise<void> {
  await api.until(`${LBS}/${lbId}`, (b) => (b.loadbalancer as Json).provisioning_status === 'ACTIVE')
}

async function createLb(api: ApiHarness, project: string, body: Json = {}): Promise<string> {
  const id = await created(api, LBS, { loadbalancer: { vip_subnet_id: DEFAULT_SUBNET_ID, ...body } }, project)
  await settle(api, id)
  return id
}

/** The project's rows of `table` that count against its quota. */
async function live(api: ApiHarness, table: 'load_balancer' | 'listener' | 'pool' | 'member' | 'health_monitor', project: string): Promise<number> {
  const row = await api.deps.db.kysely.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n'))
    .where('project_id', '=', project).where('provisioning_status', '<>', 'DELETED').executeTakeFirstOrThrow()
  return Number(row.n)
}

test('each create is refused with 403 at its kind\'s limit and writes nothing; deleted objects free their place', async (t) => {
  const api = await enforcingApi(t)
  await setQuota(api, 'owner', { loadbalancer: 1, listener: 1, pool: 2, healthmonitor: 1, member: 2 })
  const lbId = await createLb(api, 'owner')
  const lbUrl = `${LBS}/${lbId}`

  // Load balancer: no VIP port, job or row for the refused one.
  let before = await api.counts()
  refused(await inject(api, 'POST', LBS, { loadbalancer: { vip_subnet_id: DEFAULT_SUBNET_ID } }, 'owner'), 'Load Balancer')
  assert.deepEqual(await api.counts(), before)
  // Another project is not affected.
  await createLb(api, 'someone-else')

  const listenerId = await created(api, '/v2/lbaas/listeners', { listener: { loadbalancer_id: lbId, protocol: 'HTTP', protocol_port: 80 } })
  await settle(api, lbId)
  before = await api.counts()
  refused(await inject(api, 'POST', '/v2/lbaas/listeners', { listener: { loadbalancer_id: lbId, protocol: 'HTTP', protocol_port: 81 } }), 'Listener')
  assert.deepEqual(await api.counts(), before)

  const pools: string[] = []
  for (const name of ['a', 'b']) {
    pools.push(await created(api, '/v2/lbaas/pools', { pool: { loadbalancer_id: lbId, name, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } }))
    await settle(api, lbId)
  }
  const [poolA, poolB] = pools as [string, string]
  before = await api.counts()
  refused(await inject(api, 'POST', '/v2/lbaas/pools', { pool: { listener_id: listenerId, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } }), 'Pool')
  assert.deepEqual(await api.counts(), before)
  assert.equal((await api.until(`/v2/lbaas/listeners/${listenerId}`, () => true) as { listener: Json }).listener.default_pool_id, null)

  await created(api, '/v2/lbaas/healthmonitors', { healthmonitor: { pool_id: poolA, type: 'TCP', delay: 5, timeout: 3, max_retries: 2 } })
  await settle(api, lbId)
  // spec/api-v2.md §12.3: the quota (403) is checked before the load balancer's status (409).
  await api.deps.db.kysely.updateTable('load_balancer').set({ provisioning_status: 'PENDING_UPDATE' }).where('id', '=', lbId).execute()
  before = await api.counts()
  refused(await inject(api, 'POST', '/v2/lbaas/healthmonitors', { healthmonitor: { pool_id: poolB, type: 'TCP', delay: 5, timeout: 3, max_retries: 2 } }), 'Health Monitor')
  assert.deepEqual(await api.counts(), before)
  await api.deps.db.kysely.updateTable('load_balancer').set({ provisioning_status: 'ACTIVE' }).where('id', '=', lbId).execute()

  for (const address of ['127.0.0.10', '127.0.0.11']) {
    await created(api, `/v2/lbaas/pools/${poolA}/members`, { member: { address, protocol_port: 80 } })
    await settle(api, lbId)
  }
  before = await api.counts()
  refused(await inject(api, 'POST', `/v2/lbaas/pools/${poolB}/members`, { member: { address: '127.0.0.12', protocol_port: 80 } }), 'Member')
  assert.deepEqual(await api.counts(), before)

  // Member batch: only the net growth counts (spec/api-v2.md §11.4 step 5).
  refused(await inject(api, 'PUT', `/v2/lbaas/pools/${poolB}/members?additive_only=true`, { members: [{ address: '127.0.0.12', protocol_port: 80 }] }), 'Member')
  refused(await inject(api, 'PUT', `/v2/lbaas/pools/${poolA}/members`, {
    members: [{ address: '127.0.0.20', protocol_port: 80 }, { address: '127.0.0.21', protocol_port: 80 }, { address: '127.0.0.22', protocol_port: 80 }],
  }), 'Member')
  assert.deepEqual(await api.counts(), before)
  assert.equal(((await api.until(lbUrl, () => true)).loadbalancer as Json).provisioning_status, 'ACTIVE')
  // Two new for the two current ones: no growth, accepted even at the limit.
  await created(api, `/v2/lbaas/pools/${poolA}/members`, { members: [{ address: '127.0.0.20', protocol_port: 80 }, { address: '127.0.0.21', protocol_port: 80 }] })
  await settle(api, lbId)
  assert.equal(await live(api, 'member', 'owner'), 2)

  // A deleted listener no longer counts once the worker has removed it.
  assert.equal((await inject(api, 'DELETE', `/v2/lbaas/listeners/${listenerId}`)).statusCode, 204)
  await settle(api, lbId)
  await created(api, '/v2/lbaas/listeners', { listener: { loadbalancer_id: lbId, protocol: 'TCP', protocol_port: 90 } })
  await settle(api, lbId)
  assert.deepEqual(await Promise.all((['load_balancer', 'listener', 'pool', 'health_monitor', 'member'] as const).map((k) => live(api, k, 'owner'))), [1, 1, 2, 1, 2])

  // A cascade delete frees every place once the worker is done (the LB row stays, DELETED).
  assert.equal((await inject(api, 'DELETE', `${lbUrl}?cascade=true`)).statusCode, 204)
  await api.until(lbUrl, (_b, status) => status === 404)
  assert.deepEqual(await Promise.all((['load_balancer', 'listener', 'pool', 'health_monitor', 'member'] as const).map((k) => live(api, k, 'owner'))), [0, 0, 0, 0, 0])
  await createLb(api, 'owner')
})

test('the full-graph create counts pools, each monitor, each pool\'s members and the listeners; over any limit nothing is created', async (t) => {
  const api = await enforcingApi(t)
  await setQuota(api, 'graph', { pool: 2, healthmonitor: 1, member: 3, listener: 1 })
  const monitor = { type: 'HTTP', delay: 5, timeout: 3, max_retries: 2 }
  const pool = (name: string, extra: Json = {}) => ({ name, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', ...extra })
  const members = (...last: number[]) => last.map((n) => ({ address: `127.0.1.${n}`, protocol_port: 80 }))
  const listener = (port: number, defaultPool?: string) => ({ protocol: 'HTTP', protocol_port: port, ...(defaultPool ? { default_pool: { name: defaultPool } } : {}) })
  const graph = (body: Json) => inject(api, 'POST', LBS, { loadbalancer: { vip_subnet_id: DEFAULT_SUBNET_ID, ...body } }, 'graph')

  const before = await api.counts()
  refused(await graph({ pools: [pool('a'), pool('b'), pool('c')] }), 'Pool')
  refused(await graph({ pools: [pool('a', { healthmonitor: monitor }), pool('b', { healthmonitor: monitor })] }), 'Health Monitor')
  refused(await graph({ pools: [pool('a', { members: members(1, 2) }), pool('b', { members: members(3, 4) })] }), 'Member')
  refused(await graph({ listeners: [listener(80), listener(81)] }), 'Listener')
  assert.deepEqual(await api.counts(), before)

  const res = await graph({
    pools: [pool('a', { healthmonitor: monitor, members: members(1, 2) }), pool('b', { members: members(3) })],
    listeners: [listener(80, 'a')],
  })
  assert.equal(res.statusCode, 201, res.body)
  const lbId = String((res.json() as { loadbalancer: Json }).loadbalancer.id)
  await settle(api, lbId)
  assert.deepEqual(await Promise.all((['listener', 'pool', 'health_monitor', 'member'] as const).map((k) => live(api, k, 'graph'))), [1, 2, 1, 3])
  const poolB = String(((await api.until(`/v2/lbaas/pools?name=b`, () => true)).pools as Json[])[0]?.id)
  refused(await inject(api, 'POST', `/v2/lbaas/pools/${poolB}/members`, { member: { address: '127.0.1.9', protocol_port: 80 } }), 'Member')
  refused(await inject(api, 'POST', '/v2/lbaas/pools', { pool: { loadbalancer_id: lbId, ...pool('c') } }), 'Pool')
})

test('enforcing creates an all-default record for each project on its first create; noauth neither checks nor creates records', async (t) => {
  const noauth = await startApi(t)
  assert.equal(noauth.deps.quotas, unenforcedQuotas)
  await setQuota(noauth, 'owner', { loadbalancer: 0 })
  await createLb(noauth, 'owner')
  await createLb(noauth, 'fresh')
  const listed = await inject(noauth, 'GET', '/v2/lbaas/quotas')
  assert.deepEqual((listed.json() as { quotas: Json[] }).quotas.map((q) => q.project_id), ['owner'])

  const enforcing = await enforcingApi(t)
  await createLb(enforcing, 'fresh')
  const records = (await inject(enforcing, 'GET', '/v2/lbaas/quotas')).json() as { quotas: Json[] }
  assert.deepEqual(records.quotas.map((q) => [q.project_id, q.loadbalancer, q.pool]), [['fresh', null, null]])
})

test('createApiDeps enforces quotas under every identity engine but noauth, whichever name the option is given under', async (t) => {
  const db = await withTestDatabase(t, 'sqlite')
  const gateOf = (sets: string[]) => createApiDeps(loadConfig({ files: [], env: {}, sets }).config, db, systemClock, () => {}).quotas
  assert.equal(gateOf([]), unenforcedQuotas)
  assert.ok(gateOf(['octavia.identity.engine=headers']) instanceof EnforcedQuotaGate)
  assert.ok(gateOf(['octavia.api_settings.auth_strategy=keystone', 'octavia.identity.host=127.0.0.1', 'octavia.identity.password=secret']) instanceof EnforcedQuotaGate)
})

test('through the headers identity engine: quota calls follow rbac.md (policy first), and a member\'s creates are counted against its project', async (t) => {
  const api = await startApi(t, { sets: ['octavia.identity.engine=headers'] })
  const as = (project: string, roles: string) => ({ 'x-project-id': project, 'x-roles': roles })
  const admin = as('ops', 'admin')
  const memberA = as('tenant-a', 'member')
  const readerA = as('tenant-a', 'reader')
  const call = (headers: Record<string, string>, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: Json) =>
    api.app.inject({ method, url, headers, ...(payload ? { payload } : {}) })
  const status = async (headers: Record<string, string>, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: Json) =>
    (await call(headers, method, url, payload)).statusCode
  const policy = (res: { statusCode: number; json(): unknown }) =>
    assert.deepEqual([res.statusCode, (res.json() as { faultstring: string }).faultstring], [403, 'Policy does not allow this request to be performed.'])
  const QUOTAS = '/v2/lbaas/quotas'

  assert.equal(await status(admin, 'PUT', `${QUOTAS}/tenant-a`, { quota: { loadbalancer: 1 } }), 202)
  assert.equal(await status(admin, 'PUT', `${QUOTAS}/tenant-b`, { quota: { pool: 5 } }), 202)
  // Own quota: readable by the project's members and readers, writable by neither.
  for (const who of [memberA, readerA]) {
    assert.equal(await status(who, 'GET', `${QUOTAS}/tenant-a`), 200)
    assert.equal(await status(who, 'GET', `${QUOTAS}/tenant-a/default`), 200)
    policy(await call(who, 'GET', `${QUOTAS}/tenant-b`))
    policy(await call(who, 'GET', `${QUOTAS}/defaults`))
    policy(await call(who, 'PUT', `${QUOTAS}/tenant-a`, { quota: { loadbalancer: 10 } }))
    policy(await call(who, 'DELETE', `${QUOTAS}/tenant-a`))
  }
  // The body is checked before the policy (rbac.md §5).
  assert.equal(await status(memberA, 'PUT', `${QUOTAS}/tenant-a`, { quota: { loadbalancer: -7 } }), 400)
  // Lists: a member sees its own record only, and may not name another project.
  const listed = async (headers: Record<string, string>, query = '') =>
    ((await call(headers, 'GET', `${QUOTAS}${query}`)).json() as { quotas: Json[] }).quotas.map((q) => q.project_id)
  assert.deepEqual(await listed(memberA), ['tenant-a'])
  assert.deepEqual(await listed(memberA, '?project_id=tenant-a'), ['tenant-a'])
  policy(await call(memberA, 'GET', `${QUOTAS}?project_id=tenant-b`))
  assert.deepEqual((await listed(admin, '?sort=project_id')), ['tenant-a', 'tenant-b'])

  // Enforced: the member's second load balancer is over its project's limit.
  const lb = await call(memberA, 'POST', LBS, { loadbalancer: { vip_subnet_id: DEFAULT_SUBNET_ID } })
  assert.equal(lb.statusCode, 201, lb.body)
  refused(await call(memberA, 'POST', LBS, { loadbalancer: { vip_subnet_id: DEFAULT_SUBNET_ID } }), 'Load Balancer')
  // An admin creating for that project is held to the same limit.
  refused(await call(admin, 'POST', LBS, { loadbalancer: { vip_subnet_id: DEFAULT_SUBNET_ID, project_id: 'tenant-a' } }), 'Load Balancer')
  // A project's first create makes its all-default record.
  assert.equal(await status(as('tenant-c', 'member'), 'POST', LBS, { loadbalancer: { vip_subnet_id: DEFAULT_SUBNET_ID } }), 201)
  assert.deepEqual(await listed(admin, '?sort=project_id'), ['tenant-a', 'tenant-b', 'tenant-c'])

  assert.equal(await status(admin, 'DELETE', `${QUOTAS}/tenant-a`), 202)
  assert.equal(await status(admin, 'DELETE', `${QUOTAS}/nobody`), 404)
  // Reset: back to the default (unlimited).
  assert.equal(await status(memberA, 'POST', LBS, { loadbalancer: { vip_subnet_id: DEFAULT_SUBNET_ID } }), 201)
})

for (const engine of ENGINES) {
  test(`concurrent load balancer creates at the limit never exceed it on ${engine}`, async (t) => {
    const api = await enforcingApi(t, engine)
    await setQuota(api, 'racer', { loadbalancer: 3 })
    const results = await Promise.all(Array.from({ length: 8 }, () =>
      inject(api, 'POST', LBS, { loadbalancer: { vip_subnet_id: DEFAULT_SUBNET_ID } }, 'racer')))
    const statuses = results.map((r) => r.statusCode).sort()
    assert.deepEqual(statuses, [201, 201, 201, 403, 403, 403, 403, 403], results.map((r) => r.body).join('\n'))
    for (const r of results) if (r.statusCode === 403) refused(r, 'Load Balancer')
    assert.equal(await live(api, 'load_balancer', 'racer'), 3)
    for (const r of results) if (r.statusCode === 201) await settle(api, String((r.json() as { loadbalancer: Json }).loadbalancer.id))
  })
}
