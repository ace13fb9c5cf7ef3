import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { sql } from 'kysely'
import { createApiDeps } from '../../src/api/v2/api-deps.ts'
import { systemClock } from '../../src/common/clock.ts'
import { createLogger } from '../../src/common/logger.ts'
import { DEFAULT_SUBNET_ID } from '../../src/config/defaults.ts'
import { loadConfig } from '../../src/config/load-config.ts'
import { flow } from '../../src/controller/flow.ts'
import { createFlowContext } from '../../src/controller/flow-context.ts'
import { ALL_FLOWS } from '../../src/controller/flows/all-flows.ts'
import { RabbitmqQueue } from '../../src/controller/queue/rabbitmq-queue.ts'
import { databaseTask } from '../../src/controller/task.ts'
import { startWorker, type Worker, type WorkerOptions } from '../../src/controller/worker.ts'
import { createDatabase } from '../../src/db/create-database.ts'
import type { Database } from '../../src/db/database.ts'
import type { DatabaseOptions } from '../../src/db/database-options.ts'
import { JobRepository } from '../../src/db/repositories/job-repository.ts'
import { v2Api } from '../helpers/api-harness.ts'
import { openTestDatabase } from '../helpers/test-database.ts'
import { withTestQueue, withTestVhost } from '../helpers/rabbitmq-test-broker.ts'
import type { RabbitmqOptions } from '../../src/controller/queue/probe-rabbitmq.ts'

// Several workers, each with its own database pool and its own broker connection as separate
// processes would have, sharing one jobs table and one RabbitMQ queue.

const log = createLogger({ level: 'silent' })
const { config } = loadConfig({ files: [], env: {} })
const RETRY = { attempts: 3, initialMs: 50, backoffMs: 50, maxMs: 200 }

/** Three database tasks that record each execution; the record commits only with its task. */
const COUNTED = flow('test.counted', ['one', 'two', 'three'].map((name) => databaseTask(`test.${name}`, async (trx, { job }) => {
  await sql`insert into test_task_log (job_id, task) values (${job.id}, ${name})`.execute(trx)
})))

async function createTaskLog(db: Database): Promise<void> {
  await db.kysely.schema.createTable('test_task_log')
    .addColumn('job_id', 'varchar(36)', (c) => c.notNull())
    .addColumn('task', 'varchar(64)', (c) => c.notNull())
    .execute()
}

interface Fleet {
  workers: Worker[]
  queues: RabbitmqQueue[]
  /** Jobs each worker ran to the end. */
  ran: number[]
  /** Announcements each worker received. */
  delivered: number[]
}

/** `n` workers, each with its own pool and broker connection, stopped (and closed) when the test ends. */
async function startFleet(t: TestContext, n: number, options: {
  dbOptions: DatabaseOptions; broker: RabbitmqOptions; queue?: string; settings: Pick<WorkerOptions, 'pollMs' | 'leaseMs' | 'flows'>
}): Promise<Fleet> {
  const fleet: Fleet = { workers: [], queues: [], ran: Array(n).fill(0), delivered: Array(n).fill(0) }
  for (let i = 0; i < n; i++) {
    const db = createDatabase(options.dbOptions)
    const queue = new RabbitmqQueue({ broker: options.broker, ...(options.queue ? { queue: options.queue } : {}), log, reconnectMs: { first: 50, last: 300 } })
    queue.listen(() => fleet.delivered[i]!++)
    const worker = startWorker({
      context: createFlowContext({ db, clock: systemClock, log, subnets: config.networks }),
      queue, concurrency: 5, taskRetry: RETRY, databaseRetry: RETRY, ...options.settings,
      observer: { jobEnded: (_job, outcome) => void (outcome === 'succeeded' && fleet.ran[i]!++) },
    })
    fleet.workers.push(worker)
    fleet.queues.push(queue)
    t.after(async () => {
      await worker.stop()
      await queue.close()
      await db.close()
    })
    await queue.whenConnected()
  }
  return fleet
}

async function waitForJobs(jobs: JobRepository, what: string): Promise<void> {
  for (let i = 0; i < 6000; i++) {
    const { pending, running } = await jobs.countByState()
    if (pending + running === 0) return
    await new Promise((r) => setTimeout(r, 10))
  }
  assert.fail(`${what}: jobs still pending or running`)
}

for (const engine of ['mysql', 'postgresql'] as const) {
  test(`two, then four workers on ${engine} with RabbitMQ: 200 concurrent jobs each, every job run once, none left`, async (t) => {
    const handle = await openTestDatabase(engine)
    t.after(() => handle.drop())
    const { db, options: dbOptions } = handle
    await createTaskLog(db)
    const { broker, queue } = withTestQueue(t)
    const jobs = new JobRepository(db, systemClock)
    const announcer = new RabbitmqQueue({ broker, queue, log })
    t.after(() => announcer.close())
    await announcer.whenConnected()

    for (const n of [2, 4]) {
      // A poll interval far longer than the test: the jobs are found through the queue's messages.
      const fleet = await startFleet(t, n, { dbOptions, broker, queue, settings: { flows: [COUNTED], pollMs: 600_000, leaseMs: 5000 } })
      const ids = await db.transaction(async (trx) => {
        const made = []
        for (let i = 0; i < 200; i++) made.push((await jobs.enqueue(trx, { kind: COUNTED.kind, target_type: 'test', target_id: `t-${n}-${i}` })).id)
        return made
      })
      for (const id of ids) announcer.announce(id)
      await waitForJobs(jobs, `${n} workers`)
      const states = await db.kysely.selectFrom('jobs').select(['state', 'attempts']).where('id', 'in', ids).execute()
      assert.deepEqual([...new Set(states.map((s) => `${s.state}/${s.attempts}`))], ['succeeded/1'], 'each job claimed once and done')
      const { rows: runs } = await sql<{ job_id: string; n: number }>`select job_id, count(*) as n from test_task_log group by job_id`.execute(db.kysely)
      assert.equal(runs.filter((r) => ids.includes(r.job_id)).length, 200)
      assert.ok(runs.every((r) => Number(r.n) === 3), 'each task of each job ran exactly once')
      // Stopped first: a worker counts a job just after the commit that ended it.
      for (const worker of fleet.workers) await worker.stop()
      assert.equal(fleet.ran.reduce((a, b) => a + b, 0), 200)
      assert.ok(fleet.ran.filter((r) => r > 0).length >= 2, `the work is shared (${fleet.ran.join(', ')})`)
      assert.ok(fleet.delivered.every((d) => d > 0), `every worker takes messages (${fleet.delivered.join(', ')})`)
    }
  })
}

test('broker down (its vhost deleted), load balancers created, broker back: everything converges on postgresql', async (t) => {
  const handle = await openTestDatabase('postgresql')
  t.after(() => handle.drop())
  const { db, options: dbOptions } = handle
  const vhost = await withTestVhost(t)
  const jobs = new JobRepository(db, systemClock)
  const announcer = new RabbitmqQueue({ broker: vhost.broker, log, reconnectMs: { first: 50, last: 300 } })
  t.after(() => announcer.close())
  const deps = createApiDeps(config, db, systemClock, (id) => id !== undefined && announcer.announce(id))
  const app = v2Api(t, deps, db)
  await announcer.whenConnected()
  // A short poll: announcements made while the broker is away are lost, and polling finds those jobs.
  const fleet = await startFleet(t, 2, { dbOptions, broker: vhost.broker, settings: { flows: ALL_FLOWS, pollMs: 200, leaseMs: 5000 } })
  const createLoadBalancers = async (n: number) => {
    const ids: string[] = []
    for (let i = 0; i < n; i++) {
      const res = await app.inject({ method: 'POST', url: '/v2/lbaas/loadbalancers', payload: { loadbalancer: { vip_subnet_id: DEFAULT_SUBNET_ID } } })
      assert.equal(res.statusCode, 201, res.body)
      ids.push(String((res.json() as { loadbalancer: { id: string } }).loadbalancer.id))
    }
    return ids
  }
  const allActive = async (ids: string[]) => {
    const rows = await db.kysely.selectFrom('load_balancer').select('provisioning_status').where('id', 'in', ids).execute()
    assert.deepEqual([...new Set(rows.map((r) => r.provisioning_status))], ['ACTIVE'])
  }

  const before = await createLoadBalancers(10)
  await waitForJobs(jobs, 'before the outage')
  await allActive(before)

  await vhost.remove()
  const during = await createLoadBalancers(10)
  await waitForJobs(jobs, 'with the broker away')
  await allActive(during)

  await vhost.restore()
  await Promise.all([announcer, ...fleet.queues].map((q) => q.whenConnected()))
  const delivered = fleet.delivered.reduce((a, b) => a + b, 0)
  const after = await createLoadBalancers(10)
  await waitForJobs(jobs, 'after the broker came back')
  await allActive(after)
  assert.ok(fleet.delivered.reduce((a, b) => a + b, 0) > delivered, 'the workers are consuming again')
  const states = await jobs.countByState()
  assert.deepEqual(states, { pending: 0, running: 0, succeeded: 30, failed: 0, reverted: 0 })
})
