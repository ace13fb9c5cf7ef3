import { test } from 'node:test'
import assert from 'node:assert/strict'
import { DEFAULT_SUBNET_ID } from '../../../src/config/defaults.ts'
import { startApi } from '../../helpers/api-harness.ts'

// A seeded random-input test: thousands of malformed or hostile requests, none of which may
// get a 5xx or change the database. The seed is fixed so a failure replays exactly.

function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const REQUESTS = 5000

test(`${REQUESTS} malformed requests: never a 5xx, never a change`, async (t) => {
  const api = await startApi(t)
  const created = await api.app.inject({ method: 'POST', url: '/v2/lbaas/loadbalancers', payload: { loadbalancer: { vip_subnet_id: DEFAULT_SUBNET_ID, name: 'target' } } })
  const lbId = (created.json() as { loadbalancer: { id: string } }).loadbalancer.id
  const settled = () => api.until(`/v2/lbaas/loadbalancers/${lbId}`, (b) => (b.loadbalancer as { provisioning_status: string }).provisioning_status === 'ACTIVE')
  await settled()
  // A listener with an L7 policy and rule, so policy and rule paths reach real objects too.
  const made = async (url: string, payload: object) => {
    const res = await api.app.inject({ method: 'POST', url, payload })
    assert.equal(res.statusCode, 201, res.body)
    await settled()
    return (Object.values(res.json() as Record<string, { id: string }>)[0]!).id
  }
  const listenerId = await made('/v2/lbaas/listeners', { listener: { loadbalancer_id: lbId, protocol: 'HTTP', protocol_port: 80 } })
  const policyId = await made('/v2/lbaas/l7policies', { l7policy: { listener_id: listenerId, action: 'REJECT' } })
  const ruleId = await made(`/v2/lbaas/l7policies/${policyId}/rules`, { rule: { type: 'PATH', compare_type: 'STARTS_WITH', value: '/' } })
  const before = await api.counts()
  const snapshot = (await api.app.inject({ method: 'GET', url: `/v2/lbaas/loadbalancers/${lbId}` })).body
  const policySnapshot = (await api.app.inject({ method: 'GET', url: `/v2/lbaas/l7policies/${policyId}` })).body

  const random = prng(20261129)
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!
  const junkString = () => pick(['', ' ', 'x'.repeat(300), 'é\u0000\uffff', '../../etc/passwd', "'; drop table load_balancer; --", '%00', '{{7*7}}', 'a'.repeat(5000), '127.0.0.1', '::1', 'null', 'true', '-1', '1e309'])
  const junkValue = (): unknown => pick([
    null, true, false, 0, -1, 1.5, 2 ** 53, -(2 ** 63), 1e308, junkString(), [], [junkString()], { '': 1 }, { x: junkString() },
    [[[[[]]]]], 'not-a-uuid', 'A2C8E0BB00004000800000000000000Z', '{a2c8e0bb-0000-4000-8000-000000000001}',
  ])
  const ids = [lbId, listenerId, policyId, ruleId, 'a2c8e0bb-0000-4000-8000-000000000001', 'not-an-id', '%20', 'x'.repeat(300), '..', '%2e%2e']
  const collections = ['loadbalancers', 'listeners', 'pools', 'healthmonitors', 'l7policies']
  const fields = ['name', 'description', 'admin_state_up', 'vip_subnet_id', 'vip_address', 'vip_port_id', 'vip_network_id',
    'protocol', 'protocol_port', 'loadbalancer_id', 'lb_algorithm', 'tags', 'provider', 'flavor_id', 'listeners', 'pools',
    'project_id', 'id', 'provisioning_status', 'operating_status', 'address', 'weight', 'delay', 'type', 'additional_vips',
    'listener_id', 'action', 'position', 'redirect_pool_id', 'redirect_url', 'redirect_prefix', 'redirect_http_code', 'rules',
    'compare_type', 'key', 'value', 'invert']
  const envelopes = ['loadbalancer', 'listener', 'pool', 'healthmonitor', 'member', 'members', 'l7policy', 'rule', 'bogus']

  const body = (): { payload?: string; contentType?: string } => {
    switch (Math.floor(random() * 7)) {
      case 0: return { payload: pick(['{', '}', '[', '{"loadbalancer": }', 'nul', '\u0000', '{"a":1,}', '"\\ud800"']), contentType: 'application/json' }
      case 1: return { payload: JSON.stringify({ [pick(envelopes)]: junkValue() }), contentType: 'application/json' }
      case 2: {
        // An envelope with wrong-typed or unknown attributes: always at least one bad field.
        const inner: Record<string, unknown> = { [pick(fields)]: junkValue(), [`unknown_${Math.floor(random() * 99)}`]: junkValue() }
        return { payload: JSON.stringify({ [pick(envelopes)]: inner }), contentType: 'application/json' }
      }
      case 3: return { payload: JSON.stringify(junkValue()), contentType: pick(['text/plain', 'application/xml', 'multipart/form-data', '']) }
      case 4: return { payload: JSON.stringify({ loadbalancer: { vip_subnet_id: DEFAULT_SUBNET_ID, name: junkString(), operating_status: 'ONLINE' } }), contentType: 'application/json' }
      case 5: return { payload: 'x'.repeat(120_000), contentType: 'application/json' }
      default: return {}
    }
  }
  const query = () => pick(['', '?limit=x', '?limit=-1', '?marker=zzz', '?sort=name:up', '?sort=a:b:c', '?fields=', '?tags=,,', '?page_reverse=True&marker=nope',
    `?name=${encodeURIComponent(junkString())}`, '?admin_state_up=maybe', '?%zz=1', '?limit=99999999999999999999', '?sort_key=vip_address&sort_dir=sideways'])

  const failures: string[] = []
  for (let i = 0; i < REQUESTS; i++) {
    const method = pick(['GET', 'POST', 'PUT', 'DELETE', 'PATCH'] as const)
    const collection = pick(collections)
    const url = pick([
      `/v2/lbaas/${collection}${query()}`,
      `/v2/lbaas/${collection}/${pick(ids)}${query()}`,
      `/v2.0/${collection}/${pick(ids)}/${pick(['stats', 'status', 'failover', 'members', 'nope'])}`,
      `/v2/lbaas/pools/${pick(ids)}/members/${pick(ids)}`,
      `/v2/lbaas/l7policies/${pick(ids)}/rules${pick(['', `/${pick(ids)}`])}${query()}`,
      `/v2/lbaas/loadbalancers/${lbId}${pick(['', '?cascade=maybe'])}`,
    ])
    const { payload, contentType } = body()
    // A PUT or POST with no body is valid for failover; keep every request malformed otherwise.
    if (url.includes('/failover') || (method === 'DELETE' && [lbId, listenerId, policyId, ruleId].some((id) => url.includes(id)))) continue
    const res = await api.app.inject({ method, url, ...(payload === undefined ? {} : { payload }), headers: contentType ? { 'content-type': contentType } : {} })
    if (res.statusCode >= 500) failures.push(`${method} ${url} ${payload?.slice(0, 80) ?? ''} → ${res.statusCode} ${res.body.slice(0, 200)}`)
  }
  assert.deepEqual(failures, [])
  assert.deepEqual(await api.counts(), before, 'no request changed the database')
  assert.equal((await api.app.inject({ method: 'GET', url: `/v2/lbaas/loadbalancers/${lbId}` })).body, snapshot)
  assert.equal((await api.app.inject({ method: 'GET', url: `/v2/lbaas/l7policies/${policyId}` })).body, policySnapshot)
})
