import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { request } from 'node:https'
import { connect } from 'node:net'
import { join } from 'node:path'
import type { AgentRequestFailed, AgentClient } from '../../src/amphora/agent-client.ts'
import { haproxyCommand } from '../../src/agent/haproxy-cli.ts'
import { renderHaproxyConfig } from '../../src/amphora/render-haproxy-config.ts'
import { LocalCertificateAuthority } from '../../src/drivers/certificates/local-certificate-authority.ts'
import { systemClock } from '../../src/common/clock.ts'
import { graph, healthMonitor, listener, member, pool, SETTINGS } from '../amphora/graph-fixtures.ts'
import { scratchDir } from '../helpers/run-octavia.ts'
import {
  agentWorkDir, clientCertificate, controllerClient, echoBackend, freeVip, get, httpBackend, startTestAgent, AGENT_NAME,
} from './agent-harness.ts'
import { until } from '../helpers/wait.ts'

/** How long and how often the waits below probe. */
const WAIT = { timeoutMs: 10_000, ignoreErrors: true }

const SETTINGS_HERE = { ...SETTINGS, max_connections: 4000, ping_wrapper: '/bin/true' }

function tcpRoundTrip(address: string, port: number, payload: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, address)
    const chunks: Buffer[] = []
    let received = 0
    socket.on('data', (chunk) => {
      chunks.push(chunk)
      received += chunk.length
      if (received >= payload.length) socket.end()
    })
    socket.on('end', () => resolve(Buffer.concat(chunks)))
    socket.on('error', reject)
    socket.write(payload)
  })
}

test('an amphora serves HTTP round robin and TCP bytes intact, survives haproxy and agent crashes, and is deleted', async (t) => {
  const cwd = agentWorkDir(t)
  const agent = await startTestAgent(t, cwd)
  const client: AgentClient = await controllerClient(t, agent)

  const details = await client.details()
  assert.equal(details.name, AGENT_NAME)
  assert.equal(details.capacity, 100)
  assert.match(details.haproxy_version, /^2\.\d/)
  assert.equal(await client.apiVersion(), '1.0')

  const a = await httpBackend(t, '127.0.0.2', 'a')
  const b = await httpBackend(t, '127.0.0.3', 'b')
  const echo = await echoBackend(t, '127.0.0.4')
  const vip = freeVip()
  const web = pool({
    members: [member({ ip_address: '127.0.0.2', protocol_port: a.port }), member({ ip_address: '127.0.0.3', protocol_port: b.port })],
    healthmonitor: healthMonitor({ type: 'HTTP', delay: 1, timeout: 1, expected_codes: '200-204' }),
  })
  const bytes = pool({ protocol: 'TCP', members: [member({ ip_address: '127.0.0.4', protocol_port: echo })] })
  const lb = graph({
    loadbalancer: { vip: { ip_address: vip.address } },
    listeners: [
      listener({ protocol: 'HTTP', protocol_port: vip.port, default_pool_id: web.id }),
      listener({ protocol: 'TCP', protocol_port: vip.port + 1, default_pool_id: bytes.id }),
    ],
    pools: [web, bytes],
  })
  const amphoraId = 'a0000000-0000-4000-8000-0000000000a1'
  const created = await client.createAmphora(amphoraId, lb.loadbalancer.id)
  assert.equal(created.running, false)
  // Creating again for the same load balancer is a no-op.
  assert.equal((await client.createAmphora(amphoraId, lb.loadbalancer.id)).id, amphoraId)

  // A configuration HAProxy refuses is answered 400 with HAProxy's words, and nothing starts.
  await assert.rejects(client.uploadConfig(amphoraId, 'frontend broken\n    bind nowhere\n'), (err: AgentRequestFailed) =>
    err.status === 400 && /ALERT/.test(err.details ?? ''))
  await assert.rejects(client.start(amphoraId), (err: AgentRequestFailed) => err.status === 400)

  const first = await client.configure(amphoraId, renderHaproxyConfig(lb, SETTINGS_HERE))
  assert.equal(first.running, true)
  assert.ok(first.pid !== null)
  // The HTTP monitor's checks pass on both members (stats socket: srv_check_result 3 = passed).
  const statsSocket = join(cwd, 'var/agent/amphorae', amphoraId, 'stats.sock')
  await until('both members checked healthy', async () => {
    const rows = (await haproxyCommand(statsSocket, 'show servers state')).split('\n').map((l) => l.split(' ')).filter((r) => r.length > 12)
    const web = rows.filter((r) => r[1]!.startsWith(lb.pools[0]!.id))
    return web.length === 2 && web.every((r) => r[5] === '2' && r[11] === '3') ? true : null
  }, WAIT)
  const url = `http://${vip.address}:${vip.port}/`
  const answers = []
  for (let i = 0; i < 6; i++) answers.push(await get(url))
  assert.deepEqual(new Set(answers), new Set(['a', 'b']))
  for (let i = 1; i < answers.length; i++) assert.notEqual(answers[i], answers[i - 1], `round robin: ${answers.join('')}`)

  const payload = randomBytes(512 * 1024)
  assert.ok((await tcpRoundTrip(vip.address, vip.port + 1, payload)).equals(payload))

  // Tenant connection logs arrive in the load balancer's log file.
  const logFile = join(cwd, 'var/agent/amphorae', amphoraId, 'logs', `${lb.loadbalancer.id}.log`)
  const logged = await until('tenant log lines', () => {
    const text = readFileSync(logFile, 'utf8')
    return text.includes('"GET / HTTP/1.1" 200') ? text : null
  }, WAIT)
  assert.match(logged, new RegExp(`project-a ${lb.loadbalancer.id} ${lb.listeners[0]!.id} 127\\.0\\.0\\.1 `))

  // A haproxy killed behind the agent's back is started again at once.
  process.kill(first.pid!, 'SIGKILL')
  const restarted = await until('a restarted haproxy', async () => {
    const now = await client.getAmphora(amphoraId)
    return now.running && now.pid !== first.pid ? now : null
  }, WAIT)
  assert.equal(restarted.restarts, 1)
  assert.ok(['a', 'b'].includes(await until('the VIP answering again', () => get(url), WAIT)))
  const metrics = await (await fetch(agent.metricsUrl)).text()
  assert.match(metrics, /^octavia_agent_amphorae\{state="running",service="octavia-agent"\} 1$/m)
  assert.match(metrics, /^octavia_agent_haproxy_restarts\{service="octavia-agent"\} 1$/m)

  // kill -9 of the agent: the VIP keeps serving; a new agent adopts the same haproxy.
  await agent.service.stop('SIGKILL')
  for (let i = 0; i < 4; i++) assert.ok(['a', 'b'].includes(await get(url)))
  const again = await startTestAgent(t, cwd)
  const client2 = await controllerClient(t, again)
  const adopted = await client2.getAmphora(amphoraId)
  assert.equal(adopted.pid, restarted.pid)
  assert.equal(adopted.running, true)
  assert.ok(['a', 'b'].includes(await get(url)))

  await client2.deleteAmphora(amphoraId)
  await client2.deleteAmphora(amphoraId)
  assert.deepEqual(await client2.listAmphorae(), [])
  assert.equal(existsSync(join(cwd, 'var/agent/amphorae', amphoraId)), false)
  await assert.rejects(get(url))
  await assert.rejects(client2.getAmphora(amphoraId), (err: AgentRequestFailed) => err.status === 404)
})

test('the agent refuses clients without a certificate signed by its CA', async (t) => {
  const cwd = agentWorkDir(t)
  const agent = await startTestAgent(t, cwd)
  const good = await clientCertificate(cwd)
  const strangerCa = await LocalCertificateAuthority.open({
    dir: join(scratchDir(t), 'certs'), ca_certificate: null, ca_private_key: null, ca_private_key_passphrase: null,
    signing_digest: 'sha256', cert_validity_time: 3600, clock: systemClock,
  })
  const stranger = await strangerCa.issueClientCertificate({ common_name: 'octavia-controller' })

  const call = (tls: { key?: string; cert?: string }) => new Promise<number>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: agent.port, path: '/1.0/info', ca: good.ca, servername: AGENT_NAME, ...tls }, (res) => {
      res.resume()
      resolve(res.statusCode ?? 0)
    })
    req.on('error', reject)
    req.end()
  })
  assert.equal(await call({ key: good.key, cert: good.cert }), 200)
  await assert.rejects(call({}))
  await assert.rejects(call({ key: stranger.private_key, cert: stranger.certificate }))
  // And the controller checks the agent: a server CA that did not sign it fails the handshake.
  const wrongCa = { key: good.key, cert: good.cert, ca: strangerCa.ca_certificate }
  const client = await controllerClient(t, agent, wrongCa)
  await assert.rejects(client.info())
})
