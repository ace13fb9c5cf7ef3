import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createSocket } from 'node:dgram'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { get, httpBackend, stopAmphorae } from '../agent/agent-harness.ts'
import { startUpWithDataPlane } from '../helpers/data-plane-up.ts'
import { runOctavia, startOctavia } from '../helpers/run-octavia.ts'
import { until } from '../helpers/wait.ts'

/** How long and how often the waits below probe. */
const WAIT = { timeoutMs: 60_000, ignoreErrors: true }

async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4')
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve))
  const { port } = socket.address()
  await new Promise<void>((resolve) => socket.close(() => resolve()))
  return port
}

interface AmphoraView { id: string; status: string; compute_id: string; ha_ip: string }

test('a lost host (its agent and its haproxy killed together) is failed over: the load balancer is rebuilt on the other agent and serves its VIP again', async (t) => {
  const hmPort = await freeUdpPort()
  const timing = [
    'octavia.health_manager.heartbeat_interval=1', 'octavia.health_manager.heartbeat_timeout=3', 'octavia.health_manager.health_check_interval=1',
  ]
  // The in-process agent of `octavia up` is disabled: the load balancer goes to host b or c.
  const up = await startUpWithDataPlane(t, { sets: [`octavia.health_manager.bind_port=${hmPort}`, 'octavia.agent.name=local', ...timing] })
  const pillar = join(up.cwd, 'pillar.yaml')
  const cli = (args: string[]) => runOctavia(['--config', pillar, ...args], { cwd: up.cwd })
  assert.equal((await cli(['host', 'disable', 'local'])).code, 0)

  // Hosts b and c: separate `octavia agent` processes in the same directory (the same local CA).
  const hosts = new Map<string, { pid: number; stateDir: string; stop: () => Promise<unknown> }>()
  for (const name of ['b', 'c']) {
    const stateDir = `var/agent-${name}`
    const agent = startOctavia(t, ['--config', pillar, ...[
      `octavia.agent.name=${name}`, 'octavia.agent.bind.port=0', 'octavia.agent.metrics.enabled=false', `octavia.agent.state_dir=${stateDir}`,
      `octavia.agent.controllers=["127.0.0.1:${hmPort}"]`, ...timing,
    ].flatMap((s) => ['--set', s]), 'agent'], { cwd: up.cwd })
    // Before `up`'s clean-up removes the directory: this agent, then the haproxy it runs.
    up.beforeCleanup(async () => {
      if (agent.child.exitCode === null && agent.child.signalCode === null) await agent.stop('SIGKILL')
      await stopAmphorae(up.cwd, stateDir)
    })
    const listening = await agent.waitForLog((l) => l.msg === 'agent listening')
    const registered = await cli(['host', 'register', name, `127.0.0.1:${String(listening.port)}`, '--capacity', '10'])
    assert.equal(registered.code, 0, registered.stderr)
    hosts.set(name, { pid: agent.child.pid!, stateDir: join(up.cwd, stateDir), stop: () => agent.stop('SIGKILL') })
  }
  const listed = JSON.parse((await cli(['host', 'list', '-f', 'json'])).stdout) as Array<{ id: string; name: string; enabled: boolean }>
  assert.deepEqual(listed.map((h) => [h.name, h.enabled]), [['b', true], ['c', true], ['local', false]])
  const hostId = (name: string) => listed.find((h) => h.name === name)!.id

  const backend = await httpBackend(t, '127.0.0.2', 'backend')
  const base = `${up.endpoint}/v2/lbaas`
  const created = await fetch(`${base}/loadbalancers`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      loadbalancer: {
        name: 'web', vip_subnet_id: up.subnet.id,
        listeners: [{
          protocol: 'HTTP', protocol_port: 8080,
          default_pool: { name: 'pool', protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', members: [{ address: '127.0.0.2', protocol_port: backend.port }] },
        }],
      },
    }),
  })
  assert.equal(created.status, 201, await created.clone().text())
  const { loadbalancer } = await created.json() as { loadbalancer: { id: string; vip_address: string } }
  const lbStatus = async () => ((await (await fetch(`${base}/loadbalancers/${loadbalancer.id}`)).json()) as {
    loadbalancer: { provisioning_status: string }
  }).loadbalancer.provisioning_status
  await until('the load balancer ACTIVE', async () => ((await lbStatus()) === 'ACTIVE' ? true : undefined), WAIT)
  const url = `http://${loadbalancer.vip_address}:8080/`
  assert.equal(await get(url), 'backend')
  const amphorae = async (): Promise<AmphoraView[]> => ((await (await fetch(`${up.endpoint}/v2/octavia/amphorae?loadbalancer_id=${loadbalancer.id}`))
    .json()) as { amphorae: AmphoraView[] }).amphorae
  const [first] = await amphorae()
  assert.ok(first)
  const lost = first.compute_id === hostId('b') ? 'b' : 'c'
  const survivor = lost === 'b' ? 'c' : 'b'
  assert.equal(first.compute_id, hostId(lost))

  // The health manager watches an amphora from its first heartbeat that matches the database
  // (its health row): the listener ONLINE says one has been applied.
  await until('a heartbeat applied', async () => {
    const tree = await (await fetch(`${base}/loadbalancers/${loadbalancer.id}/status`)).json() as {
      statuses: { loadbalancer: { listeners: Array<{ operating_status: string }> } }
    }
    return tree.statuses.loadbalancer.listeners[0]?.operating_status === 'ONLINE' ? true : undefined
  }, WAIT)

  // The host dies: its agent and its haproxy at once.
  const dead = hosts.get(lost)!
  const haproxyPid = Number(readFileSync(join(dead.stateDir, 'amphorae', first.id, 'haproxy.pid'), 'utf8').trim())
  await dead.stop()
  process.kill(haproxyPid, 'SIGKILL')
  await assert.rejects(get(url))

  // Detected after heartbeat_timeout, rebuilt on the survivor with the same VIP.
  const replacement = await until('a replacement amphora on the other host', async () => {
    const now = await amphorae()
    return now.length === 1 && now[0]!.id !== first.id && now[0]!.status === 'ALLOCATED' ? now[0] : undefined
  }, WAIT)
  assert.equal(replacement.compute_id, hostId(survivor))
  assert.equal(replacement.ha_ip, loadbalancer.vip_address)
  await until('the load balancer ACTIVE again', async () => ((await lbStatus()) === 'ACTIVE' ? true : undefined), WAIT)
  assert.equal(await until('the VIP serving again', () => get(url), WAIT), 'backend')
  // The old amphora is DELETED, which the amphora API shows as gone.
  assert.equal((await fetch(`${up.endpoint}/v2/octavia/amphorae/${first.id}`)).status, 404)
  const jobs = JSON.parse((await cli(['job', 'list', '--kind', 'amphora.failover', '-f', 'json'])).stdout) as Array<{ state: string; target_id: string }>
  assert.deepEqual(jobs.map((j) => [j.target_id, j.state]), [[first.id, 'succeeded']])
})
