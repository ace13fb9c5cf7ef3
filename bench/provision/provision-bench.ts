// Provisioning benchmark (issue 6, Performance): how long a full load balancer (an HTTP
// listener, a pool of 3 members, an HTTP health monitor) takes from its POST to ACTIVE and
// serving (a request to its VIP answered by a backend), through `octavia up` with its own agent
// and real haproxy amphorae, started by the bench in a scratch directory. p50/p99 over --runs;
// each load balancer is deleted (cascade) before the next. Prints figures; never fails on time.
// Run: npm run bench:provision [-- --runs 50 --db sqlite|mysql --separate --verbose]
// BENCH_SERVER_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' passes node options to `octavia up`.
//   --separate  also builds the same load balancer by one call per object, each waiting for ACTIVE
//   --verbose   prints the service's log lines of the first run with their times since its POST
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes, randomInt, randomUUID } from 'node:crypto'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, get as httpGet, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { setTimeout as sleep } from 'node:timers/promises'
import { createServerDatabase, dropServerDatabase } from '../../src/db/server-admin.ts'

const BIN = resolve(import.meta.dirname, '../../bin/octavia.js')
function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`)
  return at > 0 && process.argv[at + 1] !== undefined ? process.argv[at + 1]! : fallback
}
const RUNS = Number(option('runs', '50'))
const DB = option('db', 'sqlite')
const SEPARATE = process.argv.includes('--separate')
const VERBOSE = process.argv.includes('--verbose')
const GOAL_P50_MS = 300
// Between status polls and VIP probes: short enough not to hide much, long enough not to load the service much.
const POLL_MS = 5
if (DB !== 'sqlite' && DB !== 'mysql') throw new Error(`--db ${DB}: sqlite or mysql`)
if (!(RUNS > 0)) throw new Error(`--runs ${option('runs', '')}: a positive number`)

interface Service {
  base: string
  pid: number
  subnetId: string
  cwd: string
  logs: Array<Record<string, unknown>>
  stop(): Promise<void>
}

const cleanups: Array<() => Promise<void> | void> = []

/** `octavia up` with the amphora driver and its local agent, on a loopback /24 of its own. */
async function startService(): Promise<Service> {
  const cwd = mkdtempSync(join(tmpdir(), 'octavia-bench-provision-'))
  cleanups.push(() => rmSync(cwd, { recursive: true, force: true }))
  const subnet = { id: randomUUID(), cidr: `127.${randomInt(100, 200)}.${randomInt(0, 256)}.0/24` }
  const pillar = join(cwd, 'pillar.yaml')
  writeFileSync(pillar, ['octavia:', '  networks:', `    - id: ${subnet.id}`, '      name: local', `      cidr: ${subnet.cidr}`, '      kind: loopback', ''].join('\n'))
  const sets = ['octavia.api.bind.port=0', 'octavia.api.metrics.port=0', 'octavia.health_manager.bind_port=0', 'octavia.agent.bind.port=0',
    'octavia.controller_worker.amphora_driver=amphora_haproxy_rest_driver']
  if (DB === 'mysql') {
    const options = { engine: 'mysql' as const, host: '127.0.0.1', port: 3306, user: 'root', password: '', name: `octavia_bench_${randomBytes(4).toString('hex')}` }
    await createServerDatabase(options)
    cleanups.push(() => dropServerDatabase(options))
    sets.push('octavia.database.engine=mysql', 'octavia.database.host=127.0.0.1', 'octavia.database.user=root', 'octavia.database.password=',
      `octavia.database.name=${options.name}`, 'octavia.health_manager.heartbeat_key=bench')
  }
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OCTAVIA__')))
  const nodeArgs = process.env.BENCH_SERVER_NODE_ARGS?.split(' ').filter(Boolean) ?? []
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, BIN, '--config', pillar, ...sets.flatMap((s) => ['--set', s]), 'up'],
    { cwd, env: { ...env, OCTAVIA_LOG_LEVEL: VERBOSE ? 'debug' : 'info' }, stdio: ['ignore', 'ignore', 'pipe'] })
  const exited = new Promise<void>((done) => child.once('exit', () => done()))
  // The haproxy processes outlive the service: stopped by their pid files once it is gone.
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
    await exited
    await stopAmphorae(cwd)
  })
  const logs: Array<Record<string, unknown>> = []
  const port = await new Promise<number>((done, fail) => {
    child.once('exit', (code) => fail(new Error(`octavia up exited with ${code}`)))
    createInterface({ input: child.stderr! }).on('line', (line) => {
      try {
        const entry = JSON.parse(line) as Record<string, unknown>
        logs.push(entry)
        if (entry.msg === 'api listening' && typeof entry.port === 'number') done(entry.port)
      } catch {
        if (VERBOSE) console.error(line)
      }
    })
  })
  return {
    base: `http://127.0.0.1:${port}/v2/lbaas`, pid: child.pid!, subnetId: subnet.id, cwd, logs,
    stop: async () => {
      child.kill('SIGTERM')
      await exited
    },
  }
}

async function stopAmphorae(cwd: string): Promise<void> {
  const root = join(cwd, 'var/agent/amphorae')
  let names: string[]
  try {
    names = readdirSync(root)
  } catch {
    return
  }
  for (const name of names) {
    let pid: number
    try {
      pid = Number(readFileSync(join(root, name, 'haproxy.pid'), 'utf8').trim())
    } catch {
      continue
    }
    const signal = (s: NodeJS.Signals | 0) => {
      try {
        process.kill(pid, s)
        return true
      } catch {
        return false // gone
      }
    }
    signal('SIGTERM')
    for (let i = 0; i < 100 && signal(0); i++) await sleep(20)
    signal('SIGKILL')
  }
}

/** Three HTTP backends answering their own name, on loopback addresses of their own. */
async function startBackends(): Promise<Array<{ address: string; port: number; name: string }>> {
  return Promise.all(['a', 'b', 'c'].map(async (name, i) => {
    const address = `127.0.0.${i + 2}`
    const server: Server = createServer((req, res) => {
      req.resume()
      res.writeHead(200, { 'content-type': 'text/plain' }).end(name)
    })
    await new Promise<void>((done) => server.listen(0, address, done))
    cleanups.push(() => new Promise<void>((done) => {
      server.close(() => done())
      server.closeAllConnections()
    }))
    return { address, port: (server.address() as AddressInfo).port, name }
  }))
}

async function call(method: string, url: string, body?: unknown): Promise<{ status: number; json: Record<string, Record<string, unknown>> }> {
  const res = await fetch(url, { method, ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }) })
  const text = await res.text()
  return { status: res.status, json: text ? JSON.parse(text) as Record<string, Record<string, unknown>> : {} }
}

async function created(url: string, body: unknown): Promise<Record<string, unknown>> {
  const { status, json } = await call('POST', url, body)
  if (status !== 201) throw new Error(`POST ${url}: ${status} ${JSON.stringify(json)}`)
  return Object.values(json)[0]!
}

async function waitActive(base: string, lbId: string): Promise<void> {
  for (;;) {
    const { json } = await call('GET', `${base}/loadbalancers/${lbId}`)
    const status = json.loadbalancer?.provisioning_status
    if (status === 'ACTIVE') return
    if (status === 'ERROR') throw new Error(`load balancer ${lbId} went ERROR`)
    await sleep(POLL_MS)
  }
}

/** A new-connection GET; resolves with the body of a 200, or null. */
function probe(url: string): Promise<string | null> {
  return new Promise((done) => {
    httpGet(url, { agent: false, headers: { connection: 'close' } }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (body += chunk))
      res.on('end', () => done(res.statusCode === 200 ? body : null))
      res.on('error', () => done(null))
    }).on('error', () => done(null))
  })
}

async function waitServing(url: string, names: Set<string>): Promise<void> {
  for (;;) {
    const body = await probe(url)
    if (body !== null && names.has(body)) return
    await sleep(POLL_MS)
  }
}

const members = (backends: Array<{ address: string; port: number }>) => backends.map((b) => ({ address: b.address, protocol_port: b.port }))
const HEALTH_MONITOR = { type: 'HTTP', delay: 5, timeout: 5, max_retries: 3, http_method: 'GET', url_path: '/', expected_codes: '200' }

interface Run { post: number; active: number; serving: number; deleted: number }

/** One full load balancer: `build` makes it and resolves its id and VIP once ACTIVE; then serving, then its delete. */
async function measure(service: Service, backends: Array<{ address: string; port: number; name: string }>,
  build: () => Promise<{ id: string; vip: string; posted: number }>): Promise<Run> {
  const start = performance.now()
  const { id, vip, posted } = await build()
  const active = performance.now()
  await waitServing(`http://${vip}:8080/`, new Set(backends.map((b) => b.name)))
  const serving = performance.now()
  const deleting = performance.now()
  const { status } = await call('DELETE', `${service.base}/loadbalancers/${id}?cascade=true`)
  if (status !== 204) throw new Error(`DELETE load balancer ${id}: ${status}`)
  while ((await call('GET', `${service.base}/loadbalancers/${id}`)).status !== 404) await sleep(POLL_MS)
  return { post: posted - start, active: active - start, serving: serving - start, deleted: performance.now() - deleting }
}

function fullGraph(service: Service, backends: Array<{ address: string; port: number; name: string }>) {
  return async () => {
    const lb = await created(`${service.base}/loadbalancers`, {
      loadbalancer: {
        name: 'bench', vip_subnet_id: service.subnetId,
        listeners: [{
          name: 'http', protocol: 'HTTP', protocol_port: 8080,
          default_pool: { name: 'web', protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', members: members(backends), healthmonitor: HEALTH_MONITOR },
        }],
      },
    })
    const posted = performance.now()
    await waitActive(service.base, lb.id as string)
    return { id: lb.id as string, vip: lb.vip_address as string, posted }
  }
}

function separateCalls(service: Service, backends: Array<{ address: string; port: number; name: string }>) {
  return async () => {
    const base = service.base
    const lb = await created(`${base}/loadbalancers`, { loadbalancer: { name: 'bench', vip_subnet_id: service.subnetId } })
    const posted = performance.now()
    const id = lb.id as string
    await waitActive(base, id)
    const listener = await created(`${base}/listeners`, { listener: { loadbalancer_id: id, protocol: 'HTTP', protocol_port: 8080 } })
    await waitActive(base, id)
    const pool = await created(`${base}/pools`, { pool: { listener_id: listener.id, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } })
    await waitActive(base, id)
    for (const member of members(backends)) {
      await created(`${base}/pools/${pool.id as string}/members`, { member })
      await waitActive(base, id)
    }
    await created(`${base}/healthmonitors`, { healthmonitor: { pool_id: pool.id, ...HEALTH_MONITOR } })
    await waitActive(base, id)
    return { id, vip: lb.vip_address as string, posted }
  }
}

/**
 * CPU seconds of a process and of its children it has reaped: for `octavia up`, its own work and
 * that of every haproxy it started and reaped (-c checks, masters with their workers).
 */
function cpuSeconds(pid: number): { own: number; children: number } {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  // utime, stime, cutime, cstime in USER_HZ (1/100 s).
  return { own: (Number(fields[11]) + Number(fields[12])) / 100, children: (Number(fields[13]) + Number(fields[14])) / 100 }
}

function percentile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN
}

function row(name: string, values: number[], goal?: number): string {
  const p50 = percentile(values, 0.5)
  const verdict = goal === undefined ? '' : `   goal p50 < ${goal} ms: ${p50 < goal ? 'met' : 'NOT met'}`
  return `${name.padEnd(34)} ${p50.toFixed(0).padStart(7)} ${percentile(values, 0.99).toFixed(0).padStart(7)} ${Math.min(...values).toFixed(0).padStart(7)}${verdict}`
}

/** The service's log lines between two instants, with their offset from `since` (pino's `time` is epoch ms). */
function timeline(logs: Array<Record<string, unknown>>, since: number, until: number): string {
  return logs.filter((l) => typeof l.time === 'number' && l.time >= since && l.time <= until)
    .map((l) => {
      const { time, msg, level: _level, pid: _pid, hostname: _hostname, ...rest } = l
      return `  +${String((time as number) - since).padStart(5)} ms  ${String(msg)} ${JSON.stringify(rest)}`
    }).join('\n')
}

async function main(): Promise<void> {
  const backends = await startBackends()
  const service = await startService()
  const scenarios: Array<[string, () => Promise<{ id: string; vip: string; posted: number }>]> = [['one full-graph POST', fullGraph(service, backends)]]
  if (SEPARATE) scenarios.push(['separate calls (7, each to ACTIVE)', separateCalls(service, backends)])
  const lines: string[] = []
  for (const [name, build] of scenarios) {
    await measure(service, backends, build) // warm-up: first haproxy start, compiled queries
    const runs: Run[] = []
    const cpuBefore = cpuSeconds(service.pid)
    for (let i = 0; i < RUNS; i++) {
      const wallStart = Date.now()
      runs.push(await measure(service, backends, build))
      if (VERBOSE && i === 0) console.error(`${name}, run 1 (POST at +0):\n${timeline(service.logs, wallStart, Date.now())}`)
    }
    lines.push(`\n${name}: ${RUNS} runs`, `${''.padEnd(34)} ${'p50 ms'.padStart(7)} ${'p99 ms'.padStart(7)} ${'min ms'.padStart(7)}`)
    lines.push(row('POST answered (201)', runs.map((r) => r.post)))
    lines.push(row('created -> ACTIVE', runs.map((r) => r.active)))
    lines.push(row('created -> ACTIVE and serving', runs.map((r) => r.serving), name === 'one full-graph POST' ? GOAL_P50_MS : undefined))
    lines.push(row('cascade delete -> 404', runs.map((r) => r.deleted)))
    // Every haproxy of these runs is gone and reaped by now: its CPU is in the service's.
    const cpuAfter = cpuSeconds(service.pid)
    const perRun = (s: number) => `${(s * 1000 / RUNS).toFixed(0)} ms`
    lines.push(`CPU per load balancer (create, status polls, delete): octavia up ${perRun(cpuAfter.own - cpuBefore.own)}, its haproxy processes ${perRun(cpuAfter.children - cpuBefore.children)}`)
  }
  console.log(`bench/provision: \`octavia up\` (${DB}) with its local agent; a full load balancer (HTTP listener, pool of 3 members, HTTP health monitor); ` +
    `load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${availableParallelism()} CPUs`)
  console.log(lines.join('\n'))
}

main()
  .catch((err: unknown) => {
    console.error(err)
    process.exitCode = 1
  })
  .finally(async () => {
    for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch((err: unknown) => console.error(err))
  })
