import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { AgentRequestFailed } from '../../src/amphora/agent-client.ts'
import { renderHaproxyConfig } from '../../src/amphora/render-haproxy-config.ts'
import { graph, listener, member, pool, SETTINGS } from '../amphora/graph-fixtures.ts'
import { agentWorkDir, controllerClient, freeVip, get, httpBackend, settledMasterStatus, startTestAgent } from './agent-harness.ts'

const BROKEN = 'frontend broken\n    bind nowhere\n'

test('configure (upload and reload in one request): a refused configuration is 400 with haproxy\'s words, leaving what ran, or nothing, as it was', async (t) => {
  const cwd = agentWorkDir(t)
  const agent = await startTestAgent(t, cwd)
  const client = await controllerClient(t, agent)
  const a = await httpBackend(t, '127.0.0.2', 'a')
  const b = await httpBackend(t, '127.0.0.3', 'b')
  const vip = freeVip()
  const web = pool({ members: [member({ ip_address: '127.0.0.2', protocol_port: a.port })] })
  const lb = graph({ loadbalancer: { vip: { ip_address: vip.address } }, listeners: [listener({ protocol_port: vip.port, default_pool_id: web.id })], pools: [web] })
  const settings = { ...SETTINGS, max_connections: 4000, ping_wrapper: '/bin/true' }
  const amphoraId = 'a0000000-0000-4000-8000-0000000000c1'
  const dir = join(cwd, 'var/agent/amphorae', amphoraId)
  await client.createAmphora(amphoraId, lb.loadbalancer.id)

  // Not running yet: the start is the check; refused, nothing runs and no configuration is kept.
  await assert.rejects(client.configure(amphoraId, BROKEN), (err: AgentRequestFailed) => err.status === 400 && /ALERT/.test(err.details ?? ''))
  let view = await client.getAmphora(amphoraId)
  assert.deepEqual([view.running, view.desired, view.config_etag], [false, 'stopped', null])
  assert.equal(readFileSync(join(dir, 'haproxy.cfg.new-failed'), 'utf8'), BROKEN)
  assert.equal(existsSync(join(dir, 'haproxy.cfg')), false)

  const first = await client.configure(amphoraId, renderHaproxyConfig(lb, settings))
  assert.equal(first.running, true)
  assert.equal(await get(`http://${vip.address}:${vip.port}/`), 'a')
  const reloads = (await settledMasterStatus(dir)).reloads

  // Running: refused before any reload; the same haproxy serves on with its configuration.
  await assert.rejects(client.configure(amphoraId, BROKEN), (err: AgentRequestFailed) => err.status === 400 && /ALERT/.test(err.details ?? ''))
  view = await client.getAmphora(amphoraId)
  assert.deepEqual([view.running, view.pid, view.config_etag], [true, first.pid, first.config_etag])
  assert.equal((await settledMasterStatus(dir)).reloads, reloads)
  assert.equal(await get(`http://${vip.address}:${vip.port}/`), 'a')

  // A good one reloads the same master.
  const other = { ...web, members: [member({ ip_address: '127.0.0.3', protocol_port: b.port })] }
  const second = await client.configure(amphoraId, renderHaproxyConfig({ ...lb, pools: [other] }, settings))
  assert.equal(second.pid, first.pid)
  assert.notEqual(second.config_etag, first.config_etag)
  assert.equal((await settledMasterStatus(dir)).reloads, reloads + 1)
  assert.equal(await get(`http://${vip.address}:${vip.port}/`), 'b')
})
