import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { createServer as createHttpServer, get as httpGet, type Server } from 'node:http'
import { createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { connect as tlsConnect, type PeerCertificate } from 'node:tls'
import { setTimeout as sleep } from 'node:timers/promises'
import { masterStatus, type MasterStatus } from '../../src/agent/haproxy-process.ts'
import { AgentClient } from '../../src/amphora/agent-client.ts'
import { LocalCertificateAuthority } from '../../src/drivers/certificates/local-certificate-authority.ts'
import { systemClock } from '../../src/common/clock.ts'
import { startOctavia, type RunningService } from '../helpers/run-octavia.ts'
import { isAlive } from '../helpers/wait.ts'

export const AGENT_NAME = 'agent-test'

export interface TestAgent {
  cwd: string
  service: RunningService
  port: number
  metricsUrl: string
}

/** Starts `octavia agent` on a free port in `cwd` (a scratch directory by default), with more `--set` options if given. */
export async function startTestAgent(t: TestContext, cwd = agentWorkDir(t), settings: string[] = []): Promise<TestAgent> {
  const service = startOctavia(t, [
    '--set', 'octavia.agent.bind.port=0', '--set', 'octavia.agent.metrics.port=0', '--set', `octavia.agent.name=${AGENT_NAME}`,
    ...settings.flatMap((setting) => ['--set', setting]), 'agent',
  ], { cwd })
  const started = agentsIn.get(cwd) ?? []
  agentsIn.set(cwd, [...started, service])
  const line = await service.waitForLog((l) => l.msg === 'agent listening')
  const metrics = await service.waitForLog((l) => l.msg === 'metrics listening')
  return { cwd, service, port: line.port as number, metricsUrl: metrics.url as string }
}

/** A controller-side client with a certificate from the CA the agent generated under cwd/var/certs. */
export async function controllerClient(t: TestContext, agent: TestAgent, tls?: { key: string; cert: string; ca: string }): Promise<AgentClient> {
  const material = tls ?? await clientCertificate(agent.cwd)
  const client = new AgentClient({
    address: '127.0.0.1', port: agent.port, name: AGENT_NAME, tls: material,
    max_retries: 1, retry_interval: 0, conn_timeout: 10, read_timeout: 30,
  })
  t.after(() => client.close())
  return client
}

/** The agent's CA under cwd/var/certs (the one `octavia agent` generated there). */
export function agentCa(cwd: string, cert_validity_time = 3600): Promise<LocalCertificateAuthority> {
  return LocalCertificateAuthority.open({
    dir: join(cwd, 'var/certs'), ca_certificate: null, ca_private_key: null, ca_private_key_passphrase: null,
    signing_digest: 'sha256', cert_validity_time, clock: systemClock,
  })
}

/**
 * The certificate a TLS server at 127.0.0.1:`port` presents to a new connection (no session
 * resumed), checked against `tls.ca` and `name`.
 */
export function presentedCertificate(port: number, name: string, tls: { key: string; cert: string; ca: string }): Promise<PeerCertificate> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, servername: name, ...tls }, () => {
      const peer = socket.getPeerCertificate()
      socket.end()
      resolve(peer)
    })
    socket.on('error', reject)
  })
}

export async function clientCertificate(cwd: string): Promise<{ key: string; cert: string; ca: string }> {
  const ca = await agentCa(cwd)
  const issued = await ca.issueClientCertificate({ common_name: 'octavia-controller' })
  return { key: issued.private_key, cert: issued.certificate, ca: ca.ca_certificate }
}

/** The agents startTestAgent started in a working directory, stopped before it is removed. */
const agentsIn = new Map<string, RunningService[]>()

/**
 * A scratch working directory for an agent, removed after the test once the agents started
 * there and every haproxy they started are stopped (by the pids in their pid files), whatever
 * state the test left them in. One hook does all of it, in that order: after hooks run in the
 * order they were added, so a later hook would stop an agent only after its directory went
 * (while it was still writing tenant logs there, or restarting a stopped haproxy).
 */
export function agentWorkDir(t: TestContext): string {
  const cwd = mkdtempSync(join(tmpdir(), 'octavia-agent-'))
  t.after(async () => {
    for (const service of agentsIn.get(cwd) ?? []) {
      if (service.child.exitCode === null && service.child.signalCode === null) await service.stop('SIGKILL')
    }
    agentsIn.delete(cwd)
    await stopAmphorae(cwd)
    rmSync(cwd, { recursive: true, force: true, maxRetries: 5 })
  })
  return cwd
}

/** Stops every haproxy an agent started under `cwd`/`stateDir` (by the pids in their pid files). */
export async function stopAmphorae(cwd: string, stateDir = 'var/agent'): Promise<void> {
  const root = join(cwd, stateDir, 'amphorae')
  let names: string[]
  try {
    names = readdirSync(root)
  } catch {
    return // the agent never created an amphora
  }
  for (const name of names) {
    let pid: number
    try {
      pid = Number(readFileSync(join(root, name, 'haproxy.pid'), 'utf8').trim())
    } catch {
      continue // never started
    }
    killQuietly(pid, 'SIGTERM')
    for (let i = 0; i < 100 && isAlive(pid); i++) await sleep(20)
    killQuietly(pid, 'SIGKILL')
  }
}

function killQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal)
  } catch {
    // Already gone.
  }
}


/**
 * The master's `show proc` once its CLI answers: the agent reports a haproxy started as soon as
 * its worker serves, while the master is still re-executing itself (its CLI away meanwhile).
 */
export async function settledMasterStatus(dir: string): Promise<MasterStatus> {
  for (let i = 0; ; i++) {
    try {
      return await masterStatus(dir)
    } catch (err) {
      if (i >= 500) throw err
      await sleep(20)
    }
  }
}

/** An HTTP backend on `address` answering its own name; closed after the test. */
export async function httpBackend(t: TestContext, address: string, name: string): Promise<{ port: number; server: Server }> {
  const server = createHttpServer((req, res) => {
    req.resume()
    res.writeHead(200, { 'content-type': 'text/plain' }).end(name)
  })
  server.keepAliveTimeout = 60_000
  await new Promise<void>((resolve) => server.listen(0, address, resolve))
  t.after(() => new Promise<void>((resolve) => {
    server.close(() => resolve())
    server.closeAllConnections()
  }))
  return { port: (server.address() as AddressInfo).port, server }
}

/** A TCP echo backend on `address`; closed after the test. */
export async function echoBackend(t: TestContext, address: string): Promise<number> {
  const sockets = new Set<Socket>()
  const server = createTcpServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.pipe(socket)
  })
  await new Promise<void>((resolve) => server.listen(0, address, resolve))
  t.after(() => new Promise<void>((resolve) => {
    for (const s of sockets) s.destroy()
    server.close(() => resolve())
  }))
  return (server.address() as AddressInfo).port
}

/** A loopback VIP and port nobody else is likely to use: 127.64.x.y (the embedded subnet), port 20000-39999. */
export function freeVip(): { address: string; port: number } {
  const octet = () => 1 + Math.floor(Math.random() * 250)
  return { address: `127.64.${octet()}.${octet()}`, port: 20000 + Math.floor(Math.random() * 20000) }
}

/** GET over a new connection; resolves with the body, or rejects. */
export function get(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    httpGet(url, { agent: false, headers: { connection: 'close' } }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (body += chunk))
      res.on('end', () => resolve(body))
      res.on('error', reject)
    }).on('error', reject)
  })
}
