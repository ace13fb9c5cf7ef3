import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { DEFAULT_SUBNET_ID } from '../../../src/config/defaults.ts'
import type { Executor } from '../../../src/db/database.ts'
import { newId } from '../../../src/common/ids.ts'
import { startApi, type ApiHarness } from '../../helpers/api-harness.ts'
import { seedL7Rule, seedListener, seedPool } from '../../helpers/db-seed.ts'

// L7 rules (spec/api-v2.md §13.5–§13.7, flows.md §6.6).

const LBS = '/v2/lbaas/loadbalancers'
const POLICIES = '/v2/lbaas/l7policies'
const UNKNOWN = 'a2c8e0bb-0000-4000-8000-0000000000aa'

type Json = Record<string, unknown>

interface Setup {
  api: ApiHarness
  db: Executor
  lbId: string
  listenerId: string
  poolId: string
  policyId: string
  rules: string
}

/** An ACTIVE LB (through the API) with a seeded HTTP listener and pool, and an ACTIVE REDIRECT_TO_POOL policy made through the API. */
async function setup(t: TestContext): Promise<Setup> {
  const api = await startApi(t)
  const res = await api.app.inject({
    method: 'POST', url: LBS, headers: { 'x-project-id': 'owner' }, payload: { loadbalancer: { vip_subnet_id: DEFAULT_SUBNET_ID } },
  })
  const lbId = String((res.json() as { loadbalancer: Json }).loadbalancer.id)
  await settle(api, lbId)
  const db = api.deps.db.kysely
  const listenerId = await seedListener(db, lbId, { project_id: 'owner' })
  const poolId = await seedPool(db, lbId, { project_id: 'owner' })
  const policy = await api.app.inject({
    method: 'POST', url: POLICIES, payload: { l7policy: { listener_id: listenerId, action: 'REDIRECT_TO_POOL', redirect_pool_id: poolId } },
  })
  assert.equal(policy.statusCode, 201, policy.body)
  const policyId = String((policy.json() as { l7policy: Json }).l7policy.id)
  await settle(api, lbId)
  return { api, db, lbId, listenerId, poolId, policyId, rules: `${POLICIES}/${policyId}/rules` }
}

async function settle(api: ApiHarness, lbId: string): Promise<void> {
  await api.until(`${LBS}/${lbId}`, (b) => (b.loadbalancer as Json).provisioning_status === 'ACTIVE')
}

function post(s: Setup, rule: Json, url = s.rules) {
  return s.api.app.inject({ method: 'POST', url, payload: { rule } })
}

function put(s: Setup, id: string, rule: Json) {
  return s.api.app.inject({ method: 'PUT', url: `${s.rules}/${id}`, payload: { rule } })
}

async function get(s: Setup, url: string): Promise<Json> {
  const res = await s.api.app.inject({ method: 'GET', url })
  assert.equal(res.statusCode, 200, `${url}: ${res.body}`)
  return res.json() as Json
}

async function createActive(s: Setup, rule: Json = {}): Promise<Json> {
  const res = await post(s, { type: 'PATH', compare_type: 'STARTS_WITH', value: '/api', ...rule })
  assert.equal(res.statusCode, 201, res.body)
  const id = String((res.json() as { rule: Json }).rule.id)
  await settle(s.api, s.lbId)
  return (await get(s, `${s.rules}/${id}`)).rule as Json
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

async function statuses(s: Setup): Promise<string[]> {
  const one = async (table: 'load_balancer' | 'listener' | 'l7policy', id: string) =>
    (await s.db.selectFrom(table as 'listener').select('provisioning_status').where('id', '=', id).executeTakeFirstOrThrow()).provisioning_status
  return [await one('load_balancer', s.lbId), await one('listener', s.listenerId), await one('l7policy', s.policyId)]
}

test('create: 201 with every field of §13.5; LB, listener and policy PENDING_UPDATE; the worker makes all ACTIVE, the rule ONLINE', async (t) => {
  const s = await setup(t)
  // Held after each job's checkpoint, so the PENDING_* statuses the API wrote can be seen.
  const release = s.api.holdWorker()
  const res = await post(s, { type: 'HEADER', compare_type: 'EQUAL_TO', key: 'X-Env', value: '"blue green"', invert: 'yes', tags: ['z', 'a'], tenant_id: 'ignored' })
  assert.equal(res.statusCode, 201, res.body)
  const rule = (res.json() as { rule: Json }).rule
  assert.deepEqual(Object.keys(rule), [
    'id', 'type', 'compare_type', 'key', 'value', 'invert', 'provisioning_status', 'operating_status', 'created_at', 'updated_at',
    'project_id', 'tenant_id', 'admin_state_up', 'tags',
  ])
  assert.deepEqual({ ...rule, id: undefined, created_at: undefined }, {
    id: undefined, type: 'HEADER', compare_type: 'EQUAL_TO', key: 'X-Env', value: '"blue green"', invert: true,
    provisioning_status: 'PENDING_CREATE', operating_status: 'OFFLINE', created_at: undefined, updated_at: null, project_id: 'owner',
    tenant_id: 'owner', admin_state_up: true, tags: ['a', 'z'],
  })
  assert.deepEqual(await statuses(s), ['PENDING_UPDATE', 'PENDING_UPDATE', 'PENDING_UPDATE'])
  release()
  await settle(s.api, s.lbId)
  const active = (await s.api.until(`${s.rules}/${String(rule.id)}`, (b) => (b.rule as Json).provisioning_status === 'ACTIVE')).rule as Json
  assert.equal(active.operating_status, 'ONLINE')
  assert.deepEqual(await statuses(s), ['ACTIVE', 'ACTIVE', 'ACTIVE'])
  const policy = (await get(s, `${POLICIES}/${s.policyId}`)).l7policy as Json
  assert.deepEqual([policy.rules, policy.operating_status], [[{ id: rule.id }], 'ONLINE'])
  // With its first rule the policy makes the listener a user of its pool (spec/api-v2.md §6.2 note 1, §8.9).
  assert.deepEqual(((await get(s, `/v2/lbaas/pools/${s.poolId}`)).pool as Json).listeners, [{ id: s.listenerId }])
  // The job ends just after its last step: wait for its state rather than race it.
  const jobs = await until(() => s.db.selectFrom('jobs').select(['kind', 'state']).where('kind', 'like', 'l7rule.%').execute(),
    (rows) => rows.every((row) => row.state !== 'running' && row.state !== 'pending'))
  assert.deepEqual(jobs, [{ kind: 'l7rule.create', state: 'succeeded' }])
  assert.deepEqual(await get(s, `${s.rules}/${String(rule.id)}?fields=key&fields=invert`), { rule: { key: 'X-Env', invert: true } })

  const disabled = await createActive(s, { admin_state_up: false, invert: null })
  assert.deepEqual([disabled.operating_status, disabled.admin_state_up, disabled.invert], ['OFFLINE', false, false])
})

test('rule validation per type (§13.6): each message, nothing written', async (t) => {
  const s = await setup(t)
  const E = (reason: string) => `Error parsing L7Rule: ${reason}`
  const R = (reason: string) => `Error parsing L7Rule: Invalid L7 Rule: ${reason}`
  const cases: Array<[Json, string]> = [
    [{ type: 'PATH', compare_type: 'STARTS_WITH', value: '' }, R('L7 rule type requires a value')],
    [{ type: 'HEADER', compare_type: 'EQUAL_TO', value: 'x' }, R('L7 rule type requires a key')],
    [{ type: 'COOKIE', compare_type: 'EQUAL_TO', key: '', value: 'x' }, R('L7 rule type requires a key')],
    [{ type: 'HEADER', compare_type: 'EQUAL_TO', key: 'X Env', value: 'x' }, E('Invalid characters in key')],
    [{ type: 'COOKIE', compare_type: 'EQUAL_TO', key: 'a:b', value: 'x' }, E('Invalid characters in key')],
    [{ type: 'HEADER', compare_type: 'CONTAINS', key: 'X', value: 'two words' }, E('Invalid characters in header value')],
    [{ type: 'HEADER', compare_type: 'REGEX', key: 'X', value: '(unclosed' }, E('Unable to parse regular expression: Unterminated group')],
    [{ type: 'COOKIE', compare_type: 'STARTS_WITH', key: 'session', value: 'a;b' }, E('Invalid characters in cookie value')],
    [{ type: 'COOKIE', compare_type: 'ENDS_WITH', key: 'session', value: '"quoted"' }, E('Invalid characters in cookie value')],
    [{ type: 'HOST_NAME', compare_type: 'EQUAL_TO', value: 'www example.com' }, E('Invalid characters in comparison value')],
    [{ type: 'PATH', compare_type: 'REGEX', value: '*api' }, E('Unable to parse regular expression: Nothing to repeat')],
    [{ type: 'PATH', compare_type: 'REGEX', value: '^/a\\qb' }, E('Unable to parse regular expression: bad escape \\q at position 3')],
    [{ type: 'FILE_TYPE', compare_type: 'STARTS_WITH', value: 'jpg' }, R('invalid comparison type for rule type')],
    [{ type: 'FILE_TYPE', compare_type: 'EQUAL_TO', value: 'j p g' }, E('Invalid characters in comparison value')],
    [{ type: 'SSL_CONN_HAS_CERT', compare_type: 'EQUAL_TO', key: 'k', value: 'true' }, R('L7rule type SSL_CONN_HAS_CERT does not use the "key" field.')],
    [{ type: 'SSL_CONN_HAS_CERT', compare_type: 'EQUAL_TO', value: 'yes' }, R('L7rule value yes is not a boolean True string.')],
    [{ type: 'SSL_CONN_HAS_CERT', compare_type: 'REGEX', value: 'TRUE' }, R('L7rule type SSL_CONN_HAS_CERT only supports the EQUAL_TO compare type.')],
    [{ type: 'SSL_VERIFY_RESULT', compare_type: 'EQUAL_TO', key: 'k', value: '0' }, R('L7rule type SSL_VERIFY_RESULT does not use the "key" field.')],
    [{ type: 'SSL_VERIFY_RESULT', compare_type: 'EQUAL_TO', value: '-1' }, R('L7rule type SSL_VERIFY_RESULT needs a int value, which is >= 0')],
    [{ type: 'SSL_VERIFY_RESULT', compare_type: 'CONTAINS', value: '10' }, R('L7rule type SSL_VERIFY_RESULT only supports the EQUAL_TO compare type.')],
    [{ type: 'SSL_DN_FIELD', compare_type: 'REGEX', key: 'CN', value: '[a-' }, E('Unable to parse regular expression: Unterminated character class')],
    [{ type: 'SSL_DN_FIELD', compare_type: 'EQUAL_TO', value: 'x' }, R('L7rule type SSL_DN_FIELD needs to specify a key and a value.')],
    [{ type: 'SSL_DN_FIELD', compare_type: 'EQUAL_TO', key: '1CN', value: 'x' }, R('Invalid L7rule distinguished name field.')],
    [{ type: 'PATH', compare_type: 'STARTS_WITH', value: '/a\nb' }, "Invalid input for field/attribute value. Value: '/a\nb'. Value should match the pattern ^[^\\r\\n]*$"],
    [{ type: 'HEADER', compare_type: 'EQUAL_TO', key: 'X\r', value: 'v' }, "Invalid input for field/attribute key. Value: 'X\r'. Value should match the pattern ^[^\\r\\n]*$"],
    [{ type: 'URL', compare_type: 'EQUAL_TO', value: 'v' },
      "Invalid input for field/attribute type. Value: 'URL'. Value should be one of: HOST_NAME, PATH, FILE_TYPE, HEADER, COOKIE, SSL_CONN_HAS_CERT, SSL_VERIFY_RESULT, SSL_DN_FIELD"],
    [{ type: 'PATH', compare_type: 'LIKE', value: 'v' },
      "Invalid input for field/attribute compare_type. Value: 'LIKE'. Value should be one of: REGEX, STARTS_WITH, ENDS_WITH, CONTAINS, EQUAL_TO"],
    [{ type: 'PATH', value: 'v' }, "Invalid input for field/attribute compare_type. Value: 'None'. Mandatory field missing."],
    [{ type: 'PATH', compare_type: 'EQUAL_TO' }, "Invalid input for field/attribute value. Value: 'None'. Mandatory field missing."],
    [{ type: 'PATH', compare_type: 'EQUAL_TO', value: 'v'.repeat(256) }, `Invalid input for field/attribute value. Value: '${'v'.repeat(256)}'. Value should have a maximum character requirement of 255`],
    [{ type: 'PATH', compare_type: 'EQUAL_TO', value: '/', name: 'x' }, 'Unknown attribute for argument rule_.rule: name'],
  ]
  const before = await s.api.counts()
  for (const [rule, faultstring] of cases) assert.deepEqual(fault(await post(s, rule)), { status: 400, faultstring }, JSON.stringify(rule))
  assert.deepEqual(await s.api.counts(), before)
  assert.deepEqual(await statuses(s), ['ACTIVE', 'ACTIVE', 'ACTIVE'])
  assert.equal(Number((await s.db.selectFrom('l7rule').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n), 0)

  // What each type accepts.
  const accepted: Json[] = [
    { type: 'HOST_NAME', compare_type: 'ENDS_WITH', value: '.example.com', key: 'ignored' },
    { type: 'PATH', compare_type: 'REGEX', value: '^/(?P<v>v[0-9]+)/(?i:api)\\Z' },
    { type: 'FILE_TYPE', compare_type: 'EQUAL_TO', value: 'png' },
    { type: 'HEADER', compare_type: 'STARTS_WITH', key: "X-!#$%&'*+,-.^_`|~", value: '~!@#' },
    { type: 'COOKIE', compare_type: 'CONTAINS', key: 'session', value: 'a,b' },
    { type: 'SSL_CONN_HAS_CERT', compare_type: 'EQUAL_TO', value: 'True' },
    { type: 'SSL_VERIFY_RESULT', compare_type: 'EQUAL_TO', value: '0' },
    { type: 'SSL_DN_FIELD', compare_type: 'STARTS_WITH', key: 'OU-1', value: 'Eng' },
  ]
  for (const rule of accepted) {
    const res = await post(s, rule)
    assert.equal(res.statusCode, 201, `${JSON.stringify(rule)}: ${res.body}`)
    await settle(s.api, s.lbId)
  }
  const hostName = ((await get(s, s.rules)).rules as Json[])[0]!
  assert.equal(hostName.key, 'ignored', 'a HOST_NAME rule keeps the key it was created with')
})

test('nested 404s, 409s for a busy policy or LB, and 50 rules at most', async (t) => {
  const s = await setup(t)
  const nested = { code: 404, title: 'Bad Request', description: `L7Policy ${UNKNOWN} not found.` }
  for (const [method, url] of [['GET', `${POLICIES}/${UNKNOWN}/rules`], ['POST', `${POLICIES}/${UNKNOWN}/rules`], ['GET', `${POLICIES}/${UNKNOWN}/rules/${UNKNOWN}`],
    ['PUT', `${POLICIES}/${UNKNOWN}/rules/${UNKNOWN}`], ['DELETE', `${POLICIES}/${UNKNOWN}/rules/${UNKNOWN}`]] as const) {
    const res = await s.api.app.inject({ method, url, payload: { rule: { type: 'PATH', compare_type: 'EQUAL_TO', value: '/' } } })
    assert.deepEqual([res.statusCode, res.json()], [404, nested], `${method} ${url}`)
  }
  for (const method of ['GET', 'PUT', 'DELETE'] as const) {
    const res = await s.api.app.inject({ method, url: `${s.rules}/${UNKNOWN}`, payload: { rule: { value: '/' } } })
    assert.deepEqual(fault(res), { status: 404, faultstring: `L7 Rule ${UNKNOWN} not found.` }, method)
  }

  const rule = String((await createActive(s)).id)
  const valid = { type: 'PATH', compare_type: 'EQUAL_TO', value: '/' }
  const before = await s.api.counts()
  await s.db.updateTable('l7policy').set({ provisioning_status: 'ERROR' }).where('id', '=', s.policyId).execute()
  const policyImmutable = { status: 409, faultstring: `L7Policy ${s.policyId} is immutable and cannot be updated.` }
  assert.deepEqual(fault(await post(s, valid)), policyImmutable)
  assert.deepEqual(fault(await put(s, rule, { value: '/x' })), policyImmutable)
  assert.deepEqual(fault(await s.api.app.inject({ method: 'DELETE', url: `${s.rules}/${rule}` })), policyImmutable)
  await s.db.updateTable('l7policy').set({ provisioning_status: 'ACTIVE' }).where('id', '=', s.policyId).execute()
  await s.db.updateTable('load_balancer').set({ provisioning_status: 'PENDING_UPDATE' }).where('id', '=', s.lbId).execute()
  const lbImmutable = { status: 409, faultstring: `Load Balancer ${s.lbId} is immutable and cannot be updated.` }
  assert.deepEqual(fault(await post(s, valid)), lbImmutable)
  assert.deepEqual(fault(await put(s, rule, { value: '/x' })), lbImmutable)
  assert.deepEqual(fault(await s.api.app.inject({ method: 'DELETE', url: `${s.rules}/${rule}` })), lbImmutable)
  // Rule validation comes before the status tests.
  assert.deepEqual(fault(await put(s, rule, { value: '' })), { status: 400, faultstring: 'Error parsing L7Rule: Invalid L7 Rule: L7 rule type requires a value' })
  assert.deepEqual(await s.api.counts(), before)
  assert.equal(((await get(s, `${s.rules}/${rule}`)).rule as Json).value, '/api')
  await s.db.updateTable('load_balancer').set({ provisioning_status: 'ACTIVE' }).where('id', '=', s.lbId).execute()

  // 49 more rules (any status counts) fill the policy; the 51st is a 409 before anything else.
  for (let i = 0; i < 48; i++) await seedL7Rule(s.db, s.policyId)
  await s.db.insertInto('l7rule').values({
    id: newId(), project_id: 'owner', l7policy_id: s.policyId, type: 'PATH', compare_type: 'EQUAL_TO', value: '/gone', enabled: true,
    provisioning_status: 'PENDING_DELETE', operating_status: 'OFFLINE', created_at: new Date(),
  }).execute()
  assert.deepEqual(fault(await post(s, valid)), { status: 409, faultstring: `Too many rules on L7 policy ${s.policyId}` })
  assert.deepEqual(await statuses(s), ['ACTIVE', 'ACTIVE', 'ACTIVE'])
})

test('update: the stored rule merged with the request is validated; null invert is false; keyless types lose their key', async (t) => {
  const s = await setup(t)
  const header = await createActive(s, { type: 'HEADER', compare_type: 'EQUAL_TO', key: 'X-A', value: 'a', invert: true, tags: ['old'] })
  const id = String(header.id)
  const cases: Array<[Json, string]> = [
    [{ key: null }, 'Error parsing L7Rule: Invalid L7 Rule: L7 rule type requires a key'],
    [{ value: null }, 'Error parsing L7Rule: Invalid L7 Rule: L7 rule type requires a value'],
    [{ type: null }, 'Error parsing L7Rule: Invalid L7 Rule: invalid rule type'],
    [{ compare_type: null }, 'Error parsing L7Rule: Invalid L7 Rule: invalid comparison type for rule type'],
    [{ value: 'two words' }, 'Error parsing L7Rule: Invalid characters in header value'],
    [{ type: 'SSL_CONN_HAS_CERT' }, 'Error parsing L7Rule: Invalid L7 Rule: L7rule type SSL_CONN_HAS_CERT does not use the "key" field.'],
    [{ project_id: 'x' }, 'Unknown attribute for argument l7rule_.rule: project_id'],
  ]
  const before = await s.api.counts()
  for (const [rule, faultstring] of cases) assert.deepEqual(fault(await put(s, id, rule)), { status: 400, faultstring }, JSON.stringify(rule))
  assert.deepEqual(await s.api.counts(), before)

  const res = await put(s, id, { value: '"b c"', invert: null, tags: ['new'] })
  assert.equal(res.statusCode, 200, res.body)
  const updated = (res.json() as { rule: Json }).rule
  assert.deepEqual([updated.value, updated.invert, updated.key, updated.tags, updated.provisioning_status], ['"b c"', false, 'X-A', ['new'], 'PENDING_UPDATE'])
  await settle(s.api, s.lbId)
  const pathRule = (await put(s, id, { type: 'PATH', compare_type: 'STARTS_WITH', value: '/x', admin_state_up: false })).json() as { rule: Json }
  assert.deepEqual([pathRule.rule.type, pathRule.rule.key, pathRule.rule.admin_state_up], ['PATH', null, false])
  await settle(s.api, s.lbId)
  const shown = (await s.api.until(`${s.rules}/${id}`, (b) => (b.rule as Json).provisioning_status === 'ACTIVE')).rule as Json
  assert.deepEqual([shown.operating_status, shown.tags, shown.key], ['OFFLINE', ['new'], null])
  assert.deepEqual(await statuses(s), ['ACTIVE', 'ACTIVE', 'ACTIVE'])

  // A rule is found under any policy's path, but changed only through its own.
  const other = await s.api.app.inject({ method: 'POST', url: POLICIES, payload: { l7policy: { listener_id: s.listenerId, action: 'REJECT' } } })
  const otherId = String((other.json() as { l7policy: Json }).l7policy.id)
  await settle(s.api, s.lbId)
  assert.equal(((await get(s, `${POLICIES}/${otherId}/rules/${id}`)).rule as Json).id, id)
  assert.deepEqual(fault(await s.api.app.inject({ method: 'PUT', url: `${POLICIES}/${otherId}/rules/${id}`, payload: { rule: { value: '/y' } } })),
    { status: 404, faultstring: `L7 Rule ${id} not found.` })
})

test('delete and list: the rule goes with its tags, the policy ends ACTIVE; list filters, tags and sorting', async (t) => {
  const s = await setup(t)
  const a = await createActive(s, { value: '/a', tags: ['web'] })
  const b = await createActive(s, { type: 'HOST_NAME', compare_type: 'EQUAL_TO', value: 'b.example.com', invert: true, tags: ['web', 'blue'] })
  const c = await createActive(s, { type: 'COOKIE', compare_type: 'EQUAL_TO', key: 'k', value: 'c' })
  const ids = async (query: string) => ((await get(s, `${s.rules}${query}`)).rules as Json[]).map((r) => r.id)
  const all = await get(s, s.rules)
  assert.deepEqual([(all.rules as Json[]).map((r) => r.id), all.rules_links], [[a.id, b.id, c.id], []])
  assert.deepEqual((all.rules as Json[])[1], b)
  assert.deepEqual(await ids('?invert=true'), [b.id])
  assert.deepEqual(await ids('?type=COOKIE&key=k'), [c.id])
  assert.deepEqual(await ids('?tags=web'), [a.id, b.id])
  assert.deepEqual(await ids('?not-tags-any=blue'), [a.id, c.id])
  assert.deepEqual(await ids('?sort=value:desc'), [c.id, b.id, a.id])
  assert.deepEqual(await get(s, `${s.rules}?fields=id&value=/a`), { rules: [{ id: a.id }], rules_links: [] })
  // Rules of another policy are not listed here.
  const other = await s.api.app.inject({ method: 'POST', url: POLICIES, payload: { l7policy: { listener_id: s.listenerId, action: 'REJECT' } } })
  await settle(s.api, s.lbId)
  assert.deepEqual((await get(s, `${POLICIES}/${String((other.json() as { l7policy: Json }).l7policy.id)}/rules`)).rules, [])

  assert.equal((await s.api.app.inject({ method: 'DELETE', url: `${s.rules}/${String(a.id)}` })).statusCode, 204)
  await s.api.until(`${s.rules}/${String(a.id)}`, (_b, status) => status === 404)
  await settle(s.api, s.lbId)
  assert.deepEqual(await statuses(s), ['ACTIVE', 'ACTIVE', 'ACTIVE'])
  assert.deepEqual(await ids(''), [b.id, c.id])
  const tags = await s.db.selectFrom('tags').select('resource_id').where('resource_id', '=', String(a.id)).execute()
  assert.deepEqual(tags, [])
  assert.deepEqual(((await get(s, `${POLICIES}/${s.policyId}`)).l7policy as Json).rules, [{ id: b.id }, { id: c.id }])
})
