// API benchmark: requests/second and p50/p99 latency of list (100 and 1,000 LBs), show and
// create+delete at concurrency 1 and 16, against `octavia up` with SQLite and with MariaDB.
// Prints figures; never fails on time. Run: npm run bench:api [-- --seconds 5]
// One part at a time: --engine sqlite|mysql, --only 'list 100 LBs,show,create', --concurrency 16,
// --repeat 3 (each figure again on the same service), --api-workers 1 (API processes, default 2 as
// the reference's uWSGI processes); BENCH_SERVER_NODE_ARGS='--cpu-prof' profiles the service.
// Load: list, show and create come from wrk (C, one thread: it leaves the service nearly all of
// the 2 cores); --client node sends them from this process instead, as create+delete always is.
// Each wrk figure follows --warmup 3 seconds of the same load, not counted (0: none).
import { execFile, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { createServerDatabase, dropServerDatabase } from '../../src/db/server-admin.ts'

const BIN = resolve(import.meta.dirname, '../../bin/octavia.js')
const SUBNET = '317aef40-ef77-4a2d-b4e2-234d69f0eaf9'
const secondsArg = process.argv.indexOf('--seconds')
const SECONDS = secondsArg > 0 ? Number(process.argv[secondsArg + 1]) : 3
function option(name: string): string[] | undefined {
  const at = process.argv.indexOf(`--${name}`)
  return at > 0 ? process.argv[at + 1]?.split(',').map((v) => v.trim()) : undefined
}
const ENGINES = (option('engine') ?? ['sqlite', 'mysql']) as Array<'sqlite' | 'mysql'>
const ONLY = option('only')
const CONCURRENCIES = (option('concurrency') ?? ['1', '16']).map(Number)
const REPEAT = Number(option('repeat')?.[0] ?? 1)
/** api.workers: 2 by default, as the reference Octavia ran its API in 2 uWSGI processes. */
const API_WORKERS = Number(option('api-workers')?.[0] ?? 2)
/** Seconds of the same load before each wrk figure, not counted: the service's code is compiled by then. */
const WARMUP = Number(option('warmup')?.[0] ?? 3)
const WRK = '/usr/bin/wrk'
const CLIENT = option('client')?.[0] ?? 'wrk'
if (CLIENT === 'wrk' && !existsSync(WRK)) throw new Error(`${WRK} is missing: scripts/setup.sh installs it (or run with --client node)`)

interface Figures { name: string; concurrency: number; rps: number; p50: number; p99: number; errors: number }

async function startService(engine: 'sqlite' | 'mysql', cwd: string): Promise<{ base: string; stop(): Promise<void> }> {
  // The API measured as Octavia's was (noop provider): jobs complete in the database, no haproxy
  // per load balancer (Octavia's noop amphora driver); no agent or heartbeat port taken.
  const sets = ['--set', 'octavia.api.bind.port=0', '--set', 'octavia.api.metrics.port=0', '--set', 'octavia.controller_worker.amphora_driver=amphora_noop_driver',
    '--set', 'octavia.health_manager.bind_port=0', '--set', `octavia.api.workers=${API_WORKERS}`]
  let cleanup = async () => {}
  if (engine === 'mysql') {
    const options = { engine: 'mysql' as const, host: '127.0.0.1', port: 3306, user: 'root', password: '', name: `octavia_bench_${randomBytes(4).toString('hex')}` }
    await createServerDatabase(options)
    cleanup = () => dropServerDatabase(options)
    sets.push('--set', 'octavia.database.engine=mysql', '--set', 'octavia.database.host=127.0.0.1', '--set', 'octavia.database.user=root',
      '--set', 'octavia.database.password=', '--set', `octavia.database.name=${options.name}`, '--set', 'octavia.health_manager.heartbeat_key=bench')
  }
  const nodeArgs = process.env.BENCH_SERVER_NODE_ARGS?.split(' ').filter(Boolean) ?? []
  const child = spawn(process.execPath, [...nodeArgs, BIN, ...sets, 'up'], { cwd, env: { ...process.env, OCTAVIA_LOG_LEVEL: 'info' }, stdio: ['ignore', 'ignore', 'pipe'] })
  const lines = createInterface({ input: child.stderr })
  const port = await new Promise<number>((done, fail) => {
    child.once('exit', (code) => fail(new Error(`octavia up exited with ${code}`)))
    lines.on('line', (line) => {
      try {
        const entry = JSON.parse(line) as { msg?: string; port?: number }
        if (entry.msg === 'api listening' && entry.port) done(entry.port)
      } catch {
        // not a log line
      }
    })
  })
  return {
    base: `http://127.0.0.1:${port}/v2/lbaas`,
    stop: async () => {
      child.kill('SIGTERM')
      await new Promise((r) => child.once('exit', r))
      await cleanup()
    },
  }
}

async function createLb(base: string, name: string): Promise<string> {
  const res = await fetch(`${base}/loadbalancers`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ loadbalancer: { name, vip_subnet_id: SUBNET } }) })
  if (res.status !== 201) throw new Error(`create: ${res.status} ${await res.text()}`)
  return ((await res.json()) as { loadbalancer: { id: string } }).loadbalancer.id
}

async function waitActive(base: string, id: string): Promise<void> {
  for (;;) {
    const lb = ((await (await fetch(`${base}/loadbalancers/${id}`)).json()) as { loadbalancer: { provisioning_status: string } }).loadbalancer
    if (lb.provisioning_status === 'ACTIVE') return
    await new Promise((r) => setTimeout(r, 5))
  }
}

/** Waits until no load balancer is PENDING_*; resolves how long that took (ms). */
async function waitNonePending(base: string): Promise<number> {
  const start = performance.now()
  for (;;) {
    const pending = await Promise.all(['PENDING_CREATE', 'PENDING_UPDATE', 'PENDING_DELETE'].map(async (status) => {
      const res = await fetch(`${base}/loadbalancers?provisioning_status=${status}&limit=1&fields=id`)
      return ((await res.json()) as { loadbalancers: unknown[] }).loadbalancers.length
    }))
    if (pending.every((n) => n === 0)) return performance.now() - start
    await new Promise((r) => setTimeout(r, 50))
  }
}

/** Runs `op` from `concurrency` loops for SECONDS; an op returns whether it succeeded. */
async function measure(name: string, concurrency: number, op: () => Promise<boolean>): Promise<Figures> {
  const latencies: number[] = []
  let errors = 0
  const end = performance.now() + SECONDS * 1000
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (performance.now() < end) {
      const start = performance.now()
      const ok = await op().catch(() => false)
      latencies.push(performance.now() - start)
      if (!ok) errors++
    }
  }))
  latencies.sort((a, b) => a - b)
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0
  return { name, concurrency, rps: latencies.length / SECONDS, p50: at(0.5), p99: at(0.99), errors }
}

/** Milliseconds from wrk's "1.23ms", "456.00us", "1.02s". */
function wrkMs(text: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text)
  if (!m) throw new Error(`wrk latency ${text}`)
  return Number(m[1]) * { us: 0.001, ms: 1, s: 1000, m: 60_000 }[m[2] as 'us' | 'ms' | 's' | 'm']
}

/** The same figures from wrk: `concurrency` connections on one thread for SECONDS (after WARMUP uncounted), GET or a JSON POST. */
async function measureWithWrk(name: string, concurrency: number, url: string, dir: string, post?: unknown,
  afterWarmup: () => Promise<unknown> = async () => {}): Promise<Figures> {
  if (WARMUP > 0) {
    await runWrk(name, concurrency, url, dir, post, WARMUP)
    await afterWarmup()
  }
  return runWrk(name, concurrency, url, dir, post, SECONDS)
}

async function runWrk(name: string, concurrency: number, url: string, dir: string, post: unknown, seconds: number): Promise<Figures> {
  const args = ['-t1', `-c${concurrency}`, `-d${seconds}s`, '--latency']
  if (post !== undefined) {
    const script = join(dir, 'post.lua')
    writeFileSync(script, `wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = ${JSON.stringify(JSON.stringify(post))}\n`)
    args.push('-s', script)
  }
  const out = await new Promise<string>((resolve, reject) => execFile(WRK, [...args, url], (err, stdout) => (err ? reject(err) : resolve(stdout))))
  if (process.env.BENCH_WRK_RAW) process.stderr.write(out)
  const number = (re: RegExp) => Number(re.exec(out)?.[1] ?? 0)
  const latency = (q: string) => wrkMs(new RegExp(`^\\s+${q}%\\s+(\\S+)\\s*$`, 'm').exec(out)?.[1] ?? '0us')
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out)
  const errors = number(/Non-2xx or 3xx responses: (\d+)/) + (socketErrors ? socketErrors.slice(1).reduce((n, v) => n + Number(v), 0) : 0)
  return { name, concurrency, rps: number(/Requests\/sec:\s+([\d.]+)/), p50: latency('50'), p99: latency('99'), errors }
}

async function bench(engine: 'sqlite' | 'mysql'): Promise<Figures[]> {
  const cwd = mkdtempSync(join(tmpdir(), 'octavia-bench-'))
  const service = await startService(engine, cwd)
  const out: Figures[] = []
  try {
    const base = service.base
    const ids: string[] = []
    for (let i = 0; i < 1000; i++) ids.push(await createLb(base, `bench-${i}`))
    await waitActive(base, ids.at(-1)!)
    const get = (url: string) => async () => (await fetch(url).then(async (r) => { await r.arrayBuffer(); return r.ok }))
    const read = (name: string, concurrency: number, url: string) => (CLIENT === 'wrk' ? measureWithWrk(name, concurrency, url, cwd) : measure(name, concurrency, get(url)))
    const wanted = (name: string) => ONLY === undefined || ONLY.includes(name)
    for (const concurrency of Array.from({ length: REPEAT }, () => CONCURRENCIES).flat()) {
      if (wanted('list 100 LBs')) out.push(await read('list 100 LBs', concurrency, `${base}/loadbalancers?limit=100`))
      if (wanted('list 1000 LBs')) out.push(await read('list 1000 LBs', concurrency, `${base}/loadbalancers?limit=1000`))
      if (wanted('show')) out.push(await read('show', concurrency, `${base}/loadbalancers/${ids[500]}`))
      if (wanted('create')) {
        const created = CLIENT === 'wrk'
          // The warm-up's creates are ACTIVE before the measured ones begin.
          ? await measureWithWrk('create', concurrency, `${base}/loadbalancers`, cwd, { loadbalancer: { name: 'created', vip_subnet_id: SUBNET } },
            () => waitNonePending(base))
          : await measure('create', concurrency, async () => {
            await createLb(base, 'created')
            return true
          })
        out.push(created)
        // The worker finishes what the POSTs queued before the next figure: the creates per second
        // from the first POST to the last LB ACTIVE are what the service sustains end to end.
        const drainMs = await waitNonePending(base)
        out.push({ name: 'create, ACTIVE', concurrency, rps: (created.rps * SECONDS) / (SECONDS + drainMs / 1000), p50: NaN, p99: NaN, errors: 0 })
      }
      if (wanted('create+delete')) out.push(await measure('create+delete', concurrency, async () => {
        const id = await createLb(base, 'churn')
        await waitActive(base, id)
        const res = await fetch(`${base}/loadbalancers/${id}`, { method: 'DELETE' })
        return res.status === 204
      }))
    }
  } finally {
    await service.stop()
    rmSync(cwd, { recursive: true, force: true })
  }
  return out
}

// Octavia 11 from Debian (uWSGI, 2 processes, MariaDB, noop provider), concurrency 16, same kind of machine.
const OCTAVIA_REFERENCE: Record<string, number> = { 'list 100 LBs': 43, show: 150, create: 92 }

const rows: string[] = []
for (const engine of ENGINES) {
  for (const f of await bench(engine)) {
    const reference = f.concurrency === 16 ? OCTAVIA_REFERENCE[f.name] : undefined
    const ms = (v: number) => (Number.isNaN(v) ? '' : v.toFixed(1)).padStart(8)
    rows.push([engine.padEnd(7), f.name.padEnd(15), String(f.concurrency).padStart(3), f.rps.toFixed(0).padStart(8),
      ms(f.p50), ms(f.p99), String(f.errors).padStart(6),
      reference ? `${(f.rps / reference).toFixed(1)}x`.padStart(9) : ''.padStart(9)].join(' | '))
  }
}
process.stdout.write(`${['engine ', 'operation      ', '  c', '   req/s', ' p50 ms', ' p99 ms', 'errors', 'vs Octavia'].join(' | ')}\n${rows.join('\n')}\n`)
process.stdout.write(`(${SECONDS} s per figure${CLIENT === 'wrk' && WARMUP > 0 ? ` after ${WARMUP} s of warm-up` : ''}, ${API_WORKERS} API process${API_WORKERS === 1 ? '' : 'es'}, list/show/create load from ${CLIENT === 'wrk' ? 'wrk' : 'this process'}; create is the POST alone (201, the worker finishes in the background); "create, ACTIVE" is those creates over the time until the worker had them all ACTIVE; create+delete counts one create, its wait for ACTIVE and one delete; Octavia 11 reference at c=16: list 100 = 43, show = 150, create = 92 req/s)\n`)
