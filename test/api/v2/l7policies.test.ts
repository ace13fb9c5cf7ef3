import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { EnforcedQuotaGate } from '../../../src/api/access/enforced-quota-gate.ts'
import { DEFAULT_SUBNET_ID } from '../../../src/config/defaults.ts'
import type { Executor } from '../../../src/db/database.ts'
import { startApi, type ApiHarness } from '../../helpers/api-harness.ts'
import { seedL7Rule, seedListener, seedPool } from '../../helpers/db-seed.ts'

// L7 policies (spec/api-v2.md §13.1–§13.4, flows.md §6.5).

const LBS = '/v2/lbaas/loadbalancers'
const POLICIES = '/v2/lbaas/l7policies'
const UNKNOWN = 'a2c8e0bb-0000-4000-8000-0000000000aa'
const WITH_NOOP = ['octavia.api_settings.enabled_provider_drivers={amphora: "The Octavia Amphora driver.", noop_driver: "The noop driver."}']

type Json = Record<string, unknown>

const V = (detail: string) => `Validation failure: ${detail}`

interface Setup {
  api: ApiHarness
  db: Executor
  lbId: string
  listenerId: string
  poolId: string
}

/** An ACTIVE LB of project `owner` (through the API) with a seeded ACTIVE HTTP listener and HTTP pool. */
async function setup(t: TestContext, options: { sets?: string[]; lb?: Json } = {}): Promise<Setup> {
  const api = await startApi(t, options.sets ? { sets: options.sets } : {})
  const res = await api.app.inject({
    method: 'POST', url: LBS, headers: { 'x-project-id': 'owner' }, payload: { loadbalancer: { vip_subnet_id: DEFAULT_SUBNET_ID, ...options.lb } },
  })
  assert.equal(res.statusCode, 201, res.body)
  const lbId = String((res.json() as { loadbalancer: Json }).loadbalancer.id)
  await settle(api, lbId)
  const db = api.deps.db.kysely
  const listenerId = await seedListener(db, lbId, { project_id: 'owner' })
  const poolId = await seedPool(db, lbId, { project_id: 'owner' })
  return { api, db, lbId, listenerId, poolId }
}

async function settle(api: ApiHarness, lbId: string): Promise<void> {
  await api.until(`${LBS}/${lbId}`, (b) => (b.loadbalancer as Json).provisioning_status === 'ACTIVE')
}

function post(s: Setup, l7policy: Json) {
  return s.api.app.inject({ method: 'POST', url: POLICIES, payload: { l7policy } })
}

function put(s: Setup, id: string, l7policy: Json) {
  return s.api.app.inject({ method: 'PUT', url: `${POLICIES}/${id}`, payload: { l7policy } })
}

async function get(s: Setup, url: string): Promise<Json> {
  const res = await s.api.app.inject({ method: 'GET', url })
  assert.equal(res.statusCode, 200, `${url}: ${res.body}`)
  return res.json() as Json
}

/** Creates a policy on the setup's listener (REJECT unless told otherwise) and waits until the worker is done. */
async function createActive(s: Setup, l7policy: Json = {}): Promise<Json> {
  const res = await post(s, { listener_id: s.listenerId, action: 'REJECT', ...l7policy })
  assert.equal(res.statusCode, 201, res.body)
  const id = String((res.json() as { l7policy: Json }).l7policy.id)
  await settle(s.api, s.lbId)
  return (await get(s, `${POLICIES}/${id}`)).l7policy as Json
}

/** Polls `read` until `done` holds for its result. */
async function until<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  for (let i = 0; i < 500; i++) {
    const value = await read()
    if (done(value)) return value
    await new Promise((r) => setTimeout(r, 10))
  }
  throw new Error('never reached the expected state')
}

function fault(res: { statusCode: number; json(): unknown }): { status: number; faultstring: string } {
  return { status: res.statusCode, faultstring: (res.json() as { faultstring: string }).faultstring }
}

async function statusOf(db: Executor, table: 'load_balancer' | 'listener' | 'l7policy', id: string): Promise<string | undefined> {
  const row = await db.selectFrom(table as 'listener').select('provisioning_status').where('id', '=', id).executeTakeFirst()
  return row?.provisioning_status
}

/** The listener's policies as (id, position), in the order the listener shows them. */
async function positions(s: Setup): Promise<Array<[unknown, unknown]>> {
  const listener = (await get(s, `/v2/lbaas/listeners/${s.listenerId}`)).listener as { l7policies: Json[] }
  const shown = await Promise.all(listener.l7policies.map(async (p) => (await get(s, `${POLICIES}/${String(p.id)}`)).l7policy as Json))
  return shown.map((p) => [p.id, p.position])
}

/**
 * Runs `during` while the worker is held after the first task (the checkpoint) of every job, so
 * the PENDING_* statuses the API wrote can be seen; the remaining tasks run once released.
 */
async function whileWorkerHeld(_t: TestContext, s: Setup, during: () => Promise<void>): Promise<void> {
  const release = s.api.holdWorker()
  try {
    await during()
  } finally {
    release()
  }
}

test('create: 201 with every field of §13.1 (PENDING_CREATE/OFFLINE; LB and listener PENDING_UPDATE); the worker makes it ACTIVE and ONLINE', async (t) => {
  const s = await setup(t)
  let policy: Json = {}
  await whileWorkerHeld(t, s, async () => {
    const res = await post(s, {
      listener_id: s.listenerId.toUpperCase(), action: 'REDIRECT_TO_POOL', redirect_pool_id: s.poolId, name: 'api', description: 'to the API',
      tags: ['b', 'a'], project_id: 'ignored', rules: [],
    })
    assert.equal(res.statusCode, 201, res.body)
    policy = (res.json() as { l7policy: Json }).l7policy
    assert.deepEqual(Object.keys(policy), [
      'id', 'name', 'description', 'provisioning_status', 'operating_status', 'admin_state_up', 'project_id', 'tenant_id', 'action',
      'listener_id', 'redirect_pool_id', 'redirect_url', 'redirect_prefix', 'position', 'rules', 'created_at', 'updated_at', 'tags',
      'redirect_http_code',
    ])
    assert.match(String(policy.created_at), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/)
    assert.deepEqual({ ...policy, id: undefined, created_at: undefined }, {
      id: undefined, name: 'api', description: 'to the API', provisioning_status: 'PENDING_CREATE', operating_status: 'OFFLINE',
      admin_state_up: true, project_id: 'owner', tenant_id: 'owner', action: 'REDIRECT_TO_POOL', listener_id: s.listenerId,
      redirect_pool_id: s.poolId, redirect_url: null, redirect_prefix: null, position: 1, rules: [], created_at: undefined,
      updated_at: null, tags: ['a', 'b'], redirect_http_code: null,
    })
    assert.deepEqual([await statusOf(s.db, 'load_balancer', s.lbId), await statusOf(s.db, 'listener', s.listenerId)], ['PENDING_UPDATE', 'PENDING_UPDATE'])
  })
  await settle(s.api, s.lbId)
  const id = String(policy.id)
  const active = (await s.api.until(`${POLICIES}/${id}`, (b) => (b.l7policy as Json).provisioning_status === 'ACTIVE')).l7policy as Json
  assert.equal(active.operating_status, 'ONLINE')
  assert.equal(await statusOf(s.db, 'listener', s.listenerId), 'ACTIVE')
  // The job ends just after its last step: wait for its state rather than race it.
  const jobs = await until(() => s.db.selectFrom('jobs').select(['kind', 'target_type', 'state']).where('kind', 'like', 'l7policy.%').execute(),
    (rows) => rows.every((row) => row.state !== 'running' && row.state !== 'pending'))
  assert.deepEqual(jobs, [{ kind: 'l7policy.create', target_type: 'l7policy', state: 'succeeded' }])
  assert.deepEqual(((await get(s, `/v2/lbaas/listeners/${s.listenerId}`)).listener as Json).l7policies, [{ id }])
  assert.deepEqual(await get(s, `${POLICIES}/${id}?fields=action&fields=position`), { l7policy: { action: 'REDIRECT_TO_POOL', position: 1 } })
  // Aliases of spec/api-v2.md §1.1.
  for (const prefix of ['/v2', '/v2.0/lbaas', '/v2.0']) assert.equal(((await get(s, `${prefix}/l7policies/${id}`)).l7policy as Json).id, id)

  // A disabled policy ends OFFLINE; a null admin_state_up is false.
  const disabled = await createActive(s, { admin_state_up: null })
  assert.deepEqual([disabled.admin_state_up, disabled.operating_status, disabled.provisioning_status], [false, 'OFFLINE', 'ACTIVE'])
})

test('action/redirect normalisation of §13.2 on create', async (t) => {
  const s = await setup(t)
  const url = 'https://example.com/x'
  const prefix = 'http://example.org'
  const cases: Array<[Json, [string, string | null, string | null, string | null, number | null]]> = [
    [{ action: 'REJECT' }, ['REJECT', null, null, null, null]],
    // On create a code sent with REJECT is kept as sent.
    [{ action: 'REJECT', redirect_http_code: 301 }, ['REJECT', null, null, null, 301]],
    [{ action: 'REJECT', redirect_url: url, redirect_pool_id: s.poolId }, ['REJECT', null, null, null, null]],
    // A prefix is not dropped by REJECT, and then decides the action.
    [{ action: 'REJECT', redirect_prefix: prefix }, ['REDIRECT_PREFIX', null, null, prefix, 302]],
    [{ action: 'REDIRECT_TO_URL', redirect_url: url }, ['REDIRECT_TO_URL', null, url, null, 302]],
    [{ action: 'REDIRECT_TO_URL', redirect_url: url, redirect_http_code: '308' }, ['REDIRECT_TO_URL', null, url, null, 308]],
    [{ action: 'REDIRECT_TO_URL', redirect_url: url, redirect_prefix: prefix }, ['REDIRECT_TO_URL', null, url, null, 302]],
    [{ action: 'REDIRECT_PREFIX', redirect_prefix: prefix, redirect_http_code: 307 }, ['REDIRECT_PREFIX', null, null, prefix, 307]],
    [{ action: 'REDIRECT_PREFIX', redirect_prefix: prefix, redirect_url: url }, ['REDIRECT_TO_URL', null, url, null, 302]],
    [{ action: 'REDIRECT_TO_POOL', redirect_pool_id: s.poolId, redirect_http_code: 301 }, ['REDIRECT_TO_POOL', s.poolId, null, null, null]],
    // The target decides over the action named.
    [{ action: 'REJECT', redirect_prefix: prefix, redirect_http_code: 303 }, ['REDIRECT_PREFIX', null, null, prefix, 303]],
  ]
  for (const [body, expected] of cases) {
    const res = await post(s, { listener_id: s.listenerId, ...body })
    assert.equal(res.statusCode, 201, `${JSON.stringify(body)}: ${res.body}`)
    const p = (res.json() as { l7policy: Json }).l7policy
    assert.deepEqual([p.action, p.redirect_pool_id, p.redirect_url, p.redirect_prefix, p.redirect_http_code], expected, JSON.stringify(body))
    await settle(s.api, s.lbId)
  }
})

test('action/redirect normalisation of §13.2 on update, and the clearing of step 7', async (t) => {
  const s = await setup(t)
  const url = 'https://example.com/x'
  const prefix = 'http://example.org'
  const policy = await createActive(s, { action: 'REDIRECT_TO_POOL', redirect_pool_id: s.poolId })
  const id = String(policy.id)
  const cases: Array<[Json, [string, string | null, string | null, string | null, number | null]]> = [
    // Only a URL: any policy becomes REDIRECT_TO_URL with the default code, its pool cleared.
    [{ redirect_url: url }, ['REDIRECT_TO_URL', null, url, null, 302]],
    [{ redirect_http_code: 301 }, ['REDIRECT_TO_URL', null, url, null, 301]],
    [{ redirect_http_code: null }, ['REDIRECT_TO_URL', null, url, null, null]],
    [{ redirect_prefix: prefix, redirect_http_code: 308 }, ['REDIRECT_PREFIX', null, null, prefix, 308]],
    // REDIRECT_TO_POOL never keeps a code.
    [{ action: 'REDIRECT_TO_POOL', redirect_pool_id: s.poolId }, ['REDIRECT_TO_POOL', s.poolId, null, null, null]],
    [{ name: 'renamed' }, ['REDIRECT_TO_POOL', s.poolId, null, null, null]],
    [{ redirect_prefix: prefix }, ['REDIRECT_PREFIX', null, null, prefix, 302]],
    // REJECT clears every redirect field, the code included.
    [{ action: 'REJECT' }, ['REJECT', null, null, null, null]],
    [{ action: 'REDIRECT_TO_URL', redirect_url: url, redirect_http_code: 303 }, ['REDIRECT_TO_URL', null, url, null, 303]],
    [{ redirect_pool_id: s.poolId }, ['REDIRECT_TO_POOL', s.poolId, null, null, null]],
  ]
  for (const [body, expected] of cases) {
    const res = await put(s, id, body)
    assert.equal(res.statusCode, 200, `${JSON.stringify(body)}: ${res.body}`)
    const p = (res.json() as { l7policy: Json }).l7policy
    assert.equal(p.provisioning_status, 'PENDING_UPDATE')
    assert.deepEqual([p.action, p.redirect_pool_id, p.redirect_url, p.redirect_prefix, p.redirect_http_code], expected, JSON.stringify(body))
    await settle(s.api, s.lbId)
  }
  const shown = (await get(s, `${POLICIES}/${id}`)).l7policy as Json
  assert.deepEqual([shown.name, shown.provisioning_status, shown.operating_status], ['renamed', 'ACTIVE', 'ONLINE'])
  assert.notEqual(shown.updated_at, null)
})

test('every create validation answers 400 naming the field, and writes nothing', async (t) => {
  const s = await setup(t)
  const base = { listener_id: s.listenerId, action: 'REJECT' }
  const long = `http://example.com/${'a'.repeat(240)}`
  const cases: Array<[unknown, string]> = [
    [undefined, 'Missing argument: "l7policy_"'],
    [{}, "Invalid input for field/attribute l7policy. Value: 'None'. Mandatory field missing."],
    [{ l7policy: base, extra: 1 }, 'Unknown attribute for argument l7policy_: extra'],
    [{ l7policy: { ...base, listener_id: undefined } }, "Invalid input for field/attribute listener_id. Value: 'None'. Mandatory field missing."],
    [{ l7policy: { ...base, listener_id: 'x' } }, "Invalid input for field/attribute listener_id. Value: 'x'. Value should be UUID format"],
    [{ l7policy: { ...base, action: undefined } }, "Invalid input for field/attribute action. Value: 'None'. Mandatory field missing."],
    [{ l7policy: { ...base, action: null } }, "Invalid input for field/attribute action. Value: 'None'. Mandatory field missing."],
    [{ l7policy: { ...base, action: 'DROP' } },
      "Invalid input for field/attribute action. Value: 'DROP'. Value should be one of: REJECT, REDIRECT_TO_URL, REDIRECT_TO_POOL, REDIRECT_PREFIX"],
    [{ l7policy: { ...base, position: 0 } }, "Invalid input for field/attribute position. Value: '0'. Value should be greater or equal to 1"],
    [{ l7policy: { ...base, position: 2147483648 } }, "Invalid input for field/attribute position. Value: '2147483648'. Value should be lower or equal to 2147483647"],
    [{ l7policy: { ...base, redirect_http_code: 304 } }, "Invalid input for field/attribute redirect_http_code. Value: '304'. Value should be one of: 301, 302, 303, 307, 308"],
    [{ l7policy: { ...base, redirect_url: 'ftp://example.com' } }, "Invalid input for field/attribute redirect_url. Value: 'ftp://example.com'. Value must be a valid URL string"],
    [{ l7policy: { ...base, redirect_prefix: 'example.com' } }, "Invalid input for field/attribute redirect_prefix. Value: 'example.com'. Value must be a valid URL string"],
    [{ l7policy: { ...base, redirect_url: 'http://exa mple.com' } }, "Invalid input for field/attribute redirect_url. Value: 'http://exa mple.com'. Value must be a valid URL string"],
    [{ l7policy: { ...base, redirect_url: long } }, `Invalid input for field/attribute redirect_url. Value: '${long}'. Value should have a maximum character requirement of 255`],
    [{ l7policy: { ...base, redirect_pool_id: 'nope' } }, "Invalid input for field/attribute redirect_pool_id. Value: 'nope'. Value should be UUID format"],
    [{ l7policy: { ...base, name: 'n'.repeat(256) } }, `Invalid input for field/attribute name. Value: '${'n'.repeat(256)}'. Value should have a maximum character requirement of 255`],
    [{ l7policy: { ...base, description: 5 } }, "Invalid input for field/attribute description. Value: '5'. Value should be string"],
    [{ l7policy: { ...base, admin_state_up: 'maybe' } }, "Invalid input for field/attribute admin_state_up. Value: 'maybe'. Value not an unambiguous boolean: maybe"],
    [{ l7policy: { ...base, tags: ['t'.repeat(256)] } }, `Invalid input for field/attribute tags. Value: '['${'t'.repeat(256)}']'. Value should have a maximum character requirement of 255`],
    [{ l7policy: { ...base, provisioning_status: 'ACTIVE' } }, 'Unknown attribute for argument l7policy_.l7policy: provisioning_status'],
    [{ l7policy: { ...base, rules: [{ type: 'PATH' }] } }, V('rules may only be specified when creating a fully populated load balancer.')],
    [{ l7policy: { ...base, action: 'REDIRECT_TO_URL' } }, 'Invalid L7 Policy arguments: redirect_url must not be None'],
    [{ l7policy: { ...base, action: 'REDIRECT_TO_POOL' } }, 'Invalid L7 Policy arguments: redirect_pool_id or redirect_pool must not be None'],
    [{ l7policy: { ...base, action: 'REDIRECT_PREFIX', redirect_prefix: '' } }, "Invalid input for field/attribute redirect_prefix. Value: ''. Value must be a valid URL string"],
    [{ l7policy: { ...base, action: 'REDIRECT_PREFIX' } }, 'Invalid L7 Policy arguments: redirect_prefix must not be None'],
    // Only REDIRECT_PREFIX leaves a pool standing next to its target: the other actions drop it.
    [{ l7policy: { ...base, action: 'REDIRECT_PREFIX', redirect_pool_id: s.poolId, redirect_prefix: 'http://example.com' } },
      'Invalid L7 Policy arguments: Cannot specify redirect_pool_id and redirect_url or redirect_prefix at the same time'],
  ]
  const before = await s.api.counts()
  for (const [payload, faultstring] of cases) {
    const res = await s.api.app.inject({ method: 'POST', url: POLICIES, ...(payload === undefined ? {} : { payload: payload as Json }) })
    assert.deepEqual(fault(res), { status: 400, faultstring }, JSON.stringify(payload))
  }
  assert.deepEqual(fault(await post(s, { ...base, listener_id: UNKNOWN })), { status: 404, faultstring: `Listener ${UNKNOWN} not found.` })
  assert.deepEqual(fault(await post(s, { ...base, redirect_pool_id: UNKNOWN })), { status: 404, faultstring: `Pool ${UNKNOWN} not found.` })
  assert.deepEqual(await s.api.counts(), before)
  assert.deepEqual([await statusOf(s.db, 'load_balancer', s.lbId), await statusOf(s.db, 'listener', s.listenerId)], ['ACTIVE', 'ACTIVE'])
})

test('update validations: 400s with nothing changed; 404 for an unknown policy or pool', async (t) => {
  const s = await setup(t)
  const policy = await createActive(s, { action: 'REDIRECT_TO_URL', redirect_url: 'http://example.com/', name: 'keep' })
  const id = String(policy.id)
  const cases: Array<[Json, string]> = [
    [{}, 'Invalid L7 Policy arguments: Invalid update options'],
    [{ action: null }, 'Invalid L7 Policy action specified: None'],
    [{ action: 'REDIRECT_TO_POOL' }, 'Invalid L7 Policy arguments: redirect_pool_id or redirect_pool must not be None'],
    [{ action: 'REDIRECT_TO_URL', redirect_url: null }, 'Invalid L7 Policy arguments: redirect_url must not be None'],
    [{ redirect_pool_id: s.poolId, redirect_url: 'http://example.com/' },
      'Invalid L7 Policy arguments: Cannot specify redirect_pool_id and redirect_url or redirect_prefix at the same time'],
    [{ listener_id: s.listenerId }, 'Unknown attribute for argument l7policy_.l7policy: listener_id'],
    [{ position: -1 }, "Invalid input for field/attribute position. Value: '-1'. Value should be greater or equal to 1"],
  ]
  const before = await s.api.counts()
  for (const [body, faultstring] of cases) assert.deepEqual(fault(await put(s, id, body)), { status: 400, faultstring }, JSON.stringify(body))
  const rawEmpty = await s.api.app.inject({ method: 'PUT', url: `${POLICIES}/${id}`, payload: {} })
  assert.deepEqual(fault(rawEmpty), { status: 400, faultstring: "Invalid input for field/attribute l7policy. Value: 'None'. Mandatory field missing." })
  assert.deepEqual(fault(await put(s, id, { redirect_pool_id: UNKNOWN })), { status: 404, faultstring: `Pool ${UNKNOWN} not found.` })
  assert.deepEqual(fault(await put(s, UNKNOWN, { name: 'x' })), { status: 404, faultstring: `L7 Policy ${UNKNOWN} not found.` })
  assert.deepEqual(fault(await s.api.app.inject({ method: 'GET', url: `${POLICIES}/${UNKNOWN}` })), { status: 404, faultstring: `L7 Policy ${UNKNOWN} not found.` })
  assert.deepEqual(fault(await s.api.app.inject({ method: 'DELETE', url: `${POLICIES}/${UNKNOWN}` })), { status: 404, faultstring: `L7 Policy ${UNKNOWN} not found.` })
  assert.deepEqual(await s.api.counts(), before)
  const after = (await get(s, `${POLICIES}/${id}`)).l7policy as Json
  assert.deepEqual([after.name, after.action, after.redirect_url, after.provisioning_status], ['keep', 'REDIRECT_TO_URL', 'http://example.com/', 'ACTIVE'])
})

test('redirect pools: same load balancer, compatible protocol; PROMETHEUS refuses policies; amphora 501 on a TCP listener', async (t) => {
  const s = await setup(t, { sets: WITH_NOOP })
  const otherLb = await s.api.app.inject({ method: 'POST', url: LBS, headers: { 'x-project-id': 'owner' }, payload: { loadbalancer: { vip_subnet_id: DEFAULT_SUBNET_ID } } })
  const otherLbId = String((otherLb.json() as { loadbalancer: Json }).loadbalancer.id)
  await settle(s.api, otherLbId)
  const foreignPool = await seedPool(s.db, otherLbId, { project_id: 'owner' })
  const tcpPool = await seedPool(s.db, s.lbId, { project_id: 'owner', protocol: 'TCP' })
  const prometheus = await seedListener(s.db, s.lbId, { project_id: 'owner', protocol: 'PROMETHEUS', protocol_port: 9100 })
  const tcpListener = await seedListener(s.db, s.lbId, { project_id: 'owner', protocol: 'TCP', protocol_port: 81 })
  const before = await s.api.counts()

  assert.deepEqual(fault(await post(s, { listener_id: s.listenerId, action: 'REDIRECT_TO_POOL', redirect_pool_id: foreignPool })),
    { status: 404, faultstring: `Pool ${foreignPool} not found.` })
  assert.deepEqual(fault(await post(s, { listener_id: s.listenerId, redirect_pool_id: tcpPool, action: 'REDIRECT_TO_POOL' })),
    { status: 400, faultstring: V("The pool protocol 'TCP' is invalid while the listener protocol is 'HTTP'.") })
  assert.deepEqual(fault(await post(s, { listener_id: prometheus, action: 'REJECT' })),
    { status: 400, faultstring: 'Protocol PROMETHEUS listeners cannot have child objects.' })
  assert.deepEqual(fault(await post(s, { listener_id: tcpListener, action: 'REJECT' })),
    { status: 501, faultstring: "Provider 'amphora' does not support a requested option: TCP protocol listeners do not support L7 policies" })
  assert.deepEqual(await s.api.counts(), before)
  assert.deepEqual([await statusOf(s.db, 'load_balancer', s.lbId), await statusOf(s.db, 'listener', tcpListener)], ['ACTIVE', 'ACTIVE'])

  // A TCP listener may redirect to a TCP pool when the provider allows policies there.
  const noop = await s.api.app.inject({ method: 'POST', url: LBS, payload: { loadbalancer: { vip_subnet_id: DEFAULT_SUBNET_ID, provider: 'noop_driver' } } })
  const noopLb = (noop.json() as { loadbalancer: Json }).loadbalancer
  const noopLbId = String(noopLb.id)
  await settle(s.api, noopLbId)
  const noopListener = await seedListener(s.db, noopLbId, { protocol: 'TCP', protocol_port: 81, project_id: String(noopLb.project_id) })
  const noopPool = await seedPool(s.db, noopLbId, { protocol: 'TCP', project_id: String(noopLb.project_id) })
  const res = await post(s, { listener_id: noopListener, redirect_pool_id: noopPool, action: 'REDIRECT_TO_POOL' })
  assert.equal(res.statusCode, 201, res.body)
  await settle(s.api, noopLbId)

  const policy = await createActive(s)
  assert.deepEqual(fault(await put(s, String(policy.id), { redirect_pool_id: foreignPool })), { status: 404, faultstring: `Pool ${foreignPool} not found.` })
  assert.deepEqual(fault(await put(s, String(policy.id), { redirect_pool_id: tcpPool })),
    { status: 400, faultstring: V("The pool protocol 'TCP' is invalid while the listener protocol is 'HTTP'.") })
  assert.equal(((await get(s, `${POLICIES}/${String(policy.id)}`)).l7policy as Json).action, 'REJECT')
})

test('positions stay 1..N: insert, append past the end, move, and close up on delete', async (t) => {
  const s = await setup(t)
  const a = String((await createActive(s)).id)
  const b = String((await createActive(s, { position: 99 })).id)
  assert.deepEqual(await positions(s), [[a, 1], [b, 2]])
  const c = String((await createActive(s, { position: 1 })).id)
  const d = String((await createActive(s, { position: 3, action: 'REDIRECT_TO_URL', redirect_url: 'http://example.com' })).id)
  assert.deepEqual(await positions(s), [[c, 1], [a, 2], [d, 3], [b, 4]])
  const e = String((await createActive(s, { position: null })).id)
  assert.deepEqual(await positions(s), [[c, 1], [a, 2], [d, 3], [b, 4], [e, 5]])

  // Shifted policies keep their status; the moved one alone goes PENDING_UPDATE.
  await whileWorkerHeld(t, s, async () => {
    const moved = await put(s, e, { position: 2 })
    assert.equal(moved.statusCode, 200, moved.body)
    assert.equal((moved.json() as { l7policy: Json }).l7policy.position, 2)
    assert.deepEqual(await positions(s), [[c, 1], [e, 2], [a, 3], [d, 4], [b, 5]])
    assert.equal(await statusOf(s.db, 'l7policy', a), 'ACTIVE')
  })
  await settle(s.api, s.lbId)
  assert.equal((await put(s, c, { position: 2147483647 })).statusCode, 200)
  await settle(s.api, s.lbId)
  assert.deepEqual(await positions(s), [[e, 1], [a, 2], [d, 3], [b, 4], [c, 5]])
  assert.equal((await put(s, b, { position: null, name: 'stays' })).statusCode, 200)
  await settle(s.api, s.lbId)
  assert.deepEqual(await positions(s), [[e, 1], [a, 2], [d, 3], [b, 4], [c, 5]])

  // While PENDING_DELETE the old numbering remains; the worker closes the gap.
  await whileWorkerHeld(t, s, async () => {
    assert.equal((await s.api.app.inject({ method: 'DELETE', url: `${POLICIES}/${a}` })).statusCode, 204)
    assert.deepEqual(await positions(s), [[e, 1], [a, 2], [d, 3], [b, 4], [c, 5]])
    assert.deepEqual([await statusOf(s.db, 'l7policy', a), await statusOf(s.db, 'listener', s.listenerId)], ['PENDING_DELETE', 'PENDING_UPDATE'])
  })
  await settle(s.api, s.lbId)
  await s.api.until(`${POLICIES}/${a}`, (_b, status) => status === 404)
  assert.deepEqual(await positions(s), [[e, 1], [d, 2], [b, 3], [c, 4]])
  // The global list is in creation order, not by position (spec/api-v2.md §5.3).
  assert.deepEqual(((await get(s, POLICIES)).l7policies as Json[]).map((p) => p.id), [b, c, d, e])
})

test('a busy load balancer answers 409 to create, update and delete, and nothing changes', async (t) => {
  const s = await setup(t)
  const policy = String((await createActive(s)).id)
  await s.db.updateTable('load_balancer').set({ provisioning_status: 'PENDING_UPDATE' }).where('id', '=', s.lbId).execute()
  const before = await s.api.counts()
  const immutable = { status: 409, faultstring: `Load Balancer ${s.lbId} is immutable and cannot be updated.` }
  assert.deepEqual(fault(await post(s, { listener_id: s.listenerId, action: 'REJECT' })), immutable)
  assert.deepEqual(fault(await put(s, policy, { name: 'x' })), immutable)
  assert.deepEqual(fault(await s.api.app.inject({ method: 'DELETE', url: `${POLICIES}/${policy}` })), immutable)
  // 400s of an update come first (spec/api-v2.md §13.4).
  assert.deepEqual(fault(await put(s, policy, { action: 'REDIRECT_TO_URL' })), { status: 400, faultstring: 'Invalid L7 Policy arguments: redirect_url must not be None' })
  assert.deepEqual(await s.api.counts(), before)
  const shown = (await get(s, `${POLICIES}/${policy}`)).l7policy as Json
  assert.deepEqual([shown.name, shown.provisioning_status, await statusOf(s.db, 'listener', s.listenerId)], ['', 'ACTIVE', 'ACTIVE'])

  // A policy in ERROR may still be changed while its LB is ACTIVE (spec/api-v2.md §6.3).
  await s.db.updateTable('load_balancer').set({ provisioning_status: 'ACTIVE' }).where('id', '=', s.lbId).execute()
  await s.db.updateTable('l7policy').set({ provisioning_status: 'ERROR' }).where('id', '=', policy).execute()
  assert.equal((await put(s, policy, { name: 'fixed' })).statusCode, 200)
  await settle(s.api, s.lbId)
  assert.equal(await statusOf(s.db, 'l7policy', policy), 'ACTIVE')
})

test('delete takes the rules and tags; a pool redirected to cannot go; listener delete and LB cascade take the policies', async (t) => {
  const s = await setup(t)
  const policy = String((await createActive(s, { action: 'REDIRECT_TO_POOL', redirect_pool_id: s.poolId, tags: ['x'] })).id)
  const rule = await seedL7Rule(s.db, policy)
  await s.db.insertInto('tags').values({ resource_id: rule, tag: 'r' }).execute()
  assert.deepEqual(fault(await s.api.app.inject({ method: 'DELETE', url: `/v2/lbaas/pools/${s.poolId}` })),
    { status: 409, faultstring: `Pool ${s.poolId} is in use by L7 policy ${policy}` })
  // With a rule, the enabled policy makes its listener a user of the pool (spec/api-v2.md §6.2 note 1).
  assert.deepEqual(((await get(s, `/v2/lbaas/pools/${s.poolId}`)).pool as Json).listeners, [{ id: s.listenerId }])
  const tree = (await get(s, `${LBS}/${s.lbId}/status`)) as { statuses: { loadbalancer: { listeners: Array<{ pools: Json[] }> } } }
  assert.deepEqual(tree.statuses.loadbalancer.listeners[0]!.pools.map((p) => p.id), [s.poolId])

  assert.equal((await s.api.app.inject({ method: 'DELETE', url: `${POLICIES}/${policy}` })).statusCode, 204)
  await s.api.until(`${POLICIES}/${policy}`, (_b, status) => status === 404)
  await settle(s.api, s.lbId)
  const count = async (table: 'l7policy' | 'l7rule' | 'tags') => Number((await s.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n)
  assert.deepEqual([await count('l7policy'), await count('l7rule'), await count('tags')], [0, 0, 0])
  assert.equal((await s.api.app.inject({ method: 'DELETE', url: `/v2/lbaas/pools/${s.poolId}` })).statusCode, 204)
  await settle(s.api, s.lbId)

  // Listener delete: its policies and rules go, the listener's LB ends ACTIVE.
  const kept = String((await createActive(s)).id)
  await seedL7Rule(s.db, kept)
  assert.equal((await s.api.app.inject({ method: 'DELETE', url: `/v2/lbaas/listeners/${s.listenerId}` })).statusCode, 204)
  await settle(s.api, s.lbId)
  assert.equal((await s.api.app.inject({ method: 'GET', url: `${POLICIES}/${kept}` })).statusCode, 404)
  assert.deepEqual([await count('l7policy'), await count('l7rule')], [0, 0])

  // LB cascade delete: listeners, policies, rules and the pools they redirect to.
  const listener = await seedListener(s.db, s.lbId, { project_id: 'owner', protocol_port: 8080 })
  const pool = await seedPool(s.db, s.lbId, { project_id: 'owner' })
  const last = await post(s, { listener_id: listener, redirect_pool_id: pool, action: 'REDIRECT_TO_POOL' })
  assert.equal(last.statusCode, 201)
  await settle(s.api, s.lbId)
  await seedL7Rule(s.db, String((last.json() as { l7policy: Json }).l7policy.id))
  assert.equal((await s.api.app.inject({ method: 'DELETE', url: `${LBS}/${s.lbId}?cascade=true` })).statusCode, 204)
  await s.api.until(`${LBS}/${s.lbId}`, (_b, status) => status === 404)
  assert.deepEqual([await count('l7policy'), await count('l7rule'), await count('tags')], [0, 0, 0])
})

test('list: project scope, filters, tags, sorting, paging and fields', async (t) => {
  const s = await setup(t)
  const a = await createActive(s, { name: 'a', tags: ['web', 'blue'] })
  const b = await createActive(s, { name: 'b', tags: ['web'], action: 'REDIRECT_TO_URL', redirect_url: 'http://example.com', position: 1 })
  const c = await createActive(s, { name: 'c', admin_state_up: false, action: 'REDIRECT_TO_POOL', redirect_pool_id: s.poolId })
  const ids = async (query: string) => ((await get(s, `${POLICIES}${query}`)).l7policies as Json[]).map((p) => p.id)
  const all = await get(s, POLICIES)
  assert.deepEqual((all.l7policies as Json[]).map((p) => p.id), [a.id, b.id, c.id])
  assert.deepEqual((all.l7policies as Json[])[0], (await get(s, `${POLICIES}/${String(a.id)}`)).l7policy, 'list items render like show')
  assert.deepEqual(all.l7policies_links, [])
  assert.deepEqual(await ids('?action=REDIRECT_TO_URL'), [b.id])
  assert.deepEqual(await ids(`?listener_id=${s.listenerId}&position=2`), [a.id])
  assert.deepEqual(await ids('?admin_state_up=false'), [c.id])
  assert.deepEqual(await ids(`?redirect_pool_id=${s.poolId}`), [c.id])
  assert.deepEqual(await ids('?project_id=owner&tags=web'), [a.id, b.id])
  assert.deepEqual(await ids('?tags-any=blue'), [a.id])
  assert.deepEqual(await ids('?not-tags=web'), [c.id])
  assert.deepEqual(await ids('?sort=position:desc'), [c.id, a.id, b.id])
  assert.deepEqual(await ids('?project_id=other'), [])
  const page = await get(s, `${POLICIES}?limit=2`)
  assert.deepEqual((page.l7policies as Json[]).map((p) => p.id), [a.id, b.id])
  assert.equal((page.l7policies_links as Json[])[0]!.rel, 'next')
  assert.deepEqual(await get(s, `${POLICIES}?fields=id&fields=rules&name=c`), { l7policies: [{ id: c.id, rules: [] }], l7policies_links: [] })
  assert.deepEqual(fault(await s.api.app.inject({ method: 'GET', url: `${POLICIES}?rules=x` })),
    { status: 400, faultstring: 'One or more arguments are either duplicate or invalid' })
  assert.deepEqual(fault(await s.api.app.inject({ method: 'GET', url: `${POLICIES}?sort=bogus` })),
    { status: 400, faultstring: "Supplied sort key 'bogus' is not valid." })
})

test('quotas (§14.3): policy and rule creates are refused at their limits before other checks and write nothing; the full graph does not count them', async (t) => {
  const s = await setup(t)
  s.api.deps.quotas = new EnforcedQuotaGate(s.api.deps.db, s.api.deps.config.quotas)
  const policy = String((await createActive(s)).id)
  assert.equal((await s.api.app.inject({ method: 'PUT', url: '/v2/lbaas/quotas/owner', payload: { quota: { l7policy: 1, l7rule: 0 } } })).statusCode, 202)
  const before = await s.api.counts()
  const refused = (label: string) => ({ status: 403, faultstring: `Quota has been met for resources: ${label}` })
  // The quota is checked before the redirect normalisation (spec/api-v2.md §13.4).
  assert.deepEqual(fault(await post(s, { listener_id: s.listenerId, action: 'REDIRECT_TO_URL' })), refused('L7 Policy'))
  const rule = { rule: { type: 'PATH', compare_type: 'STARTS_WITH', value: '/' } }
  assert.deepEqual(fault(await s.api.app.inject({ method: 'POST', url: `${POLICIES}/${policy}/rules`, payload: rule })), refused('L7 Rule'))
  assert.deepEqual(await s.api.counts(), before)
  assert.deepEqual([await statusOf(s.db, 'load_balancer', s.lbId), await statusOf(s.db, 'l7policy', policy)], ['ACTIVE', 'ACTIVE'])

  const graph = await s.api.app.inject({
    method: 'POST', url: LBS, headers: { 'x-project-id': 'owner' }, payload: {
      loadbalancer: {
        vip_subnet_id: DEFAULT_SUBNET_ID,
        listeners: [{ protocol: 'HTTP', protocol_port: 80, l7policies: [{ action: 'REJECT', rules: [{ type: 'PATH', compare_type: 'EQUAL_TO', value: '/' }] }] }],
      },
    },
  })
  assert.equal(graph.statusCode, 201, graph.body)
})
