import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import { startApi, type ApiHarness } from '../../helpers/api-harness.ts'
import { ENGINES } from '../../helpers/test-database.ts'
import { createShapes, identity, LBAAS, type Shapes } from './rbac-fixtures.ts'

// Two projects build the same shapes; with the secure defaults neither member can list, show,
// change, delete or build on the other's objects, whatever the query (rbac.md §4, §5).

const A = identity('project-a', ['member'], 'alice')
const B = identity('project-b', ['member'], 'bob')
const UNKNOWN = '00000000-0000-4000-8000-000000000000'
const POLICY_REFUSAL = { faultcode: 'Client', faultstring: 'Policy does not allow this request to be performed.', debuginfo: null }

type Json = Record<string, unknown>

interface World {
  api: ApiHarness
  a: Shapes
  b: Shapes
}

async function world(t: TestContext, engine: (typeof ENGINES)[number]): Promise<World> {
  const api = await startApi(t, { engine, sets: ['octavia.identity.engine=headers'] })
  return { api, a: await createShapes(api.app, A, 'same'), b: await createShapes(api.app, B, 'same') }
}

async function call(w: World, headers: Record<string, string>, method: string, url: string, payload?: Json) {
  return w.api.app.inject({ method: method as 'GET', url, headers, ...(payload ? { payload } : {}) })
}

const COLLECTIONS = [
  { collection: 'loadbalancers', id: (s: Shapes) => s.lb },
  { collection: 'listeners', id: (s: Shapes) => s.listener },
  { collection: 'pools', id: (s: Shapes) => s.pool },
  { collection: 'healthmonitors', id: (s: Shapes) => s.healthmonitor },
  { collection: 'l7policies', id: (s: Shapes) => s.l7policy },
] as const

async function listsHideTheOtherProject(w: World): Promise<void> {
  for (const { collection, id } of COLLECTIONS) {
    const mine = id(w.b)
    const theirs = id(w.a)
    for (const query of [
      '', '?name=same', `?id=${theirs}`, '?project_id=project-b', '?tenant_id=project-a', `?loadbalancer_id=${w.a.lb}`,
      `?pool_id=${w.a.pool}`, '?limit=1', '?limit=1&page_reverse=True', '?sort=created_at:desc', '?fields=id&fields=project_id',
      `?marker=${mine}`, '?not-tags=x', '?project_id=project-b&project_id=project-a',
    ]) {
      const res = await call(w, B, 'GET', `${LBAAS}/${collection}${query}`)
      const at = `${collection}${query}`
      // Filters a collection does not have, and a repeated filter, are 400 (spec/api-v2.md §5.4): nothing listed either.
      if (res.statusCode === 400) continue
      assert.equal(res.statusCode, 200, `${at}: ${res.body}`)
      const items = (res.json() as Record<string, Json[]>)[collection]!
      assert.ok(!items.some((item) => item.id === theirs), `${at} shows project A's object`)
      assert.ok(items.every((item) => item.project_id === undefined || item.project_id === 'project-b'), at)
    }
    // Another project asked for by name, or a marker of theirs: refused like an unknown marker.
    assert.deepEqual((await call(w, B, 'GET', `${LBAAS}/${collection}?project_id=project-a`)).json(), POLICY_REFUSAL)
    const marker = await call(w, B, 'GET', `${LBAAS}/${collection}?marker=${theirs}`)
    const unknownMarker = await call(w, B, 'GET', `${LBAAS}/${collection}?marker=${UNKNOWN}`)
    assert.equal(marker.statusCode, 400, marker.body)
    assert.equal(unknownMarker.statusCode, 400)
    const mineOnly = (await call(w, B, 'GET', `${LBAAS}/${collection}`)).json() as Record<string, Json[]>
    assert.deepEqual(mineOnly[collection]!.map((item) => item.id), [mine], collection)
  }
}

async function singleObjectsAreRefused(w: World): Promise<void> {
  const { a, b } = w
  const refused: Array<[string, string, Json?]> = [
    ['GET', `${LBAAS}/loadbalancers/${a.lb}`], ['PUT', `${LBAAS}/loadbalancers/${a.lb}`, { loadbalancer: { name: 'mine' } }],
    ['DELETE', `${LBAAS}/loadbalancers/${a.lb}?cascade=true`], ['GET', `${LBAAS}/loadbalancers/${a.lb}/stats`],
    ['GET', `${LBAAS}/loadbalancers/${a.lb}/status`], ['PUT', `${LBAAS}/loadbalancers/${a.lb}/failover`],
    ['GET', `${LBAAS}/listeners/${a.listener}`], ['PUT', `${LBAAS}/listeners/${a.listener}`, { listener: { name: 'mine' } }],
    ['DELETE', `${LBAAS}/listeners/${a.listener}`], ['GET', `${LBAAS}/listeners/${a.listener}/stats`],
    ['GET', `${LBAAS}/pools/${a.pool}`], ['PUT', `${LBAAS}/pools/${a.pool}`, { pool: { name: 'mine' } }], ['DELETE', `${LBAAS}/pools/${a.pool}`],
    ['GET', `${LBAAS}/pools/${a.pool}/members`], ['GET', `${LBAAS}/pools/${a.pool}/members/${a.member}`],
    ['PUT', `${LBAAS}/pools/${a.pool}/members/${a.member}`, { member: { name: 'mine' } }], ['DELETE', `${LBAAS}/pools/${a.pool}/members/${a.member}`],
    // Their member through my pool's URL: the member exists, so the policy answers first (spec/api-v2.md §11.3).
    ['GET', `${LBAAS}/pools/${b.pool}/members/${a.member}`], ['DELETE', `${LBAAS}/pools/${b.pool}/members/${a.member}`],
    ['GET', `${LBAAS}/healthmonitors/${a.healthmonitor}`], ['PUT', `${LBAAS}/healthmonitors/${a.healthmonitor}`, { healthmonitor: { name: 'mine' } }],
    ['DELETE', `${LBAAS}/healthmonitors/${a.healthmonitor}`],
    ['GET', `${LBAAS}/l7policies/${a.l7policy}`], ['PUT', `${LBAAS}/l7policies/${a.l7policy}`, { l7policy: { name: 'mine' } }],
    ['DELETE', `${LBAAS}/l7policies/${a.l7policy}`], ['GET', `${LBAAS}/l7policies/${a.l7policy}/rules`],
    ['GET', `${LBAAS}/l7policies/${a.l7policy}/rules/${a.l7rule}`], ['GET', `${LBAAS}/l7policies/${b.l7policy}/rules/${a.l7rule}`],
    ['PUT', `${LBAAS}/l7policies/${a.l7policy}/rules/${a.l7rule}`, { rule: { value: '/mine' } }],
    ['DELETE', `${LBAAS}/l7policies/${a.l7policy}/rules/${a.l7rule}`],
    ['POST', `${LBAAS}/l7policies`, { l7policy: { listener_id: a.listener, action: 'REJECT' } }],
    ['POST', `${LBAAS}/l7policies/${a.l7policy}/rules`, { rule: { type: 'PATH', compare_type: 'STARTS_WITH', value: '/x' } }],
    ['GET', `${LBAAS}/quotas/project-a`], ['GET', `${LBAAS}/quotas/project-a/default`], ['GET', `${LBAAS}/quotas?project_id=project-a`],
    // Building on their objects.
    ['POST', `${LBAAS}/listeners`, { listener: { loadbalancer_id: a.lb, protocol: 'HTTP', protocol_port: 81 } }],
    ['POST', `${LBAAS}/pools`, { pool: { loadbalancer_id: a.lb, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } }],
    ['POST', `${LBAAS}/pools`, { pool: { listener_id: a.listener, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } }],
    ['POST', `${LBAAS}/pools`, { pool: { loadbalancer_id: b.lb, listener_id: a.listener, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } }],
    ['POST', `${LBAAS}/pools/${a.pool}/members`, { member: { address: '192.0.2.30', protocol_port: 80 } }],
    ['PUT', `${LBAAS}/pools/${a.pool}/members`, { members: [] }],
    ['PUT', `${LBAAS}/pools/${a.pool}/members?additive_only=true`, { members: [{ address: '192.0.2.30', protocol_port: 80 }] }],
    ['POST', `${LBAAS}/healthmonitors`, { healthmonitor: { pool_id: a.pool, type: 'HTTP', delay: 5, timeout: 3, max_retries: 2 } }],
    ['POST', `${LBAAS}/loadbalancers`, { loadbalancer: { vip_subnet_id: UNKNOWN, project_id: 'project-a' } }],
    ['POST', `${LBAAS}/loadbalancers`, { loadbalancer: { vip_subnet_id: UNKNOWN, tenant_id: 'project-a' } }],
  ]
  for (const [method, url, payload] of refused) {
    const res = await call(w, B, method, url, payload)
    assert.equal(res.statusCode, 403, `${method} ${url}: ${res.body}`)
    assert.deepEqual(res.json(), POLICY_REFUSAL)
  }
  // Their pool as a default or redirect pool of my listener: not found, as an unknown id would be.
  for (const poolId of [a.pool, UNKNOWN]) {
    const redirect = await call(w, B, 'POST', `${LBAAS}/l7policies`, { l7policy: { listener_id: b.listener, action: 'REDIRECT_TO_POOL', redirect_pool_id: poolId } })
    assert.equal(redirect.statusCode, 404, redirect.body)
    assert.equal((redirect.json() as Json).faultstring, `Pool ${poolId} not found.`)
    const moved = await call(w, B, 'PUT', `${LBAAS}/l7policies/${b.l7policy}`, { l7policy: { redirect_pool_id: poolId } })
    assert.equal(moved.statusCode, 404, moved.body)
    const update = await call(w, B, 'PUT', `${LBAAS}/listeners/${b.listener}`, { listener: { default_pool_id: poolId } })
    assert.equal(update.statusCode, 404, update.body)
    assert.equal((update.json() as Json).faultstring, `Pool ${poolId} not found.`)
    const create = await call(w, B, 'POST', `${LBAAS}/listeners`, { listener: { loadbalancer_id: b.lb, protocol: 'HTTP', protocol_port: 82, default_pool_id: poolId } })
    assert.equal(create.statusCode, 404, create.body)
  }
}

// One database per engine; they run side by side.
test('tenant isolation between two projects\' members', { concurrency: true }, async (t) => {
  await Promise.all(ENGINES.map((engine) => t.test(engine, async (t) => {
      const w = await world(t, engine)
      const before = await w.api.counts()
      await listsHideTheOtherProject(w)
      // The single-object checks are SQL by id on every engine alike; the lists' scoping is the engine-specific part.
      if (engine === 'sqlite') await singleObjectsAreRefused(w)
      assert.deepEqual(await w.api.counts(), before, 'a refused call changed rows')
      for (const [who, headers, shapes] of [['A', A, w.a], ['B', B, w.b]] as const) {
        const lb = (await call(w, headers, 'GET', `${LBAAS}/loadbalancers/${shapes.lb}`)).json() as { loadbalancer: Json }
        assert.equal(lb.loadbalancer.provisioning_status, 'ACTIVE', who)
        assert.equal(lb.loadbalancer.name, 'same', who)
      }
      // The other way round, briefly; and an administrator of a third project sees both.
      assert.equal((await call(w, A, 'GET', `${LBAAS}/pools/${w.b.pool}`)).statusCode, 403)
      const seen = (await call(w, A, 'GET', `${LBAAS}/loadbalancers`)).json() as { loadbalancers: Json[] }
      assert.deepEqual(seen.loadbalancers.map((lb) => lb.id), [w.a.lb])
      const admin = identity('admin-project', ['admin'])
      const all = (await call(w, admin, 'GET', `${LBAAS}/loadbalancers?sort=name`)).json() as { loadbalancers: Json[] }
      assert.deepEqual(all.loadbalancers.map((lb) => lb.id).sort(), [w.a.lb, w.b.lb].sort())
      const filtered = (await call(w, admin, 'GET', `${LBAAS}/loadbalancers?project_id=project-b`)).json() as { loadbalancers: Json[] }
      assert.deepEqual(filtered.loadbalancers.map((lb) => lb.id), [w.b.lb])
    })))
})
