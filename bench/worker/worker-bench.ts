// Worker benchmark: jobs completed per second with 1 and 4 workers (each its own database pool,
// in this process) running a flow of noop database tasks, on SQLite, MariaDB and PostgreSQL, and
// the engine's own cost per task: as the engine runs them (a job's consecutive database tasks
// share one transaction that proves the lease and journals them) and, for comparison, with each
// task committed on its own (what a job pays when its database tasks alternate with external
// ones). Prints figures; never fails on time.
// Run: npm run bench:worker [-- --jobs 2000 --tasks 5]
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { systemClock } from '../../src/common/clock.ts'
import { createLogger } from '../../src/common/logger.ts'
import { flow } from '../../src/controller/flow.ts'
import { createFlowContext } from '../../src/controller/flow-context.ts'
import { databaseTask } from '../../src/controller/task.ts'
import { startWorker } from '../../src/controller/worker.ts'
import { createDatabase } from '../../src/db/create-database.ts'
import type { DatabaseEngine, DatabaseOptions } from '../../src/db/database-options.ts'
import { migrateToLatest } from '../../src/db/migrations.ts'
import { JobRepository } from '../../src/db/repositories/job-repository.ts'
import { createServerDatabase, dropServerDatabase } from '../../src/db/server-admin.ts'

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`)
  return i > 0 ? Number(process.argv[i + 1]) : fallback
}
const JOBS = arg('jobs', 1000)
const TASKS = arg('tasks', 5)
const log = createLogger({ level: 'silent' })
const RETRY = { attempts: 3, initialMs: 10, backoffMs: 10, maxMs: 100 }
const NOOP = flow('bench.noop', Array.from({ length: TASKS }, (_, i) => databaseTask(`bench.task-${i}`, async () => null)))

async function openBenchDatabase(engine: DatabaseEngine): Promise<{ options: DatabaseOptions; drop(): Promise<void> }> {
  const name = `octavia_bench_${randomBytes(4).toString('hex')}`
  if (engine === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'octavia-bench-'))
    return { options: { engine, path: join(dir, `${name}.sqlite`) }, drop: async () => rmSync(dir, { recursive: true, force: true }) }
  }
  const options: DatabaseOptions = engine === 'mysql'
    ? { engine, host: '127.0.0.1', port: 3306, user: 'root', password: '', name }
    : { engine, host: '127.0.0.1', port: 5432, user: 'postgres', password: '', name }
  await createServerDatabase(options)
  return { options, drop: () => dropServerDatabase(options) }
}

async function run(engine: DatabaseEngine, workers: number, eachAlone: boolean): Promise<{ jobsPerSecond: number; msPerTask: number }> {
  const bench = await openBenchDatabase(engine)
  const db = createDatabase(bench.options)
  try {
    await migrateToLatest(db)
    const jobs = new JobRepository(db, systemClock)
    await db.transaction(async (trx) => {
      for (let i = 0; i < JOBS; i++) await jobs.enqueue(trx, { kind: NOOP.kind, target_type: 'bench', target_id: `b-${i}` })
    })
    const pools = Array.from({ length: workers }, () => createDatabase(bench.options))
    const started = performance.now()
    const running = pools.map((pool) => startWorker({
      context: createFlowContext({ db: pool, clock: systemClock, log }), flows: [NOOP], leaseMs: 30_000, pollMs: 5,
      concurrency: 4, taskRetry: RETRY, databaseRetry: RETRY, ...(eachAlone ? { observer: { pauseAfter: () => true } } : {}),
    }))
    for (;;) {
      const { pending, running: inFlight } = await jobs.countByState()
      if (pending + inFlight === 0) break
      await new Promise((r) => setTimeout(r, 20))
    }
    const seconds = (performance.now() - started) / 1000
    for (const worker of running) await worker.stop()
    await Promise.all(pools.map((pool) => pool.close()))
    return { jobsPerSecond: JOBS / seconds, msPerTask: (seconds * 1000) / (JOBS * TASKS) }
  } finally {
    await db.close()
    await bench.drop()
  }
}

process.stdout.write(`${JOBS} jobs of ${TASKS} noop database tasks each\n`)
process.stdout.write('engine      workers  commits         jobs/s   wall ms per task\n')
for (const engine of ['sqlite', 'mysql', 'postgresql'] as const) {
  for (const workers of [1, 4]) {
    for (const eachAlone of [false, true]) {
      const { jobsPerSecond, msPerTask } = await run(engine, workers, eachAlone)
      const commits = (eachAlone ? 'one per task' : 'shared').padEnd(14)
      process.stdout.write(`${engine.padEnd(11)} ${String(workers).padEnd(8)} ${commits} ${jobsPerSecond.toFixed(0).padStart(6)}   ${msPerTask.toFixed(3)}\n`)
    }
  }
}
