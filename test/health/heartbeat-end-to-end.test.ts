import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { test, type TestContext } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { systemClock } from '../../src/common/clock.ts'
import { renderHaproxyConfig } from '../../src/amphora/render-haproxy-config.ts'
import { AgentRepository } from '../../src/db/repositories/agent-repository.ts'
import { AmphoraRepository } from '../../src/db/repositories/amphora-repository.ts'
import { ListenerRepository } from '../../src/db/repositories/listener-repository.ts'
import { LoadBalancerRepository } from '../../src/db/repositories/load-balancer-repository.ts'
import { LocalAgentCompute } from '../../src/drivers/compute/local-agent-compute.ts'
import { computeReaper, type AmphoraReaper } from '../../src/health/amphora-reaper.ts'
import { graph, healthMonitor, listener, member, pool, SETTINGS } from '../amphora/graph-fixtures.ts'
import { AGENT_NAME, agentWorkDir, clientCertificate, controllerClient, freeVip, get, httpBackend, startTestAgent } from '../agent/agent-harness.ts'
import { seedListener, seedMember, seedPool } from '../helpers/db-seed.ts'
import { TEST_HEARTBEAT_KEY, operatingStatus, startHealthHarness } from '../helpers/health-harness.ts'
import { withTestDatabase } from '../helpers/test-database.ts'

// The agent's heartbeats (src/agent/heartbeat-sender.ts) from a real haproxy, through the health
// manager into the database: a backend stops → its member ERROR, pool and LB DEGRADED; it comes
// back → ONLINE again; once its load balancer is deleted, the amphora is deleted on its agent
// (§5.2). Waits are generous bounds, not timings (those are in bench/health).

async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 45_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(100)
  }
}

/** An HTTP server on `address:port`, closed after the test or by `close()`. */
async function backendOn(t: TestContext, address: string, port: number): Promise<Server> {
  const server = createServer((req, res) => {
    req.resume()
    res.end('b')
  })
  await new Promise<void>((resolve) => server.listen(port, address, resolve))
  t.after(() => new Promise<void>((resolve) => {
    server.closeAllConnections()
    server.close(() => resolve())
  }))
  return server
}

test('heartbeats from a real haproxy drive member, pool and load balancer statuses and listener statistics; a leftover amphora is reaped', async (t) => {
  const db = await withTestDatabase(t, 'sqlite')
  // The compute driver needs the agent's CA, made when the agent starts: the reaper is set then.
  const late: { reaper?: AmphoraReaper } = {}
  const { hm } = await startHealthHarness(t, db, {
    clock: systemClock, health: { heartbeat_interval: 1 },
    reaper: { deleteInstance: (amphora) => (late.reaper ?? { deleteInstance: async () => { throw new Error('no compute driver yet') } }).deleteInstance(amphora) },
  })

  const up = await httpBackend(t, '127.0.0.2', 'a')
  // The second backend's port: free now, served later.
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.3', resolve))
  const downPort = (probe.address() as AddressInfo).port
  await new Promise<void>((resolve) => probe.close(() => resolve()))

  const vip = freeVip()
  const a = member({ ip_address: '127.0.0.2', protocol_port: up.port })
  const b = member({ ip_address: '127.0.0.3', protocol_port: downPort })
  const p = pool({ members: [a, b], healthmonitor: healthMonitor({ delay: 1, timeout: 1, fall_threshold: 1, rise_threshold: 1 }) })
  const l = listener({ protocol_port: vip.port, default_pool_id: p.id })
  const g = graph({ loadbalancer: { vip: { ip_address: vip.address } }, listeners: [l], pools: [p] })

  // The same objects in the database, everything OFFLINE until heartbeats say otherwise.
  const lb = await new LoadBalancerRepository(db, systemClock).create({
    id: g.loadbalancer.id, project_id: 'project-a', vip: { ip_address: vip.address }, provisioning_status: 'ACTIVE', operating_status: 'OFFLINE',
  })
  await seedPool(db.kysely, lb.id, { id: p.id, operating_status: 'OFFLINE' })
  for (const m of [a, b]) await seedMember(db.kysely, p.id, { id: m.id, ip_address: m.ip_address, protocol_port: m.protocol_port, operating_status: 'OFFLINE' })
  await seedListener(db.kysely, lb.id, { id: l.id, protocol_port: l.protocol_port, default_pool_id: p.id, operating_status: 'OFFLINE' })
  const agentRow = await new AgentRepository(db, systemClock).register({ name: AGENT_NAME, address: '127.0.0.1', port: 1, capacity: 10 })
  const amphorae = new AmphoraRepository(db, systemClock)
  const amphora = await amphorae.create({ load_balancer_id: lb.id, status: 'ALLOCATED', compute_id: agentRow.id })

  // A real agent reporting to this health manager every second.
  const cwd = agentWorkDir(t)
  const agent = await startTestAgent(t, cwd, [
    `octavia.agent.controllers=["127.0.0.1:${hm.receiver.port}"]`, `octavia.health_manager.heartbeat_key=${TEST_HEARTBEAT_KEY}`,
    'octavia.health_manager.heartbeat_interval=1',
  ])
  const client = await controllerClient(t, agent)
  await new AgentRepository(db, systemClock).register({ name: AGENT_NAME, address: '127.0.0.1', port: agent.port, capacity: 10 })
  const compute = new LocalAgentCompute({
    agents: new AgentRepository(db, systemClock), amphorae, tls: await clientCertificate(cwd),
    retries: { max_retries: 1, retry_interval: 0, conn_timeout: 5, read_timeout: 10 },
  })
  t.after(() => compute.close())
  late.reaper = computeReaper(compute)
  await client.createAmphora(amphora.id, lb.id)
  await client.configure(amphora.id, renderHaproxyConfig(g, { ...SETTINGS, max_connections: 4000, ping_wrapper: '/bin/true' }))

  const statuses = async () => ({
    lb: await operatingStatus(db, 'load_balancer', lb.id), listener: await operatingStatus(db, 'listener', l.id),
    pool: await operatingStatus(db, 'pool', p.id), a: await operatingStatus(db, 'member', a.id), b: await operatingStatus(db, 'member', b.id),
  })
  const degraded = { lb: 'DEGRADED', listener: 'ONLINE', pool: 'DEGRADED', a: 'ONLINE', b: 'ERROR' }
  await until('member b ERROR, pool and LB DEGRADED', async () => JSON.stringify(await statuses()) === JSON.stringify(degraded))
  assert.ok(await new AmphoraRepository(db, systemClock).getHealth(amphora.id), 'the heartbeats refresh the amphora health row')

  // Traffic through the VIP shows in the listener statistics.
  assert.equal(await get(`http://${vip.address}:${vip.port}/`), 'a')
  const listeners = new ListenerRepository(db, systemClock)
  await until('listener statistics', async () => (await listeners.statistics(l.id)).total_connections >= 1)
  assert.ok((await listeners.statistics(l.id)).bytes_out > 0)

  await backendOn(t, '127.0.0.3', downPort)
  const online = { lb: 'ONLINE', listener: 'ONLINE', pool: 'ONLINE', a: 'ONLINE', b: 'ONLINE' }
  await until('everything ONLINE again', async () => JSON.stringify(await statuses()) === JSON.stringify(online))
  assert.equal(hm.counters.droppedTotal, 0)

  // The load balancer is deleted behind the amphora's back: its next heartbeat has it deleted on the agent.
  await new LoadBalancerRepository(db, systemClock).markDeleted(lb.id)
  await until('the amphora deleted on its agent', async () => (await client.listAmphorae()).every((x) => x.id !== amphora.id))
  assert.ok(hm.counters.reaped >= 1)
  assert.equal(await agent.service.stop('SIGTERM'), 0)
})
