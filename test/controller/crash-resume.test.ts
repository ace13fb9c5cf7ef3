import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { resolve } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { createApi } from '../../src/api/create-api.ts'
import { createApiDeps } from '../../src/api/v2/api-deps.ts'
import { V2_ROUTES } from '../../src/api/v2/routes.ts'
import { systemClock } from '../../src/common/clock.ts'
import { createLogger } from '../../src/common/logger.ts'
import { createMetricsRegistry } from '../../src/common/metrics.ts'
import { DEFAULT_SUBNET_ID } from '../../src/config/defaults.ts'
import { loadConfig } from '../../src/config/load-config.ts'
import { createFlowContext } from '../../src/controller/flow-context.ts'
import { ALL_FLOWS } from '../../src/controller/flows/all-flows.ts'
import { startWorker, type Worker } from '../../src/controller/worker.ts'
import type { Database } from '../../src/db/database.ts'
import type { DatabaseEngine, DatabaseOptions } from '../../src/db/database-options.ts'
import type { Job } from '../../src/db/repositories/job-repository.ts'
import { CRASH_FLOWS_BASE, crashFlows, createTaskLog, taskLog, testDevice } from '../helpers/crash-flows.ts'
import { CRASH_TIMINGS } from '../helpers/crash-timings.ts'
import { openTestDatabase } from '../helpers/test-database.ts'

// Crash at every task boundary (DESIGN.md principle 2): a worker process runs a job and is
// SIGKILLed right after its k-th task committed (or inside the external task, after its effect
// and before its journal entry); another worker takes the job over when the lease runs out and
// finishes it. Each database task must have run exactly once (its record commits with it), the
// external task's address must exist once however often the task ran, and the statuses must be
// those of a run without a crash.

const CHILD = resolve(import.meta.dirname, '../helpers/crash-worker.ts')
const V2 = '/v2/lbaas'
type Json = Record<string, unknown>
const { config } = loadConfig({ files: [], env: {} })
const log = createLogger({ level: 'silent' })

interface Scenario {
  db: Database
  options: DatabaseOptions
  app: FastifyInstance
  job: Job
  /** Checks the end state after the job succeeded. */
  check(): Promise<void>
}

async function api(db: Database): Promise<{ app: FastifyInstance; settle(): Promise<void>; stop(): Promise<void> }> {
  const wake = { to: (_id?: string) => {} }
  const deps = createApiDeps(config, db, systemClock, (id) => wake.to(id))
  const worker: Worker = startWorker({ context: createFlowContext({ db, clock: systemClock, log, subnets: config.networks }), flows: ALL_FLOWS, ...CRASH_TIMINGS })
  const app = createApi({
    log, registry: createMetricsRegistry(), healthcheck: { enabled: false, refreshIntervalSeconds: 1, probe: () => db.ping() },
    routes: V2_ROUTES.map((register) => (a: FastifyInstance) => register(a, deps)),
  })
  const settle = async () => {
    for (;;) {
      const { pending, running } = await deps.jobs.countByState()
      if (pending + running === 0) return
      await new Promise((r) => setTimeout(r, 10))
    }
  }
  wake.to = (id) => worker.wake(id)
  return { app, settle, stop: () => worker.stop() }
}

async function call(app: FastifyInstance, method: 'POST' | 'PUT' | 'DELETE', url: string, payload?: Json): Promise<Json> {
  const res = await app.inject({ method, url: `${V2}/${url}`, ...(payload ? { payload } : {}) })
  assert.ok(res.statusCode < 300, `${method} ${url}: ${res.statusCode} ${res.body}`)
  return res.body === '' ? {} : res.json() as Json
}

const FULL_GRAPH = {
  vip_subnet_id: DEFAULT_SUBNET_ID,
  listeners: [{ protocol: 'HTTP', protocol_port: 80, default_pool: {
    name: 'web', protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', members: [{ address: '127.0.0.10', protocol_port: 8080 }],
    healthmonitor: { type: 'HTTP', delay: 5, timeout: 3, max_retries: 3 },
  } }],
}

async function provisioning(db: Database, table: 'load_balancer' | 'listener' | 'pool' | 'member' | 'health_monitor') {
  const rows = await db.kysely.selectFrom(table).select('provisioning_status').execute()
  return rows.map((r) => r.provisioning_status).sort()
}

/** Sets up one job of `kind` through the API, left pending for the crashing worker. */
async function scenario(t: TestContext, engine: DatabaseEngine, kind: string): Promise<Scenario> {
  const handle = await openTestDatabase(engine)
  t.after(() => handle.drop())
  const { db, options } = handle
  await createTaskLog(db)
  const { app, settle, stop } = await api(db)
  const pendingJob = async () => (await db.kysely.selectFrom('jobs').select('id').where('state', '=', 'pending').executeTakeFirstOrThrow()).id
  if (kind === 'loadbalancer.create') {
    await stop()
    const { loadbalancer } = await call(app, 'POST', 'loadbalancers', { loadbalancer: FULL_GRAPH }) as { loadbalancer: Json }
    const lbId = String(loadbalancer.id)
    // Without its port network.allocate-vip allocates the VIP again: a real address allocation in the flow.
    await db.kysely.deleteFrom('ports').where('device_id', '=', lbId).execute()
    return {
      db, options, app, job: { id: await pendingJob() } as Job,
      check: async () => {
        assert.equal((await db.kysely.selectFrom('ports').select('id').where('device_id', '=', lbId).execute()).length, 1, 'one VIP port')
        for (const table of ['load_balancer', 'listener', 'pool', 'member', 'health_monitor'] as const) {
          assert.deepEqual(await provisioning(db, table), ['ACTIVE'], table)
        }
        const monitor = await db.kysely.selectFrom('health_monitor').select('operating_status').executeTakeFirstOrThrow()
        assert.equal(monitor.operating_status, 'ONLINE')
      },
    }
  }
  const { loadbalancer } = await call(app, 'POST', 'loadbalancers', { loadbalancer: FULL_GRAPH }) as { loadbalancer: Json }
  const lbId = String(loadbalancer.id)
  const poolId = String((loadbalancer.pools as Json[])[0]!.id)
  await settle()
  if (kind === 'member.batch_update') {
    await call(app, 'POST', `pools/${poolId}/members`, { member: { address: '127.0.0.11', protocol_port: 8080 } })
    await settle()
    await stop()
    // Keeps .10 (new weight), removes .11, adds .12.
    await call(app, 'PUT', `pools/${poolId}/members`, { members: [
      { address: '127.0.0.10', protocol_port: 8080, weight: 7 }, { address: '127.0.0.12', protocol_port: 8080 },
    ] })
    return {
      db, options, app, job: { id: await pendingJob() } as Job,
      check: async () => {
        const members = await db.kysely.selectFrom('member').select(['ip_address', 'weight', 'provisioning_status']).orderBy('ip_address').execute()
        assert.deepEqual(members, [
          { ip_address: '127.0.0.10', weight: 7, provisioning_status: 'ACTIVE' },
          { ip_address: '127.0.0.12', weight: 1, provisioning_status: 'ACTIVE' },
        ])
        for (const table of ['load_balancer', 'listener', 'pool'] as const) assert.deepEqual(await provisioning(db, table), ['ACTIVE'], table)
      },
    }
  }
  await stop()
  await call(app, 'DELETE', `loadbalancers/${lbId}?cascade=true`)
  return {
    db, options, app, job: { id: await pendingJob() } as Job,
    check: async () => {
      assert.deepEqual(await provisioning(db, 'load_balancer'), ['DELETED'])
      for (const table of ['listener', 'pool', 'member', 'health_monitor'] as const) assert.deepEqual(await provisioning(db, table), [], table)
      assert.deepEqual(await db.kysely.selectFrom('ports').select('id').where('device_id', '=', lbId).execute(), [], 'the VIP is released')
    },
  }
}

/** Runs the crashing worker until it says it froze, then SIGKILLs it. */
async function crashWorker(options: DatabaseOptions, after: number | 'external'): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
    env: { ...process.env, CRASH_DB: JSON.stringify(options), CRASH_AFTER: String(after) }, stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  const exited = new Promise<void>((done) => child.on('close', () => done()))
  await new Promise<void>((frozen, failed) => {
    child.stdout.on('data', (d: Buffer) => d.toString().includes('frozen') && frozen())
    void exited.then(() => failed(new Error(`crash worker exited before freezing:\n${stderr}`)))
  })
  child.kill('SIGKILL')
  await exited
}

/** Another worker (this process) finishes the job once the dead worker's lease has run out. */
async function finish(s: Scenario): Promise<Job> {
  const worker = startWorker({ context: createFlowContext({ db: s.db, clock: systemClock, log, subnets: config.networks }), flows: crashFlows(), ...CRASH_TIMINGS })
  try {
    for (;;) {
      const job = await s.db.kysely.selectFrom('jobs').selectAll().where('id', '=', s.job.id).executeTakeFirstOrThrow()
      if (job.state !== 'pending' && job.state !== 'running') return job as unknown as Job
      await new Promise((r) => setTimeout(r, 20))
    }
  } finally {
    await worker.stop()
  }
}

/** Runs `fn` over `items`, `limit` at a time. */
async function inBatches<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items]
  await Promise.all(Array.from({ length: limit }, async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await fn(item)
  }))
}

const CASES = CRASH_FLOWS_BASE.flatMap((base) => {
  const flowTasks = crashFlows().find((f) => f.kind === base.kind)!.tasks
  const tasks = flowTasks.map((x) => x.name)
  // The tasks the test log records: those with a database effect (the amphora tasks are external).
  const databaseTasks = flowTasks.filter((x) => x.effect === 'database').map((x) => x.name)
  // After the last task the job is already over: nothing to resume.
  return [...tasks.slice(0, -1).map((_, i) => i + 1), 'external' as const].map((after) => ({ kind: base.kind, tasks, databaseTasks, after }))
})

// SQLite only: the lease and journal statements are the same on the servers, where the engine
// tests (takeover, stale lease) and the multi-worker tests cover them; a process per crash point
// and a server database per case would cost more than they add.
for (const engine of ['sqlite'] as const) {
  test(`a worker killed after any task of LB create, member batch update or cascade delete: another finishes the job, each task once (${engine})`, async (t) => {
    const cases = CASES
    await inBatches(cases, 4, async ({ kind, databaseTasks, after }) => {
      const label = `${kind} killed ${after === 'external' ? 'inside the external task' : `after task ${after}`}`
      const s = await scenario(t, engine, kind)
      await crashWorker(s.options, after)
      const job = await finish(s)
      assert.equal(job.state, 'succeeded', `${label}: ${job.last_error ?? ''}`)
      assert.equal(job.attempts, 2, `${label}: claimed by the killed worker, then by the one that finished`)
      const log = await taskLog(s.db, s.job.id)
      assert.deepEqual(log.filter((name) => name !== 'test.allocate-address'), [...databaseTasks].sort(), `${label}: each database task exactly once`)
      const external = log.filter((name) => name === 'test.allocate-address').length
      assert.equal(external, after === 'external' ? 2 : 1, `${label}: the external task runs again only if killed before its journal entry`)
      assert.equal((await s.db.kysely.selectFrom('ports').select('id').where('device_id', '=', testDevice(s.job.id)).execute()).length, 1,
        `${label}: its address allocated once`)
      await s.check()
      await s.app.close()
    })
  })
}
