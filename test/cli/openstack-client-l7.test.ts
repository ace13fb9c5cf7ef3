import { test } from 'node:test'
import assert from 'node:assert/strict'
import { DEFAULT_SUBNET_ID } from '../../src/config/defaults.ts'
import { openstack, openstackJson } from '../helpers/openstack-client.ts'
import { scratchDir, startOctavia } from '../helpers/run-octavia.ts'

// The real `openstack loadbalancer l7policy` and `l7rule` commands against one `octavia up`.
// Every command runs once (the rules are tested over HTTP); the load balancer,
// listener and pool they need are made over plain HTTP, and `set`/`unset` (which print
// nothing) are read back over HTTP too.

type Json = Record<string, unknown>

test('openstack loadbalancer l7policy and l7rule create/list/show/set/unset/delete against octavia up', async (t) => {
  const service = startOctavia(t, ['--set', 'octavia.api.bind.port=0', '--set', 'octavia.api.metrics.port=0', 'up'], { cwd: scratchDir(t) })
  const port = (await service.waitForLog((l) => l.msg === 'api listening')).port
  const endpoint = `http://127.0.0.1:${String(port)}`
  const cli = (args: string[]) => openstackJson(endpoint, ['loadbalancer', ...args])
  const cliList = (args: string[]) => openstackJson<Json[]>(endpoint, ['loadbalancer', ...args])
  /** A command that prints nothing (set, unset, delete); fails with the client's stderr. */
  const run = async (args: string[]) => {
    const res = await openstack(endpoint, ['loadbalancer', ...args])
    assert.equal(res.code, 0, `openstack loadbalancer ${args.join(' ')}: ${res.stderr}`)
  }
  const api = async (method: string, path: string, body?: object): Promise<Json> => {
    const res = await fetch(`${endpoint}/v2/lbaas/${path}`, {
      method, ...(body ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}),
    })
    assert.ok(res.ok, `${method} ${path}: ${res.status} ${await res.clone().text()}`)
    return (Object.values(await res.json() as Record<string, Json>)[0])!
  }
  /** Polls an object until it is ACTIVE (cheaper than the client's --wait, which sleeps 3 s between looks). */
  const active = async (path: string): Promise<Json> => {
    for (let i = 0; i < 400; i++) {
      const object = await api('GET', path)
      if (object.provisioning_status === 'ACTIVE') return object
      await new Promise((r) => setTimeout(r, 25))
    }
    throw new Error(`${path} never became ACTIVE`)
  }
  const gone = async (path: string) => {
    for (let i = 0; i < 400 && (await fetch(`${endpoint}/v2/lbaas/${path}`)).status !== 404; i++) await new Promise((r) => setTimeout(r, 25))
  }
  const settled = (lbId: string) => active(`loadbalancers/${lbId}`)

  const lbId = String((await api('POST', 'loadbalancers', { loadbalancer: { name: 'lb1', vip_subnet_id: DEFAULT_SUBNET_ID } })).id)
  await settled(lbId)
  const listenerId = String((await api('POST', 'listeners', { listener: { name: 'web', loadbalancer_id: lbId, protocol: 'HTTP', protocol_port: 80 } })).id)
  await settled(lbId)
  const poolId = String((await api('POST', 'pools', { pool: { name: 'static', loadbalancer_id: lbId, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } })).id)
  await settled(lbId)

  // L7 policy: the client resolves the listener and the redirect pool by name.
  const policy = await cli(['l7policy', 'create', '--name', 'to-static', '--description', 'static files', '--action', 'REDIRECT_TO_POOL',
    '--redirect-pool', 'static', '--position', '1', '--tag', 'blue', 'web'])
  const policyId = String(policy.id)
  assert.deepEqual(
    [policy.name, policy.description, policy.action, policy.redirect_pool_id, policy.listener_id, policy.position, policy.provisioning_status, policy.tags],
    ['to-static', 'static files', 'REDIRECT_TO_POOL', poolId, listenerId, 1, 'PENDING_CREATE', 'blue'])
  await active(`l7policies/${policyId}`)
  await run(['l7policy', 'set', '--action', 'REDIRECT_TO_URL', '--redirect-url', 'https://example.com/', '--redirect-http-code', '301',
    '--disable', 'to-static'])
  await active(`l7policies/${policyId}`)
  const [policies, shown] = await Promise.all([cliList(['l7policy', 'list']), cli(['l7policy', 'show', policyId])])
  assert.deepEqual(policies.map((p) => [p.id, p.name, p.action, p.position, p.provisioning_status, p.admin_state_up]),
    [[policyId, 'to-static', 'REDIRECT_TO_URL', 1, 'ACTIVE', false]])
  assert.deepEqual([shown.action, shown.redirect_url, shown.redirect_pool_id, shown.redirect_http_code, shown.admin_state_up, shown.operating_status],
    ['REDIRECT_TO_URL', 'https://example.com/', null, 301, false, 'OFFLINE'])
  await run(['l7policy', 'unset', '--description', '--redirect-http-code', '--all-tag', policyId])
  const policyUnset = await active(`l7policies/${policyId}`)
  assert.deepEqual([policyUnset.description, policyUnset.redirect_http_code, policyUnset.tags, policyUnset.provisioning_status], ['', null, [], 'ACTIVE'])

  // L7 rule. (This client's `l7rule create --wait` reads the rule back with policy and rule ids swapped, which 404s on
  // upstream Octavia too, so the create is awaited over HTTP.)
  const rule = await cli(['l7rule', 'create', '--type', 'HEADER', '--compare-type', 'EQUAL_TO', '--key', 'X-Env', '--value', 'blue', '--invert',
    '--tag', 'r', 'to-static'])
  const ruleId = String(rule.id)
  assert.deepEqual([rule.type, rule.compare_type, rule.key, rule.value, rule.invert, rule.provisioning_status, rule.tags],
    ['HEADER', 'EQUAL_TO', 'X-Env', 'blue', true, 'PENDING_CREATE', 'r'])
  await active(`l7policies/${policyId}/rules/${ruleId}`)
  // A PATH rule uses no key: the update clears it.
  await run(['l7rule', 'set', '--type', 'PATH', '--compare-type', 'STARTS_WITH', '--value', '/static', '--wait', 'to-static', ruleId])
  const [rules, ruleShown] = await Promise.all([cliList(['l7rule', 'list', 'to-static']), cli(['l7rule', 'show', 'to-static', ruleId])])
  assert.deepEqual(rules.map((r) => [r.id, r.type, r.compare_type, r.key, r.value, r.invert, r.provisioning_status]),
    [[ruleId, 'PATH', 'STARTS_WITH', null, '/static', true, 'ACTIVE']])
  assert.deepEqual([ruleShown.type, ruleShown.compare_type, ruleShown.key, ruleShown.value, ruleShown.invert, ruleShown.provisioning_status, ruleShown.tags],
    ['PATH', 'STARTS_WITH', null, '/static', true, 'ACTIVE', 'r'])
  await run(['l7rule', 'unset', '--invert', '--key', '--all-tag', 'to-static', ruleId])
  const ruleUnset = await active(`l7policies/${policyId}/rules/${ruleId}`)
  assert.deepEqual([ruleUnset.invert, ruleUnset.key, ruleUnset.tags, ruleUnset.provisioning_status], [false, null, [], 'ACTIVE'])
  assert.deepEqual((await api('GET', `l7policies/${policyId}`)).rules, [{ id: ruleId }])

  // Deletes, rule first.
  await run(['l7rule', 'delete', 'to-static', ruleId])
  await gone(`l7policies/${policyId}/rules/${ruleId}`)
  await active(`l7policies/${policyId}`)
  await run(['l7policy', 'delete', 'to-static'])
  await gone(`l7policies/${policyId}`)
  await settled(lbId)
  const listener = await api('GET', `listeners/${listenerId}`)
  assert.deepEqual([listener.l7policies, listener.provisioning_status], [[], 'ACTIVE'])
  assert.equal(await service.stop(), 0)
})
