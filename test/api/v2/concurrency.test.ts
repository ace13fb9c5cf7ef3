import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { TestContext } from 'node:test'
import { DEFAULT_SUBNET_ID } from '../../../src/config/defaults.ts'
import type { DatabaseEngine } from '../../../src/db/database-options.ts'
import { startApi, type ApiHarness } from '../../helpers/api-harness.ts'

// Many clients changing children of one load balancer at once (spec/api-v2.md §6.3): the LB takes
// one change at a time, so every call must answer 2xx or 409, never 5xx (a deadlock or a lost
// lock surfacing), and once the worker is done every object must be ACTIVE again: no status lost,
// nothing left PENDING_*, no job failed. Run on SQLite and on a real MariaDB database.

const LBS = '/v2/lbaas/loadbalancers'

type Json = Record<string, unknown>
type Method = 'GET' | 'POST' | 'PUT' | 'DELETE'
interface Request { method: Method; url: string; payload?: Json; kind: string }
interface Outcome extends Request { status: number; body: Json; conflicts: number }

async function send(api: ApiHarness, r: Request): Promise<Omit<Outcome, 'conflicts'>> {
  const res = await api.app.inject({ method: r.method, url: r.url, ...(r.payload ? { payload: r.payload } : {}) })
  return { ...r, status: res.statusCode, body: res.body === '' ? {} : res.json() as Json }
}

/** `r` sent once, or (with `retry`) again after each 409 until it gets another answer. */
async function attempt(api: ApiHarness, r: Request, retry: boolean): Promise<Outcome> {
  for (let conflicts = 0; conflicts < 5000; conflicts++) {
    const out = await send(api, r)
    if (out.status !== 409 || !retry) return { ...out, conflicts }
    await new Promise((resolve) => setTimeout(resolve, 2 + Math.random() * 8))
  }
  throw new Error(`${r.method} ${r.url} still 409 after 5000 tries`)
}

/** Sends every request at once; fails listing each answer that is neither 2xx nor 409. */
async function burst(api: ApiHarness, requests: Request[], retry: boolean): Promise<Outcome[]> {
  const outcomes = await Promise.all(requests.map((r) => attempt(api, r, retry)))
  const bad = outcomes.filter((o) => !(o.status >= 200 && o.status < 300) && o.status !== 409)
  assert.deepEqual(bad.map((o) => `${o.method} ${o.url} ${JSON.stringify(o.payload)} -> ${o.status} ${JSON.stringify(o.body)}`), [])
  for (const o of outcomes.filter((x) => x.status === 409)) {
    assert.match(String(o.body.faultstring), /is immutable and cannot be updated|^Invalid state PENDING_UPDATE of loadbalancer/, `${o.method} ${o.url}`)
  }
  return outcomes
}

async function ok(api: ApiHarness, r: Request, status: number): Promise<Json> {
  const out = await send(api, r)
  assert.equal(out.status, status, `${r.method} ${r.url}: ${JSON.stringify(out.body)}`)
  return out.body
}

/** Waits until the LB is handed back, then checks that every job ended well and every row is ACTIVE. */
async function assertSettled(api: ApiHarness, lbId: string): Promise<void> {
  const body = await api.until(`${LBS}/${lbId}`, (b) => ['ACTIVE', 'ERROR'].includes(String((b.loadbalancer as Json).provisioning_status)))
  assert.equal((body.loadbalancer as Json).provisioning_status, 'ACTIVE')
  // The last job may still be recording its final step: the LB goes ACTIVE first.
  let jobs = await api.deps.jobs.countByState()
  for (let i = 0; i < 500 && jobs.pending + jobs.running > 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 10))
    jobs = await api.deps.jobs.countByState()
  }
  assert.deepEqual({ ...jobs, succeeded: 0 }, { pending: 0, running: 0, succeeded: 0, failed: 0, reverted: 0 }, JSON.stringify(jobs))
  const db = api.deps.db.kysely
  for (const table of ['load_balancer', 'listener', 'pool', 'member', 'health_monitor'] as const) {
    const rows = await db.selectFrom(table as 'listener').select(['id', 'provisioning_status']).where('provisioning_status', '!=', 'ACTIVE').execute()
    assert.deepEqual(rows, [], `${table} rows not ACTIVE`)
  }
}

async function waitActive(api: ApiHarness, lbId: string): Promise<void> {
  await api.until(`${LBS}/${lbId}`, (b) => (b.loadbalancer as Json).provisioning_status === 'ACTIVE')
}

interface Fixture { lbId: string; listenerId: string; poolId: string; memberIds: string[] }

/** An ACTIVE LB with one HTTP listener, its pool and five members, created one call at a time. */
async function fixture(api: ApiHarness): Promise<Fixture> {
  const lb = (await ok(api, { kind: 'lb', method: 'POST', url: LBS, payload: { loadbalancer: { vip_subnet_id: DEFAULT_SUBNET_ID } } }, 201)).loadbalancer as Json
  const lbId = String(lb.id)
  await waitActive(api, lbId)
  const listener = (await ok(api, { kind: 'listener', method: 'POST', url: '/v2/lbaas/listeners', payload: { listener: { loadbalancer_id: lbId, protocol: 'HTTP', protocol_port: 80 } } }, 201)).listener as Json
  await waitActive(api, lbId)
  const pool = (await ok(api, { kind: 'pool', method: 'POST', url: '/v2/lbaas/pools', payload: { pool: { listener_id: listener.id, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } } }, 201)).pool as Json
  await waitActive(api, lbId)
  const poolId = String(pool.id)
  await ok(api, { kind: 'batch', method: 'PUT', url: `/v2/lbaas/pools/${poolId}/members`, payload: { members: [1, 2, 3, 4, 5].map((n) => ({ address: `127.0.0.${n}`, protocol_port: 8080 })) } }, 202)
  await waitActive(api, lbId)
  const members = (await ok(api, { kind: 'members', method: 'GET', url: `/v2/lbaas/pools/${poolId}/members` }, 200)).members as Json[]
  return { lbId, listenerId: String(listener.id), poolId, memberIds: members.map((m) => String(m.id)) }
}

/** 30 listener creates on distinct ports plus updates and creates on every other kind of child. */
function mixedBurst(f: Fixture, firstPort: number): Request[] {
  const members = `/v2/lbaas/pools/${f.poolId}/members`
  return [
    ...Array.from({ length: 30 }, (_, i): Request => ({
      kind: 'listener-create', method: 'POST', url: '/v2/lbaas/listeners',
      payload: { listener: { loadbalancer_id: f.lbId, protocol: 'TCP', protocol_port: firstPort + i, name: `l${firstPort + i}` } },
    })),
    ...f.memberIds.flatMap((id, i) => [2, 3].map((k): Request => ({
      kind: 'member-update', method: 'PUT', url: `${members}/${id}`, payload: { member: { weight: 10 * i + k, name: `m${i}-${k}` } },
    }))),
    ...[0, 1].map((i): Request => ({ kind: 'member-create', method: 'POST', url: members, payload: { member: { address: `127.0.1.${firstPort % 100 + i}`, protocol_port: 9090 } } })),
    { kind: 'member-batch', method: 'PUT', url: `${members}?additive_only=true`, payload: { members: [{ address: `127.0.2.${firstPort % 100}`, protocol_port: 9090 }] } },
    ...['LEAST_CONNECTIONS', 'SOURCE_IP'].map((lb_algorithm): Request => ({ kind: 'pool-update', method: 'PUT', url: `/v2/lbaas/pools/${f.poolId}`, payload: { pool: { lb_algorithm } } })),
    ...[100, 200].map((connection_limit): Request => ({ kind: 'listener-update', method: 'PUT', url: `/v2/lbaas/listeners/${f.listenerId}`, payload: { listener: { connection_limit } } })),
    { kind: 'lb-update', method: 'PUT', url: `${LBS}/${f.lbId}`, payload: { loadbalancer: { description: `burst ${firstPort}` } } },
  ]
}

async function count(api: ApiHarness, table: 'listener' | 'member', column: 'load_balancer_id' | 'pool_id', id: string): Promise<number> {
  const row = await api.deps.db.kysely.selectFrom(table as 'listener').select((eb) => eb.fn.countAll<number>().as('n'))
    .where(column as 'load_balancer_id', '=', id).executeTakeFirstOrThrow()
  return Number(row.n)
}

async function singleShot(t: TestContext, engine: DatabaseEngine): Promise<void> {
  const api = await startApi(t, { engine })
  const f = await fixture(api)
  const outcomes = await burst(api, mixedBurst(f, 2000), false)
  await assertSettled(api, f.lbId)

  // Exactly the accepted creates exist: a refused one left nothing behind.
  const accepted = (kind: string) => outcomes.filter((o) => o.kind === kind && o.status < 300)
  assert.ok(accepted('listener-create').length + accepted('member-update').length > 0)
  assert.equal(await count(api, 'listener', 'load_balancer_id', f.lbId), 1 + accepted('listener-create').length)
  assert.equal(await count(api, 'member', 'pool_id', f.poolId), 5 + accepted('member-create').length + accepted('member-batch').length)
  // Each member shows the values of one accepted update (or its original ones): no torn writes.
  for (const [i, id] of f.memberIds.entries()) {
    const member = (await ok(api, { kind: 'member', method: 'GET', url: `/v2/lbaas/pools/${f.poolId}/members/${id}` }, 200)).member as Json
    const written = accepted('member-update').filter((o) => o.url.endsWith(id)).map((o) => (o.payload!.member as Json))
    const candidates = [{ weight: 1, name: '' }, ...written.map((w) => ({ weight: w.weight, name: w.name }))]
    assert.ok(candidates.some((c) => c.weight === member.weight && c.name === member.name), `member ${i}: ${JSON.stringify(member)}`)
  }
}

async function retried(t: TestContext, engine: DatabaseEngine): Promise<void> {
  const api = await startApi(t, { engine })
  const f = await fixture(api)
  const outcomes = await burst(api, mixedBurst(f, 3000), true)
  assert.deepEqual(outcomes.filter((o) => o.status >= 300).map((o) => `${o.kind} ${o.status}`), [])
  await assertSettled(api, f.lbId)
  assert.equal(await count(api, 'listener', 'load_balancer_id', f.lbId), 31)
  assert.equal(await count(api, 'member', 'pool_id', f.poolId), 8)
  const listeners = (await ok(api, { kind: 'listeners', method: 'GET', url: `/v2/lbaas/listeners?loadbalancer_id=${f.lbId}` }, 200)).listeners as Json[]
  assert.deepEqual(listeners.map((l) => l.protocol_port).sort(), [80, ...Array.from({ length: 30 }, (_, i) => 3000 + i)].sort())
  // The LB's status tree agrees with the tables.
  const tree = ((await ok(api, { kind: 'status', method: 'GET', url: `${LBS}/${f.lbId}/status` }, 200)).statuses as { loadbalancer: Json & { listeners: Json[] } }).loadbalancer
  assert.equal(tree.listeners.length, 31)
  assert.ok(tree.listeners.every((l) => l.provisioning_status === 'ACTIVE'))
}

/** Load balancers created at once: each gets its own VIP address (allocated from one subnet) and goes ACTIVE. */
async function parallelLoadBalancers(t: TestContext, engine: DatabaseEngine): Promise<void> {
  const api = await startApi(t, { engine })
  const requests = Array.from({ length: 30 }, (_, i): Request => ({
    kind: 'lb-create', method: 'POST', url: LBS, payload: { loadbalancer: { name: `lb${i}`, vip_subnet_id: DEFAULT_SUBNET_ID } },
  }))
  const outcomes = await burst(api, requests, false)
  assert.deepEqual(outcomes.map((o) => o.status), requests.map(() => 201))
  const lbs = outcomes.map((o) => o.body.loadbalancer as Json)
  assert.equal(new Set(lbs.map((lb) => lb.vip_address)).size, lbs.length)
  for (const lb of lbs) await assertSettled(api, String(lb.id))
}

for (const engine of ['sqlite', 'mysql'] as const) {
  test(`${engine}: 50 simultaneous creates and updates on children of one LB answer only 2xx or 409 and leave every object ACTIVE`, (t) => singleShot(t, engine))
  test(`${engine}: the same burst with every client retrying its 409s: all of it lands, every object ACTIVE, no job failed`, (t) => retried(t, engine))
  test(`${engine}: 30 load balancers created at once all get 201, distinct VIP addresses and ACTIVE`, (t) => parallelLoadBalancers(t, engine))
}
