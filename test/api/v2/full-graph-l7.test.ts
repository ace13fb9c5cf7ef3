import { test } from 'node:test'
import assert from 'node:assert/strict'
import { DEFAULT_SUBNET_ID } from '../../../src/config/defaults.ts'
import { startApi, type ApiHarness } from '../../helpers/api-harness.ts'

// Nested L7 policies and rules in the single-call load balancer create (spec/api-v2.md §8.3).

const LBS = '/v2/lbaas/loadbalancers'

type Json = Record<string, unknown>
type GraphPolicy = Json & { rules: Json[] }
type GraphListener = Json & { l7policies: GraphPolicy[] }
type GraphLb = Json & { listeners: GraphListener[]; pools: Json[] }

const V = (detail: string) => `Validation failure: ${detail}`

function post(api: ApiHarness, loadbalancer: Json) {
  return api.app.inject({ method: 'POST', url: LBS, payload: { loadbalancer: { vip_subnet_id: DEFAULT_SUBNET_ID, ...loadbalancer } } })
}

async function get(api: ApiHarness, url: string): Promise<Json> {
  const res = await api.app.inject({ method: 'GET', url })
  assert.equal(res.statusCode, 200, `${url}: ${res.body}`)
  return res.json() as Json
}

function fault(res: { statusCode: number; json(): unknown }): { status: number; faultstring: string } {
  return { status: res.statusCode, faultstring: (res.json() as { faultstring: string }).faultstring }
}

const without = (o: Json, ...keys: string[]) => Object.fromEntries(Object.entries(o).filter(([key]) => !keys.includes(key)))

const path = (value: string): Json => ({ type: 'PATH', compare_type: 'STARTS_WITH', value })

test('listeners carry L7 policies with rules: created in the LB\'s transaction, positions as asked, redirect pools by name, fully rendered', async (t) => {
  const api = await startApi(t)
  const res = await post(api, {
    pools: [{ name: 'static', protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' }],
    listeners: [{
      name: 'web', protocol: 'HTTP', protocol_port: 80,
      default_pool: { name: 'app', protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', members: [{ address: '192.0.2.10', protocol_port: 8080 }] },
      l7policies: [
        { name: 'to-static', action: 'REDIRECT_TO_POOL', redirect_pool: { name: 'static' }, rules: [path('/static')], tags: ['s'] },
        {
          name: 'to-api', action: 'REDIRECT_TO_POOL', position: 1,
          redirect_pool: { name: 'api', protocol: 'HTTP', lb_algorithm: 'LEAST_CONNECTIONS' },
          rules: [path('/api'), { type: 'HEADER', compare_type: 'EQUAL_TO', key: 'X-Api', value: '1', invert: true, tags: ['r'] }],
        },
        { name: 'deny', action: 'REJECT', admin_state_up: false, rules: [{ type: 'PATH', compare_type: 'REGEX', value: '^/admin' }] },
        { action: 'REDIRECT_PREFIX', redirect_prefix: 'https://example.com', position: 99 },
      ],
    }],
  })
  assert.equal(res.statusCode, 201, res.body)
  const lb = (res.json() as { loadbalancer: GraphLb }).loadbalancer
  const lbId = String(lb.id)
  // Definitions in upstream's order: top-level pools, then each listener's default pool and redirect pools.
  const poolIds = Object.fromEntries(lb.pools.map((p) => [p.name, p.id]))
  assert.deepEqual(lb.pools.map((p) => p.name), ['static', 'app', 'api'])
  const [listener] = lb.listeners
  const policies = listener!.l7policies
  assert.deepEqual(policies.map((p) => [p.name, p.position]), [['to-api', 1], ['to-static', 2], ['deny', 3], ['', 4]])
  const [api_, static_, deny, prefix] = policies as [GraphPolicy, GraphPolicy, GraphPolicy, GraphPolicy]
  assert.deepEqual(Object.keys(api_), [
    'id', 'name', 'description', 'provisioning_status', 'operating_status', 'admin_state_up', 'project_id', 'tenant_id', 'action',
    'listener_id', 'redirect_pool_id', 'redirect_url', 'redirect_prefix', 'position', 'rules', 'created_at', 'updated_at', 'tags',
    'redirect_http_code',
  ])
  assert.deepEqual([api_.redirect_pool_id, static_.redirect_pool_id, deny.redirect_pool_id], [poolIds.api, poolIds.static, null])
  assert.deepEqual([api_.listener_id, api_.provisioning_status, api_.operating_status, api_.project_id], [listener!.id, 'PENDING_CREATE', 'OFFLINE', lb.project_id])
  assert.deepEqual([prefix.action, prefix.redirect_prefix, prefix.redirect_http_code, prefix.rules], ['REDIRECT_PREFIX', 'https://example.com', 302, []])
  assert.deepEqual([deny.admin_state_up, static_.tags], [false, ['s']])
  // Rules made in the same millisecond list in id order, so compare them sorted.
  const byType = (rules: Json[]) => [...rules].sort((a, b) => String(a.type).localeCompare(String(b.type)))
  assert.deepEqual(byType(api_.rules).map((r) => [r.type, r.key, r.value, r.invert, r.provisioning_status, r.operating_status, r.tags]), [
    ['HEADER', 'X-Api', '1', true, 'PENDING_CREATE', 'OFFLINE', ['r']],
    ['PATH', null, '/api', false, 'PENDING_CREATE', 'OFFLINE', []],
  ])
  assert.deepEqual(Object.keys(api_.rules[0]!).sort(), [
    'admin_state_up', 'compare_type', 'created_at', 'id', 'invert', 'key', 'operating_status', 'project_id', 'provisioning_status', 'tags',
    'tenant_id', 'type', 'updated_at', 'value',
  ])

  await api.until(`${LBS}/${lbId}`, (b) => (b.loadbalancer as Json).provisioning_status === 'ACTIVE')
  // A GET of each object shows what the 201 did, now ACTIVE.
  for (const policy of policies) {
    const shown = (await get(api, `/v2/lbaas/l7policies/${String(policy.id)}`)).l7policy as Json
    assert.deepEqual(without(shown, 'provisioning_status', 'updated_at', 'rules'), without(policy, 'provisioning_status', 'updated_at', 'rules'))
    assert.deepEqual(shown.rules, policy.rules.map((r) => ({ id: r.id })))
    assert.equal(shown.provisioning_status, 'ACTIVE')
    for (const rule of policy.rules) {
      const shownRule = (await get(api, `/v2/lbaas/l7policies/${String(policy.id)}/rules/${String(rule.id)}`)).rule as Json
      assert.deepEqual(without(shownRule, 'provisioning_status', 'updated_at'), without(rule, 'provisioning_status', 'updated_at'))
      assert.equal(shownRule.provisioning_status, 'ACTIVE')
    }
  }
  assert.deepEqual(((await get(api, `/v2/lbaas/listeners/${String(listener!.id)}`)).listener as Json).l7policies, policies.map((p) => ({ id: p.id })))
  // The status tree: the default pool, then each pool an enabled policy with rules redirects to, by position.
  const tree = (await get(api, `${LBS}/${lbId}/status`)) as { statuses: { loadbalancer: { listeners: Array<{ pools: Json[] }> } } }
  assert.deepEqual(tree.statuses.loadbalancer.listeners[0]!.pools.map((p) => p.name), ['app', 'api', 'static'])
  assert.deepEqual(((await get(api, `/v2/lbaas/pools/${String(poolIds.static)}`)).pool as Json).listeners, [{ id: listener!.id }])

  // A pool a policy redirects to cannot be deleted; the cascade delete takes everything.
  assert.equal((await api.app.inject({ method: 'DELETE', url: `/v2/lbaas/pools/${String(poolIds.api)}` })).statusCode, 409)
  assert.equal((await api.app.inject({ method: 'DELETE', url: `${LBS}/${lbId}?cascade=true` })).statusCode, 204)
  await api.until(`${LBS}/${lbId}`, (_b, status) => status === 404)
  const counts = await api.counts()
  assert.deepEqual([counts.l7policy, counts.l7rule, counts.pool, counts.listener], [0, 0, 0, 0])
})

test('every L7 rule of §13 applies inside the graph, and a failure writes nothing', async (t) => {
  const api = await startApi(t)
  const before = await api.counts()
  const pool = (extra: Json = {}): Json => ({ name: 'p', protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', ...extra })
  const listener = (l7policies: Json[], extra: Json = {}): Json => ({ protocol: 'HTTP', protocol_port: 80, l7policies, ...extra })
  const rules = Array.from({ length: 51 }, (_, i) => path(`/${i}`))
  const cases: Array<[Json, number, string | RegExp]> = [
    [{ listeners: [listener([{ action: 'REDIRECT_TO_POOL', redirect_pool: { name: 'nope' } }])] }, 400,
      V("Pool 'nope' was referenced but no full definition was found.")],
    [{ listeners: [listener([{ action: 'REDIRECT_TO_POOL', redirect_pool: { protocol: 'HTTP' } }])] }, 400,
      V('Pools must be named when creating a fully populated loadbalancer.')],
    [{ pools: [pool()], listeners: [listener([{ action: 'REDIRECT_TO_POOL', redirect_pool: pool() }])] }, 400,
      V('Pool names must be unique when creating a fully populated loadbalancer.')],
    [{ listeners: [listener([{ action: 'REDIRECT_TO_POOL', redirect_pool: { name: 'p', lb_algorithm: 'ROUND_ROBIN' } }])] }, 400,
      V("Pool definition for 'p' missing required attribute: protocol")],
    [{ listeners: [listener([{ action: 'REDIRECT_TO_POOL' }])] }, 400, 'Invalid L7 Policy arguments: redirect_pool_id or redirect_pool must not be None'],
    [{ listeners: [listener([{ action: 'REDIRECT_TO_URL' }])] }, 400, 'Invalid L7 Policy arguments: redirect_url must not be None'],
    [{ listeners: [listener([{ action: 'REDIRECT_PREFIX', redirect_prefix: 'http://a', redirect_pool: pool() }])] }, 400,
      'Invalid L7 Policy arguments: Cannot specify redirect_pool_id and redirect_url or redirect_prefix at the same time'],
    [{ listeners: [listener([{ action: 'REDIRECT_TO_POOL', redirect_pool: pool({ protocol: 'TCP' }) }])] }, 400,
      V("The pool protocol 'TCP' is invalid while the listener protocol is 'HTTP'.")],
    [{ listeners: [listener([{ action: 'REJECT' }], { protocol: 'PROMETHEUS', protocol_port: 9100 })] }, 400,
      'Protocol PROMETHEUS listeners cannot have child objects.'],
    [{ listeners: [listener([{ action: 'REJECT' }], { protocol: 'TCP' })] }, 501,
      "Provider 'amphora' does not support a requested option: TCP protocol listeners do not support L7 policies"],
    [{ listeners: [listener([{ action: 'REJECT', rules: [path('/ok'), { type: 'HEADER', compare_type: 'EQUAL_TO', value: 'x' }] }])] }, 400,
      'Error parsing L7Rule: Invalid L7 Rule: L7 rule type requires a key'],
    [{ listeners: [listener([{ action: 'REJECT', rules: [{ type: 'PATH', compare_type: 'REGEX', value: '(' }] }])] }, 400,
      'Error parsing L7Rule: Unable to parse regular expression: Unterminated group'],
    [{ listeners: [listener([{ action: 'REJECT', rules }])] }, 409, /^Too many rules on L7 policy [0-9a-f-]{36}$/],
    [{ listeners: [listener([{ action: 'REJECT', position: 0 }])] }, 400, "Invalid input for field/attribute position. Value: '0'. Value should be greater or equal to 1"],
  ]
  for (const [body, status, faultstring] of cases) {
    const res = await post(api, body)
    if (faultstring instanceof RegExp) {
      assert.equal(res.statusCode, status, res.body)
      assert.match(fault(res).faultstring, faultstring)
    } else {
      assert.deepEqual(fault(res), { status, faultstring }, JSON.stringify(body).slice(0, 200))
    }
  }
  assert.deepEqual(await api.counts(), before)

  // Fifty rules is the most a policy takes; the graph's rules skip the line check of the standalone create.
  const full = await post(api, { listeners: [listener([{ action: 'REJECT', rules: [...rules.slice(0, 49), { type: 'PATH', compare_type: 'REGEX', value: 'a\nb' }] }])] })
  assert.equal(full.statusCode, 201, full.body)
  assert.equal((full.json() as { loadbalancer: GraphLb }).loadbalancer.listeners[0]!.l7policies[0]!.rules.length, 50)
})
