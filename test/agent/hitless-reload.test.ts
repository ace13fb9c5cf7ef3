import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Agent, request } from 'node:http'
import { join } from 'node:path'
import { renderHaproxyConfig } from '../../src/amphora/render-haproxy-config.ts'
import { graph, listener, member, pool, SETTINGS } from '../amphora/graph-fixtures.ts'
import { agentWorkDir, controllerClient, freeVip, httpBackend, settledMasterStatus, startTestAgent } from './agent-harness.ts'

const RECONFIGURATIONS = 100

interface Tally {
  ok: number
  failed: string[]
  /** Requests repeated because their reused keep-alive connection was closed before any answer (RFC 9112 §9.3.1). */
  retried: number
}

function getOnce(url: string, agent: Agent | false): Promise<{ status: number; reused: boolean }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, headers: agent === false ? { connection: 'close' } : {} }, (res) => {
      res.resume()
      res.on('end', () => resolve({ status: res.statusCode ?? 0, reused: req.reusedSocket }))
      res.on('error', reject)
    })
    req.on('error', (err: NodeJS.ErrnoException) => reject(Object.assign(err, { reused: req.reusedSocket })))
    req.end()
  })
}

async function load(url: string, keepAlive: boolean, tally: Tally, running: () => boolean): Promise<void> {
  const agent = keepAlive ? new Agent({ keepAlive: true, maxSockets: 1 }) : false
  try {
    while (running()) {
      try {
        const { status } = await getOnce(url, agent)
        if (status === 200) tally.ok++
        else tally.failed.push(`status ${status}`)
      } catch (err) {
        const e = err as NodeJS.ErrnoException & { reused?: boolean }
        // An idle keep-alive connection closed by the old worker while the request was on its
        // way: safe to send again on a new connection, as HTTP clients do.
        if (keepAlive && e.reused) {
          tally.retried++
          const { status } = await getOnce(url, agent).catch((again: Error) => ({ status: -1, again }))
          if (status === 200) tally.ok++
          else tally.failed.push(`retry failed: ${e.code ?? e.message}`)
        } else {
          tally.failed.push(`${keepAlive ? 'keep-alive' : 'new connection'}: ${e.code ?? e.message}`)
        }
      }
    }
  } finally {
    if (agent) agent.destroy()
  }
}

test(`${RECONFIGURATIONS} member updates under continuous load lose no request`, async (t) => {
  const cwd = agentWorkDir(t)
  const agent = await startTestAgent(t, cwd)
  const client = await controllerClient(t, agent)
  const a = await httpBackend(t, '127.0.0.2', 'a')
  const b = await httpBackend(t, '127.0.0.3', 'b')
  const vip = freeVip()
  const web = pool({ members: [member({ ip_address: '127.0.0.2', protocol_port: a.port }), member({ ip_address: '127.0.0.3', protocol_port: b.port })] })
  const lb = graph({ loadbalancer: { vip: { ip_address: vip.address } }, listeners: [listener({ protocol_port: vip.port, default_pool_id: web.id })], pools: [web] })
  const settings = { ...SETTINGS, max_connections: 4000, ping_wrapper: '/bin/true' }
  const amphoraId = 'a0000000-0000-4000-8000-0000000000b1'
  await client.createAmphora(amphoraId, lb.loadbalancer.id)
  await client.configure(amphoraId, renderHaproxyConfig(lb, settings))
  const dir = join(cwd, 'var/agent/amphorae', amphoraId)
  const reloadsBefore = (await settledMasterStatus(dir)).reloads

  const tally: Tally = { ok: 0, failed: [], retried: 0 }
  let running = true
  const url = `http://${vip.address}:${vip.port}/`
  const clients = [false, false, true].map((keepAlive) => load(url, keepAlive, tally, () => running))
  try {
    for (let i = 1; i <= RECONFIGURATIONS; i++) {
      // A member update: the second member's weight changes every time.
      const updated = { ...web, members: [web.members[0]!, { ...web.members[1]!, weight: 1 + (i % 5) }] }
      await client.configure(amphoraId, renderHaproxyConfig({ ...lb, pools: [updated] }, settings))
    }
  } finally {
    running = false
    await Promise.all(clients)
  }
  assert.equal((await settledMasterStatus(dir)).reloads - reloadsBefore, RECONFIGURATIONS)
  assert.deepEqual(tally.failed, [])
  assert.ok(tally.ok > RECONFIGURATIONS, `only ${tally.ok} requests during the reloads`)
  t.diagnostic(`${tally.ok} requests answered, ${tally.retried} keep-alive retries on a closed idle connection`)
})
