// Health-manager benchmark (issue "Health manager and housekeeping", Performance):
//  1. heartbeats verified, decoded and applied per second by one health manager (SQLite, MariaDB),
//     next to a bare loop that only receives, checks the HMAC of and inflates the same datagrams;
//  2. failure detection: from an amphora's last heartbeat to its failover job, p50/p90 over 20
//     amphorae, heartbeat_interval 1 s, heartbeat_timeout 3 s, health_check_interval 1 s.
// Prints figures; never fails on time. Run: npm run bench:health [-- --amphorae 2000 --rounds 150]
import { spawn, type ChildProcess } from 'node:child_process'
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { createSocket } from 'node:dgram'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { inflateSync } from 'node:zlib'
import { systemClock } from '../../src/common/clock.ts'
import { newId } from '../../src/common/ids.ts'
import { createLogger } from '../../src/common/logger.ts'
import { loadConfig } from '../../src/config/load-config.ts'
import type { OctaviaConfig } from '../../src/config/schema.ts'
import { createDatabase } from '../../src/db/create-database.ts'
import type { Database } from '../../src/db/database.ts'
import type { DatabaseOptions } from '../../src/db/database-options.ts'
import { migrateToLatest } from '../../src/db/migrations.ts'
import { createServerDatabase, dropServerDatabase } from '../../src/db/server-admin.ts'
import { startHealthManager } from '../../src/health/health-manager.ts'
import { encodeHeartbeat } from '../../src/health/heartbeat-codec.ts'
import type { BlastOrder, BlastedAmphora } from './heartbeat-blaster.ts'

const KEY = 'bench-heartbeat-key'
const BLASTER = resolve(import.meta.dirname, 'heartbeat-blaster.ts')
const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`)
  return i > 0 ? Number(process.argv[i + 1]) : fallback
}
const AMPHORAE = arg('amphorae', 10_000)
const ROUNDS = arg('rounds', 12)
const BLASTERS = arg('blasters', 2)
/** Offered load, datagrams per second in all: above what either pipeline takes, so both run saturated. */
const RATE = arg('rate', 40_000)
/** `--only sqlite` (or bare, mysql, detection): one part, e.g. under a profiler. */
const onlyAt = process.argv.indexOf('--only')
const ONLY = onlyAt > 0 ? process.argv[onlyAt + 1] : undefined
const runs = (part: string) => ONLY === undefined || ONLY === part
const silent = createLogger({ level: 'silent' })
const AT = new Date()

/** N load balancers, each with one listener, one pool, two members and one ALLOCATED amphora, in bulk. */
async function seed(db: Database, n: number): Promise<BlastedAmphora[]> {
  const amphorae: BlastedAmphora[] = []
  const k = db.kysely
  for (let start = 0; start < n; start += 200) {
    const chunk = Array.from({ length: Math.min(200, n - start) }, () => ({
      lb: newId(), amphora: newId(), listener: newId(), pool: newId(), members: [newId(), newId()],
    }))
    const base = { project_id: 'bench', provisioning_status: 'ACTIVE' as const, operating_status: 'ONLINE' as const, enabled: true, created_at: AT }
    await k.insertInto('load_balancer').values(chunk.map((c) => ({ ...base, id: c.lb }))).execute()
    await k.insertInto('pool').values(chunk.map((c) => ({ ...base, id: c.pool, load_balancer_id: c.lb, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' }))).execute()
    await k.insertInto('listener').values(chunk.map((c) => ({ ...base, id: c.listener, load_balancer_id: c.lb, protocol: 'HTTP', protocol_port: 80, default_pool_id: c.pool }))).execute()
    await k.insertInto('member').values(chunk.flatMap((c) => c.members.map((m, i) => ({
      ...base, id: m, pool_id: c.pool, ip_address: `192.0.2.${i + 1}`, protocol_port: 80, weight: 1, backup: false,
    })))).execute()
    await k.insertInto('amphora').values(chunk.map((c) => ({ id: c.amphora, load_balancer_id: c.lb, status: 'ALLOCATED' as const, role: 'STANDALONE', created_at: AT }))).execute()
    amphorae.push(...chunk.map((c) => ({ id: c.amphora, listenerId: c.listener, poolId: c.pool, memberIds: c.members })))
  }
  return amphorae
}

interface Blaster { child: ChildProcess; next(): Promise<string> }

function startBlaster(order: BlastOrder): Blaster {
  const child = spawn(process.execPath, ['--import', 'tsx', BLASTER], { stdio: ['pipe', 'pipe', 'inherit'] })
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]()
  child.stdin!.write(`${JSON.stringify(order)}\n`)
  return { child, next: async () => (await lines.next()).value as string }
}

/** Splits the amphorae among the blasters, waits for all to be ready, lets them go, and resolves when all are done. */
async function blast(port: number, amphorae: BlastedAmphora[], onGo: () => void = () => {}): Promise<{ sent: number; seconds: number }> {
  const share = Math.ceil(amphorae.length / BLASTERS)
  const blasters = Array.from({ length: BLASTERS }, (_, i) => startBlaster({ port, key: KEY, rounds: ROUNDS, rate: RATE / BLASTERS, amphorae: amphorae.slice(i * share, (i + 1) * share) }))
  for (const b of blasters) if ((await b.next()) !== 'ready') throw new Error('blaster failed')
  const start = performance.now()
  onGo()
  for (const b of blasters) b.child.stdin!.write('go\n')
  for (const b of blasters) if ((await b.next()) !== 'done') throw new Error('blaster failed')
  const seconds = (performance.now() - start) / 1000
  for (const b of blasters) b.child.stdin!.end()
  return { sent: amphorae.length * ROUNDS, seconds }
}

interface Rate {
  sent: number
  handled: number
  seconds: number
  perSecond: number
  /** Heartbeats handled per second of CPU this process used (user + system): robust to a busy machine. */
  perCpuSecond: number
}

/** CPU seconds this process used since `from`. */
function cpuSince(from: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(from)
  return (used.user + used.system) / 1e6
}

/** The bare pipeline: receive, check the HMAC, inflate; nothing else. */
async function bareLoop(amphorae: BlastedAmphora[]): Promise<Rate> {
  const socket = createSocket({ type: 'udp4', recvBufferSize: 8 * 1024 * 1024 })
  const key = Buffer.from(KEY)
  let handled = 0
  let first = 0
  let last = 0
  socket.on('message', (datagram) => {
    const payload = datagram.subarray(0, datagram.length - 64)
    const digest = Buffer.from(createHmac('sha256', key).update(payload).digest('hex'), 'latin1')
    if (!timingSafeEqual(digest, datagram.subarray(datagram.length - 64))) return
    inflateSync(payload)
    handled++
    last = performance.now()
    if (first === 0) first = last
  })
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve))
  let cpu = process.cpuUsage()
  const sent = await blast(socket.address().port, amphorae, () => void (cpu = process.cpuUsage()))
  const cpuSeconds = cpuSince(cpu)
  await new Promise((resolve) => setTimeout(resolve, 300))
  socket.close()
  const seconds = (last - first) / 1000
  return { sent: sent.sent, handled, seconds, perSecond: handled / seconds, perCpuSecond: handled / cpuSeconds }
}

function benchConfig(overrides: Partial<OctaviaConfig['health_manager']>): OctaviaConfig {
  const { config } = loadConfig({ files: [], env: {}, sets: [] })
  return { ...config, health_manager: { ...config.health_manager, bind_ip: '127.0.0.1', bind_port: 0, heartbeat_key: KEY, sock_rlimit: 8 * 1024 * 1024, ...overrides } }
}

/** One health manager over `db`: heartbeats applied (written in a committed batch) per second. */
async function healthManagerLoop(db: Database, amphorae: BlastedAmphora[]): Promise<Rate & { batches: number; dropped: Record<string, number> }> {
  const hm = await startHealthManager({ config: benchConfig({}), db, clock: systemClock, log: silent, firstScanDelayMs: 3_600_000 })
  // From the first datagram received to the last batch applied, as the bare loop counts from its
  // first datagram to its last: the wait for stragglers after the blast is in neither.
  let first = 0
  let last = 0
  let appliedSeen = 0
  const watch = setInterval(() => {
    if (first === 0 && hm.counters.received > 0) first = performance.now()
    if (hm.counters.applied !== appliedSeen) {
      appliedSeen = hm.counters.applied
      last = performance.now()
    }
  }, 1)
  let cpu = process.cpuUsage()
  const sent = await blast(hm.receiver.port, amphorae, () => void (cpu = process.cpuUsage()))
  await new Promise((resolve) => setTimeout(resolve, 300))
  await hm.processor.drained()
  const cpuSeconds = cpuSince(cpu)
  await new Promise((resolve) => setTimeout(resolve, 5))
  clearInterval(watch)
  await hm.stop()
  const seconds = (last - first) / 1000
  const { applied } = hm.counters
  return { sent: sent.sent, handled: applied, seconds, perSecond: applied / seconds, perCpuSecond: applied / cpuSeconds, batches: hm.counters.batches, dropped: hm.counters.dropped }
}

/** Detection: 20 amphorae send every second; each stops at its own moment; time to its failover job. */
async function detection(db: Database): Promise<number[]> {
  const amphorae = await seed(db, 20)
  const hm = await startHealthManager({
    config: benchConfig({ heartbeat_interval: 1, heartbeat_timeout: 3, health_check_interval: 1, failover_threads: 20 }), db, clock: systemClock, log: silent, firstScanDelayMs: 0,
  })
  const socket = createSocket('udp4')
  const lastSent = new Map<string, number>()
  const stopAt = new Map(amphorae.map((a, i) => [a.id, performance.now() + 2000 + i * 150]))
  const queuedAt = new Map<string, number>()
  const seqs = new Map<string, number>()
  const sender = setInterval(() => {
    for (const a of amphorae) {
      if (performance.now() >= stopAt.get(a.id)!) continue
      const seq = seqs.get(a.id) ?? 0
      seqs.set(a.id, seq + 1)
      socket.send(encodeHeartbeat({ id: a.id, seq, ver: 3, listeners: { [a.listenerId]: { status: 'OPEN', stats: { tx: 0, rx: 0, conns: 0, totconns: 0, ereq: 0 } } }, pools: {} }, KEY), hm.receiver.port, '127.0.0.1')
      lastSent.set(a.id, performance.now())
    }
  }, 1000)
  const deadline = performance.now() + 30_000
  while (queuedAt.size < amphorae.length && performance.now() < deadline) {
    const jobs = await db.kysely.selectFrom('jobs').select('target_id').where('kind', '=', 'amphora.failover').execute()
    for (const j of jobs) if (!queuedAt.has(j.target_id)) queuedAt.set(j.target_id, performance.now())
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  clearInterval(sender)
  socket.close()
  await hm.stop()
  return amphorae.flatMap((a) => (queuedAt.has(a.id) ? [(queuedAt.get(a.id)! - lastSent.get(a.id)!) / 1000] : []))
}

const percentile = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * p))] ?? NaN

async function withDatabase<T>(engine: 'sqlite' | 'mysql', fn: (db: Database) => Promise<T>): Promise<T> {
  let options: DatabaseOptions
  let cleanup: () => Promise<void>
  if (engine === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'octavia-health-bench-'))
    options = { engine, path: join(dir, 'bench.sqlite') }
    cleanup = async () => rmSync(dir, { recursive: true, force: true })
  } else {
    options = { engine, host: '127.0.0.1', port: 3306, user: 'root', password: '', name: `octavia_bench_${randomBytes(4).toString('hex')}` }
    await createServerDatabase(options)
    cleanup = () => dropServerDatabase(options)
  }
  const db = createDatabase(options)
  try {
    await migrateToLatest(db)
    return await fn(db)
  } finally {
    await db.close()
    await cleanup()
  }
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US')
console.log(`health bench: ${AMPHORAE} amphorae × ${ROUNDS} heartbeats (1 listener, 1 pool, 2 members each), offered at ${fmt(RATE)}/s by ${BLASTERS} sender processes over loopback UDP`)
const bareAmphorae = Array.from({ length: AMPHORAE }, () => ({ id: newId(), listenerId: newId(), poolId: newId(), memberIds: [newId(), newId()] }))
const bare = await bareLoop(bareAmphorae)
console.log(`bare receive + HMAC + inflate: ${fmt(bare.perSecond)} heartbeats/s, ${fmt(bare.perCpuSecond)} per CPU-second `
  + `(${fmt(bare.handled)} of ${fmt(bare.sent)} sent; the kernel drops the rest)`)
for (const engine of (['sqlite', 'mysql'] as const).filter(runs)) {
  const rate = await withDatabase(engine, async (db) => healthManagerLoop(db, await seed(db, AMPHORAE)))
  const dropped = Object.entries(rate.dropped).filter(([, n]) => n > 0).map(([r, n]) => `${r} ${n}`).join(', ') || 'none'
  console.log(`health manager, ${engine}: ${fmt(rate.perSecond)} heartbeats/s applied (${(rate.perSecond / bare.perSecond * 100).toFixed(0)}% of bare), `
    + `${fmt(rate.perCpuSecond)} per CPU-second of the health manager (${(rate.perCpuSecond / bare.perCpuSecond * 100).toFixed(0)}% of bare`
    + `${engine === 'mysql' ? "; MariaDB's own CPU not counted" : ''}); ${fmt(rate.handled)} applied in ${rate.batches} batches, ${rate.seconds.toFixed(2)} s; dropped: ${dropped}`)
}
const detected = runs('detection') ? await withDatabase('sqlite', detection) : []
if (runs('detection')) console.log(`failure detection (heartbeat_interval 1 s, heartbeat_timeout 3 s, health_check_interval 1 s): p50 ${percentile(detected, 0.5).toFixed(2)} s, `
  + `p90 ${percentile(detected, 0.9).toFixed(2)} s over ${detected.length} amphorae (last heartbeat sent → amphora.failover job queued)`)
if (runs('detection')) console.log('rebuild (job queued → serving again): see npm run bench:failover, which times a lost host end to end')
