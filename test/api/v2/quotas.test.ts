import { test } from 'node:test'
import assert from 'node:assert/strict'
import { startApi, type ApiHarness } from '../../helpers/api-harness.ts'

// The quota calls of spec/api-v2.md §14.2 (enforcement is in quota-enforcement.test.ts).

const QUOTAS = '/v2/lbaas/quotas'

type Json = Record<string, unknown>

// spec/api-v2.md §14.1: both spellings of loadbalancer and healthmonitor, in this order.
const KEYS = ['project_id', 'tenant_id', 'loadbalancer', 'load_balancer', 'listener', 'member', 'pool', 'healthmonitor', 'health_monitor', 'l7policy', 'l7rule']

function quota(projectId: string, limits: { lb?: number | null; listener?: number | null; member?: number | null; pool?: number | null; hm?: number | null; l7policy?: number | null; l7rule?: number | null }, fill: number | null = -1): Json {
  const v = (x: number | null | undefined) => (x === undefined ? fill : x)
  return {
    project_id: projectId, tenant_id: projectId, loadbalancer: v(limits.lb), load_balancer: v(limits.lb), listener: v(limits.listener),
    member: v(limits.member), pool: v(limits.pool), healthmonitor: v(limits.hm), health_monitor: v(limits.hm), l7policy: v(limits.l7policy),
    l7rule: v(limits.l7rule),
  }
}

async function call(api: ApiHarness, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown) {
  return api.app.inject({ method, url, ...(payload === undefined ? {} : { payload: payload as Json }) })
}

async function put(api: ApiHarness, projectId: string, body: Json): Promise<Json> {
  const res = await call(api, 'PUT', `${QUOTAS}/${projectId}`, { quota: body })
  assert.equal(res.statusCode, 202, res.body)
  return (res.json() as { quota: Json }).quota
}

async function show(api: ApiHarness, url: string): Promise<Json> {
  const res = await call(api, 'GET', url)
  assert.equal(res.statusCode, 200, `${url}: ${res.body}`)
  return (res.json() as { quota: Json }).quota
}

async function list(api: ApiHarness, query = ''): Promise<{ quotas: Json[]; quotas_links: Json[] }> {
  const res = await call(api, 'GET', `${QUOTAS}${query}`)
  assert.equal(res.statusCode, 200, res.body)
  return res.json() as { quotas: Json[]; quotas_links: Json[] }
}

function fault(res: { statusCode: number; json(): unknown }): [number, string] {
  return [res.statusCode, (res.json() as { faultstring: string }).faultstring]
}

test('show: a project without a record gets the configured defaults (never null), under every alias; /default always the defaults; /defaults is the project "defaults"', async (t) => {
  const api = await startApi(t, { sets: ['octavia.quotas.default_pool_quota=7', 'octavia.quotas.default_l7rule_quota=0'] })
  const shown = await show(api, `${QUOTAS}/p1`)
  assert.deepEqual(Object.keys(shown), KEYS)
  assert.deepEqual(shown, quota('p1', { pool: 7, l7rule: 0 }))
  for (const prefix of ['/v2/quotas', '/v2.0/lbaas/quotas', '/v2.0/quotas']) {
    assert.deepEqual(await show(api, `${prefix}/p1`), shown)
  }
  assert.deepEqual(await show(api, `${QUOTAS}/p1.json`), shown)
  // Any string is a project id.
  assert.deepEqual(await show(api, `${QUOTAS}/not%20a%20uuid`), quota('not a uuid', { pool: 7, l7rule: 0 }))
  assert.deepEqual(await list(api), { quotas: [], quotas_links: [] })

  await put(api, 'p1', { pool: 1, member: 3 })
  assert.deepEqual(await show(api, `${QUOTAS}/p1`), quota('p1', { pool: 1, member: 3, l7rule: 0 }))
  assert.deepEqual(await show(api, `${QUOTAS}/p1/default`), quota('p1', { pool: 7, l7rule: 0 }))
  assert.deepEqual(await show(api, `/v2/quotas/other/default`), quota('other', { pool: 7, l7rule: 0 }))

  // spec/api-v2.md §14.2: upstream has no route of its own for /quotas/defaults.
  assert.deepEqual(await show(api, `${QUOTAS}/defaults`), quota('defaults', { pool: 7, l7rule: 0 }))
  await put(api, 'defaults', { listener: 4 })
  assert.deepEqual(await show(api, `${QUOTAS}/defaults`), quota('defaults', { pool: 7, l7rule: 0, listener: 4 }))
  assert.deepEqual(await show(api, `${QUOTAS}/defaults/default`), quota('defaults', { pool: 7, l7rule: 0 }))

  // Show and default take no query argument at all, not even fields (spec/api-v2.md §5.6, §17).
  for (const url of [`${QUOTAS}/p1?fields=pool`, `${QUOTAS}/p1/default?x=1`, `${QUOTAS}/defaults?fields=pool`]) {
    assert.deepEqual(fault(await call(api, 'GET', url)), [400, url.includes('x=1') ? 'Unknown argument: "x"' : 'Unknown argument: "fields"'])
  }
})

test('set: 202 with the effective quota; either spelling, the unsuffixed one winning; null back to the default; {} creates the record and changes nothing', async (t) => {
  const api = await startApi(t, { sets: ['octavia.quotas.default_member_quota=50'] })
  assert.deepEqual(await put(api, 'p1', { loadbalancer: 5, listener: '6', pool: 7.9, healthmonitor: 8, member: 0, l7policy: -1, l7rule: 2000000000 }),
    quota('p1', { lb: 5, listener: 6, pool: 7, hm: 8, member: 0, l7policy: -1, l7rule: 2000000000 }))
  // The deprecated spellings alone.
  assert.deepEqual(await put(api, 'p1', { load_balancer: 9, health_monitor: 10 }),
    quota('p1', { lb: 9, listener: 6, pool: 7, hm: 10, member: 0, l7policy: -1, l7rule: 2000000000 }))
  // Both: the unsuffixed spelling wins, null included.
  assert.deepEqual(await put(api, 'p1', { loadbalancer: 1, load_balancer: 2, healthmonitor: null, health_monitor: 3 }),
    quota('p1', { lb: 1, listener: 6, pool: 7, hm: -1, member: 0, l7policy: -1, l7rule: 2000000000 }))
  // null: that kind back to the default (here member's 50); the rest untouched.
  assert.deepEqual(await put(api, 'p1', { member: null, l7rule: null }),
    quota('p1', { lb: 1, listener: 6, pool: 7, hm: -1, member: 50, l7policy: -1, l7rule: -1 }))
  // The list shows the raw record: null = default.
  assert.deepEqual((await list(api)).quotas, [quota('p1', { lb: 1, listener: 6, pool: 7, hm: null, member: null, l7policy: -1, l7rule: null })])

  assert.deepEqual(await put(api, 'p2', {}), quota('p2', { member: 50 }))
  assert.deepEqual((await list(api, '?project_id=p2')).quotas, [quota('p2', {}, null)])

  // The other prefixes write the same records.
  const res = await call(api, 'PUT', '/v2/quotas/p3', { quota: { pool: 1 } })
  assert.equal(res.statusCode, 202)
  assert.deepEqual(await show(api, '/v2.0/lbaas/quotas/p3'), quota('p3', { pool: 1, member: 50 }))
})

test('set refuses bad bodies with Octavia\'s 400s and changes nothing', async (t) => {
  const api = await startApi(t)
  await put(api, 'p1', { pool: 3 })
  const before = await list(api)
  const cases: Array<[unknown, string]> = [
    [{ quota: { pool: -2 } }, "Invalid input for field/attribute pool. Value: '-2'. Value should be greater or equal to -1"],
    [{ quota: { loadbalancer: 2000000001 } }, "Invalid input for field/attribute loadbalancer. Value: '2000000001'. Value should be lower or equal to 2000000000"],
    [{ quota: { health_monitor: -5 } }, "Invalid input for field/attribute health_monitor. Value: '-5'. Value should be greater or equal to -1"],
    [{ quota: { member: 'many' } }, "Invalid input for field/attribute member. Value: 'many'. invalid literal for int() with base 10: 'many'"],
    [{ quota: { pool: 1, load_balancers: 1, foo: 2 } }, 'Unknown attributes for argument quotas.quota: foo, load_balancers'],
    [{ quota: { project_id: 'p1' } }, 'Unknown attribute for argument quotas.quota: project_id'],
    [{ quotas: { pool: 1 } }, 'Unknown attribute for argument quotas: quotas'],
    [{}, "Invalid input for field/attribute quota. Value: 'None'. Mandatory field missing."],
    [{ quota: null }, "Invalid input for field/attribute quota. Value: 'None'. Mandatory field missing."],
    [[1], "Invalid input for field/attribute quotas. Value: '[1]'. Value not a valid dict: [1]"],
  ]
  for (const [body, message] of cases) {
    assert.deepEqual(fault(await call(api, 'PUT', `${QUOTAS}/p1`, body)), [400, message], JSON.stringify(body))
  }
  assert.deepEqual(fault(await call(api, 'PUT', `${QUOTAS}/p1`)), [400, 'Missing argument: "quotas"'])
  assert.deepEqual(fault(await call(api, 'PUT', `${QUOTAS}/p1?pool=1`, { quota: { pool: 1 } })), [400, 'Unknown argument: "pool"'])
  // Our deviation: a project id longer than the column is a 400, not upstream's database error.
  const long = 'x'.repeat(37)
  assert.deepEqual(fault(await call(api, 'PUT', `${QUOTAS}/${long}`, { quota: { pool: 1 } })),
    [400, `Invalid input for field/attribute project_id. Value: '${long}'. Value should have a maximum character requirement of 36`])
  assert.deepEqual(await list(api), before)
})

test('reset: 202 with an empty body, every kind back to the default; no record is 404 "Quotas <id> not found."', async (t) => {
  const api = await startApi(t, { sets: ['octavia.quotas.default_listener_quota=3'] })
  await put(api, 'p1', { loadbalancer: 1, listener: 1, pool: 1, healthmonitor: 1, member: 1, l7policy: 1, l7rule: 1 })
  const res = await call(api, 'DELETE', `${QUOTAS}/p1`)
  assert.equal(res.statusCode, 202)
  assert.equal(res.body, '')
  assert.deepEqual(await show(api, `${QUOTAS}/p1`), quota('p1', { listener: 3 }))
  // The record stays, all default.
  assert.deepEqual((await list(api)).quotas, [quota('p1', {}, null)])
  assert.equal((await call(api, 'DELETE', `/v2/quotas/p1`)).statusCode, 202)

  assert.deepEqual(fault(await call(api, 'DELETE', `${QUOTAS}/nobody`)), [404, 'Quotas nobody not found.'])
  assert.deepEqual(fault(await call(api, 'DELETE', `${QUOTAS}/p1?cascade=true`)), [400, 'Unknown argument: "cascade"'])
  assert.equal((await call(api, 'POST', QUOTAS, { quota: {} })).statusCode, 405)
})

test('list: raw records with paging, sorting on either spelling and filters; fields is ignored; bad parameters are 400s', async (t) => {
  const api = await startApi(t)
  await put(api, 'a', { loadbalancer: 3, pool: 1 })
  await put(api, 'b', { loadbalancer: 1 })
  await put(api, 'c', { loadbalancer: 2, pool: 1 })
  const ids = (body: { quotas: Json[] }) => body.quotas.map((q) => q.project_id)

  const all = await list(api)
  assert.deepEqual(all.quotas.map((q) => Object.keys(q)), [KEYS, KEYS, KEYS])
  assert.deepEqual(ids(all).sort(), ['a', 'b', 'c'])
  assert.deepEqual(ids(await list(api, '?sort=load_balancer:desc')), ['a', 'c', 'b'])
  assert.deepEqual(ids(await list(api, '?sort=loadbalancer')), ['b', 'c', 'a'])
  assert.deepEqual(ids(await list(api, '?sort_key=loadbalancer&sort_dir=desc')), ['a', 'c', 'b'])
  assert.deepEqual(ids(await list(api, '?pool=1&sort=project_id:desc')), ['c', 'a'])
  assert.deepEqual(ids(await list(api, '?project_id=b')), ['b'])
  assert.deepEqual(ids(await list(api, '?tenant_id=c')), ['c'])
  assert.deepEqual(ids(await list(api, '?healthmonitor=5')), [])
  // spec/api-v2.md §5.6: the quota list ignores fields.
  assert.deepEqual((await list(api, '?sort=project_id&fields=pool')).quotas, [
    quota('a', { lb: 3, pool: 1 }, null), quota('b', { lb: 1 }, null), quota('c', { lb: 2, pool: 1 }, null),
  ])
  assert.deepEqual(await list(api, '/?sort=project_id&fields=pool'), await list(api, '.json?sort=project_id'))

  const page = await list(api, '?sort=project_id&limit=2')
  assert.deepEqual(ids(page), ['a', 'b'])
  assert.deepEqual(page.quotas_links, [{ href: 'http://localhost:80/v2/lbaas/quotas?limit=2&sort=project_id&marker=b', rel: 'next' }])
  const next = await list(api, '?sort=project_id&limit=2&marker=b')
  assert.deepEqual(ids(next), ['c'])
  assert.deepEqual(next.quotas_links, [{ href: 'http://localhost:80/v2/lbaas/quotas?limit=2&sort=project_id&marker=c&page_reverse=True', rel: 'previous' }])

  assert.deepEqual(fault(await call(api, 'GET', `${QUOTAS}?in_use_pool=0`)), [400, 'One or more arguments are either duplicate or invalid'])
  assert.deepEqual(fault(await call(api, 'GET', `${QUOTAS}?sort=foo`)), [400, "Supplied sort key 'foo' is not valid."])
  assert.deepEqual(fault(await call(api, 'GET', `${QUOTAS}?marker=zz`)), [400, "Supplied pagination marker 'zz' is not valid."])
})
