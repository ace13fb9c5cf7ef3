import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { AgentRequestFailed } from '../../src/amphora/agent-client.ts'
import { renderHaproxyConfig, renderSpareConfig } from '../../src/amphora/render-haproxy-config.ts'
import { graph, listener, member, pool, SETTINGS } from '../amphora/graph-fixtures.ts'
import { agentWorkDir, controllerClient, freeVip, get, httpBackend, startTestAgent } from './agent-harness.ts'

// docs/agent-api.md, "Spares": an amphora created without a load balancer runs haproxy on the
// configuration of nothing; naming a load balancer later gives it that one, once and for all.

const SETTINGS_HERE = { ...SETTINGS, max_connections: 4000, ping_wrapper: '/bin/true' }

async function refusal(promise: Promise<unknown>): Promise<number> {
  try {
    await promise
  } catch (err) {
    if (err instanceof AgentRequestFailed) return err.status
    throw err
  }
  throw new Error('the agent accepted it')
}

test('a spare amphora runs haproxy with no load balancer, is given one without a restart, and is never moved to another', async (t) => {
  const cwd = agentWorkDir(t)
  const agent = await startTestAgent(t, cwd)
  const client = await controllerClient(t, agent)
  const id = 'a0000000-0000-4000-8000-00000000005a'

  const created = await client.createAmphora(id, null)
  assert.deepEqual([created.load_balancer_id, created.running], [null, false])
  const spare = await client.configure(id, renderSpareConfig(id, SETTINGS_HERE))
  assert.ok(spare.running && spare.pid !== null)
  // Asking again for no load balancer is a no-op.
  assert.equal((await client.createAmphora(id, null)).load_balancer_id, null)

  const backend = await httpBackend(t, '127.0.0.2', 'a')
  const vip = freeVip()
  const web = pool({ members: [member({ ip_address: '127.0.0.2', protocol_port: backend.port })] })
  const lb = graph({ loadbalancer: { vip: { ip_address: vip.address } }, listeners: [listener({ protocol_port: vip.port, default_pool_id: web.id })], pools: [web] })

  const given = await client.createAmphora(id, lb.loadbalancer.id)
  assert.deepEqual([given.load_balancer_id, given.pid], [lb.loadbalancer.id, spare.pid])
  const record = JSON.parse(readFileSync(join(cwd, 'var/agent/amphorae', id, 'amphora.json'), 'utf8')) as { load_balancer_id: string }
  assert.equal(record.load_balancer_id, lb.loadbalancer.id)
  // Again for the same load balancer: a no-op; another one, or none: 409.
  assert.equal((await client.createAmphora(id, lb.loadbalancer.id)).load_balancer_id, lb.loadbalancer.id)
  assert.equal(await refusal(client.createAmphora(id, 'another-load-balancer')), 409)
  assert.equal(await refusal(client.createAmphora(id, null)), 409)

  const serving = await client.configure(id, renderHaproxyConfig(lb, SETTINGS_HERE))
  assert.equal(serving.pid, spare.pid, 'a reload of the same master')
  assert.equal(await get(`http://${vip.address}:${vip.port}/`), 'a')
  await client.deleteAmphora(id)
})
