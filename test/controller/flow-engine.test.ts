import { test } from 'node:test'
import assert from 'node:assert/strict'
import { sql } from 'kysely'
import { createLogger } from '../../src/common/logger.ts'
import { FlowEngine, type JobControl } from '../../src/controller/flow-engine.ts'
import { flow, type Flow } from '../../src/controller/flow.ts'
import { createFlowContext } from '../../src/controller/flow-context.ts'
import { PermanentError } from '../../src/controller/permanent-error.ts'
import { checkpoint, databaseTask, externalTask, type Task } from '../../src/controller/task.ts'
import type { Database, Executor } from '../../src/db/database.ts'
import { DatabaseUnavailable } from '../../src/db/errors.ts'
import { JobRepository, type Job } from '../../src/db/repositories/job-repository.ts'
import { ENGINES, withTestDatabase } from '../helpers/test-database.ts'
import { TestClock } from '../helpers/test-clock.ts'

// The engine alone, driven job by job (no worker loop, no timers): what it journals, when it
// retries, how it reverts, and how a second worker carries on from the journal.

const LEASE_MS = 30_000
const RETRY = { attempts: 2, initialMs: 1000, backoffMs: 1000, maxMs: 5000 }
const running: JobControl = { stopping: () => false, lost: () => false }

/** Every execution and revert of the test tasks, as rows in the database (duplicates stay visible). */
async function createTaskLog(db: Database): Promise<void> {
  await db.kysely.schema.createTable('test_task_log')
    .addColumn('job_id', 'varchar(36)', (c) => c.notNull())
    .addColumn('entry', 'varchar(64)', (c) => c.notNull())
    .execute()
}

async function taskLog(db: Database, jobId: string): Promise<string[]> {
  // Insertion order: the engines keep it for a heap without deletes, and this table has no key.
  const { rows } = await sql<{ entry: string }>`select entry from test_task_log where job_id = ${jobId}`.execute(db.kysely)
  return rows.map((r) => r.entry)
}

function logEntry(db: Database, jobId: string, entry: string, trx?: Executor) {
  return sql`insert into test_task_log (job_id, entry) values (${jobId}, ${entry})`.execute(trx ?? db.kysely)
}

/** A database task that logs itself in its own transaction (so its log entry commits with its journal entry). */
function recorded(name: string, db: Database, options: { fail?: () => Error | undefined; revert?: boolean } = {}): Task {
  return databaseTask(name, async (trx, { job }) => {
    await logEntry(db, job.id, name, trx)
    const err = options.fail?.()
    if (err) throw err
    return { done: name }
  }, options.revert === false ? undefined : async (trx, { job }, result) => {
    assert.deepEqual(result, { done: name }, 'a revert gets its task\'s journaled result')
    await logEntry(db, job.id, `revert ${name}`, trx)
  })
}

/** An external task: its log entry is written outside the journal's transaction, as a driver call would be. */
function external(name: string, db: Database, options: { fail?: () => Error | undefined } = {}): Task {
  return externalTask(name, async ({ job }) => {
    await logEntry(db, job.id, name)
    const err = options.fail?.()
    if (err) throw err
    return { done: name }
  }, async ({ job }, result) => {
    await logEntry(db, job.id, `revert ${name}${result === null ? ' (failed)' : ''}`)
  })
}

function failTimes(n: number, make: () => Error): () => Error | undefined {
  let left = n
  return () => (left-- > 0 ? make() : undefined)
}

for (const engine of ENGINES) {
  test(`flow engine on ${engine}`, async (t) => {
    const db = await withTestDatabase(t, engine)
    await createTaskLog(db)
    const clock = new TestClock('2024-05-06T07:00:00.000Z')
    const jobs = new JobRepository(db, clock)
    const context = createFlowContext({ db, clock, log: createLogger({ level: 'silent' }) })
    const engineFor = (flows: Flow[], owner = 'w1', extra: Partial<ConstructorParameters<typeof FlowEngine>[0]> = {}) =>
      new FlowEngine({ context, flows, owner, leaseMs: LEASE_MS, taskRetry: RETRY, databaseRetry: { ...RETRY, initialMs: 0, backoffMs: 0 }, sleep: async () => {}, ...extra })
    let n = 0
    const queue = async (kind: string): Promise<Job> => db.transaction((trx) => jobs.enqueue(trx, { kind, target_type: 'loadbalancer', target_id: `lb-${++n}`, load_balancer_id: `lb-${n}` }))
    const claim = async (id: string, owner = 'w1'): Promise<Job> => {
      const job = await jobs.claim(id, owner, LEASE_MS)
      assert.ok(job, `${owner} claims ${id}`)
      return job
    }
    const revertLog = (names: string[]) => names.map((name) => `revert ${name}`)
    // Each task in a transaction of its own, as a test that stops a job between two tasks needs.
    const eachAlone = { pauseAfter: () => true }
    /** A view of the database that counts the transactions begun through it. */
    const countTransactions = () => {
      let count = 0
      const counting: Database = Object.create(db) as Database
      counting.transaction = (fn) => {
        count++
        return db.transaction(fn)
      }
      return { db: counting, count: () => count }
    }

    await t.test('runs every task once, journals each with its result, and the last task\'s transaction ends the job', async () => {
      const f = flow('test.forward', [recorded('a', db), external('b', db), recorded('c', db)])
      const job = await queue(f.kind)
      assert.equal(await engineFor([f]).run(await claim(job.id), running), 'succeeded')
      assert.deepEqual(await taskLog(db, job.id), ['a', 'b', 'c'])
      const steps = await jobs.steps(job.id)
      assert.deepEqual(steps.map((s) => [s.step_index, s.step_name, s.result, s.reverted_at]),
        [[0, 'a', { done: 'a' }, null], [1, 'b', { done: 'b' }, null], [2, 'c', { done: 'c' }, null]])
      const ended = await jobs.get(job.id)
      assert.deepEqual([ended?.state, ended?.current_step, ended?.lease_owner, ended?.last_error], ['succeeded', 'c', null, null])
    })

    await t.test('a transient failure hands the job back with back-off; the next attempt resumes after the journal', async () => {
      const f = flow('test.flaky', [recorded('a', db), recorded('b', db, { fail: failTimes(1, () => new Error('agent unreachable')) }), external('c', db)])
      const job = await queue(f.kind)
      assert.equal(await engineFor([f]).run(await claim(job.id), running), 'retry')
      const waiting = await jobs.get(job.id)
      assert.deepEqual([waiting?.state, waiting?.run_after, waiting?.last_error, waiting?.failed_step],
        ['pending', new Date(clock.now().getTime() + RETRY.initialMs), 'b: agent unreachable', null])
      assert.equal(await jobs.claim(job.id, 'w2', LEASE_MS), undefined, 'not before its back-off')
      clock.advance(RETRY.initialMs)
      assert.equal(await engineFor([f], 'w2').run(await claim(job.id, 'w2'), running), 'succeeded')
      // b's first execution rolled back with its transaction: its log entry went too.
      assert.deepEqual(await taskLog(db, job.id), ['a', 'b', 'c'])
      assert.equal((await jobs.get(job.id))?.attempts, 2)
    })

    await t.test('a permanent failure reverts the journaled tasks in reverse order and keeps the reason on the job', async () => {
      const f = flow('test.permanent', [
        recorded('a', db), external('b', db), recorded('c', db, { revert: false }), recorded('d', db),
        external('e', db, { fail: () => new PermanentError('no agent has capacity') }), recorded('never', db),
      ])
      const job = await queue(f.kind)
      assert.equal(await engineFor([f]).run(await claim(job.id), running), 'reverted')
      assert.deepEqual(await taskLog(db, job.id), ['a', 'b', 'c', 'd', 'e', 'revert e (failed)', 'revert d', 'revert b', 'revert a'])
      const ended = await jobs.get(job.id)
      assert.deepEqual([ended?.state, ended?.failed_step, ended?.last_error, ended?.lease_owner], ['reverted', 'e', 'no agent has capacity', null])
      const steps = await jobs.steps(job.id)
      assert.deepEqual(steps.map((s) => [s.step_name, s.reverted_at !== null]), [['a', true], ['b', true], ['c', false], ['d', true], ['e', true]])
    })

    await t.test('a failed database task leaves nothing of its own: its transaction rolled back', async () => {
      const f = flow('test.rollback', [recorded('a', db), recorded('b', db, { fail: () => new PermanentError('constraint') })])
      const job = await queue(f.kind)
      assert.equal(await engineFor([f], 'w1', { observer: eachAlone }).run(await claim(job.id), running), 'reverted')
      assert.deepEqual(await taskLog(db, job.id), ['a', 'revert a'])
    })

    await t.test('consecutive database tasks and the external tasks a job skips commit in one transaction with their journal', async () => {
      let executedSkipped = 0
      const skippable = externalTask('s', async () => void executedSkipped++, undefined, async () => ({ skipped: true }))
      const f = flow('test.shared', [recorded('a', db), skippable, recorded('b', db), external('e', db), recorded('c', db), recorded('d', db)])
      const job = await queue(f.kind)
      const transactions = countTransactions()
      assert.equal(await engineFor([f], 'w1', { context: { ...context, db: transactions.db } }).run(await claim(job.id), running), 'succeeded')
      // a+s+b, e's journal entry, c+d with the job's end.
      assert.equal(transactions.count(), 3)
      assert.equal(executedSkipped, 0, 'a skipped task is not executed')
      assert.deepEqual(await taskLog(db, job.id), ['a', 'b', 'e', 'c', 'd'])
      const steps = await jobs.steps(job.id)
      assert.deepEqual(steps.map((s) => [s.step_index, s.step_name, s.result]),
        [[0, 'a', { done: 'a' }], [1, 's', { skipped: true }], [2, 'b', { done: 'b' }], [3, 'e', { done: 'e' }], [4, 'c', { done: 'c' }], [5, 'd', { done: 'd' }]])
      assert.deepEqual([(await jobs.get(job.id))?.state, (await jobs.get(job.id))?.current_step], ['succeeded', 'd'])
    })

    await t.test('a task failing in a shared transaction: the tasks before it commit again on their own, then are reverted', async () => {
      let bRuns = 0
      const f = flow('test.shared-failure', [checkpoint('k', async (trx, { job }) => void (await logEntry(db, job.id, 'revert k', trx))),
        recorded('a', db), recorded('b', db, { fail: () => (++bRuns, new PermanentError('constraint')) }), recorded('never', db)])
      const job = await queue(f.kind)
      assert.equal(await engineFor([f]).run(await claim(job.id), running), 'reverted')
      assert.equal(bRuns, 1, 'the failed task is not run again')
      // a's first run rolled back with b's failure (its log entry too); its second committed.
      assert.deepEqual(await taskLog(db, job.id), ['a', 'revert a', 'revert k'])
      const steps = await jobs.steps(job.id)
      assert.deepEqual(steps.map((s) => [s.step_name, s.reverted_at !== null]), [['k', true], ['a', true]])
      const ended = await jobs.get(job.id)
      assert.deepEqual([ended?.state, ended?.failed_step, ended?.last_error], ['reverted', 'b', 'constraint'])
    })

    await t.test('transient failures become a revert when the retries are used up', async () => {
      const f = flow('test.exhausted', [recorded('a', db), external('b', db, { fail: () => new Error('still down') })])
      const job = await queue(f.kind)
      const outcomes = []
      for (let attempt = 1; attempt <= RETRY.attempts + 1; attempt++) {
        outcomes.push(await engineFor([f]).run(await claim(job.id), running))
        clock.advance(RETRY.maxMs)
      }
      assert.deepEqual(outcomes, ['retry', 'retry', 'reverted'])
      assert.deepEqual(await taskLog(db, job.id), ['a', 'b', 'b', 'b', 'revert b (failed)', 'revert a'])
      assert.equal((await jobs.get(job.id))?.last_error, 'still down')
    })

    await t.test('a worker that takes a job over continues forward, or continues the revert, from the journal', async () => {
      const f = flow('test.takeover', [recorded('a', db), recorded('b', db), recorded('c', db, { fail: () => new PermanentError('bad') }), recorded('d', db)])
      // w1 loses its lease after task a: it stops at the boundary; w2 resumes at b.
      let lostAfterFirst = false
      const control: JobControl = { stopping: () => false, lost: () => lostAfterFirst }
      const onFirst = { ...eachAlone, taskDone: () => void (lostAfterFirst = true) }
      const job = await queue(f.kind)
      assert.equal(await engineFor([f], 'w1', { observer: onFirst }).run(await claim(job.id), control), 'lost')
      clock.advance(LEASE_MS + 1)
      // w2 fails at c and loses its lease after the first revert (b); w3 finishes the revert.
      let reverts = 0
      const lostAfterRevert: JobControl = { stopping: () => false, lost: () => reverts > 0 }
      const countReverts = { ...eachAlone, taskDone: (_job: Job, _task: Task, phase: string) => void (phase === 'revert' && reverts++) }
      assert.equal(await engineFor([f], 'w2', { observer: countReverts }).run(await claim(job.id, 'w2'), lostAfterRevert), 'lost')
      assert.equal((await jobs.get(job.id))?.failed_step, 'c')
      clock.advance(LEASE_MS + 1)
      assert.equal(await engineFor([f], 'w3').run(await claim(job.id, 'w3'), running), 'reverted')
      assert.deepEqual(await taskLog(db, job.id), ['a', 'b', ...revertLog(['b', 'a'])])
    })

    await t.test('a worker whose lease was taken over cannot commit a task', async () => {
      const f = flow('test.stale', [recorded('a', db), recorded('b', db)])
      const job = await queue(f.kind)
      const stale = await claim(job.id)
      clock.advance(LEASE_MS + 1)
      await claim(job.id, 'w2')
      assert.equal(await engineFor([f]).run(stale, running), 'lost')
      assert.deepEqual(await taskLog(db, job.id), [], 'the stale worker\'s task rolled back')
      assert.equal(await engineFor([f], 'w2').run((await jobs.get(job.id))!, running), 'succeeded')
      assert.deepEqual(await taskLog(db, job.id), ['a', 'b'])
    })

    await t.test('on shutdown the job is handed back at the next task boundary, without counting the attempt', async () => {
      const f = flow('test.stop', [recorded('a', db), recorded('b', db)])
      let stopping = false
      const job = await queue(f.kind)
      const outcome = await engineFor([f], 'w1', { observer: { ...eachAlone, taskDone: () => void (stopping = true) } })
        .run(await claim(job.id), { stopping: () => stopping, lost: () => false })
      assert.equal(outcome, 'handed-back')
      const back = await jobs.get(job.id)
      assert.deepEqual([back?.state, back?.attempts, back?.lease_owner], ['pending', 0, null])
      assert.equal(await engineFor([f], 'w2').run(await claim(job.id, 'w2'), running), 'succeeded')
      assert.deepEqual(await taskLog(db, job.id), ['a', 'b'])
    })

    await t.test('a database outage is retried in place, not counted as a task failure', async () => {
      const f = flow('test.outage', [recorded('a', db, { fail: failTimes(2, () => new DatabaseUnavailable(db.target, 'ECONNREFUSED')) })])
      const job = await queue(f.kind)
      assert.equal(await engineFor([f]).run(await claim(job.id), running), 'succeeded')
      const ended = await jobs.get(job.id)
      assert.deepEqual([ended?.state, ended?.attempts], ['succeeded', 1])
    })

    await t.test('a revert that fails does not stop the earlier reverts; the job ends failed', async () => {
      const brokenRevert = databaseTask('b', async () => ({}), async () => { throw new PermanentError('cannot undo') })
      const f = flow('test.revert-fails', [checkpoint('a', async (trx, { job }) => void (await logEntry(db, job.id, 'revert a', trx))), brokenRevert,
        recorded('c', db, { fail: () => new PermanentError('bad') })])
      const job = await queue(f.kind)
      assert.equal(await engineFor([f], 'w1', { observer: eachAlone }).run(await claim(job.id), running), 'failed')
      assert.deepEqual(await taskLog(db, job.id), ['revert a'])
      assert.equal((await jobs.get(job.id))?.state, 'failed')
    })

    await t.test('with task_flow.disable_revert a failed job ends failed and nothing is reverted', async () => {
      const f = flow('test.no-revert', [recorded('a', db), recorded('b', db, { fail: () => new PermanentError('bad') })])
      const job = await queue(f.kind)
      assert.equal(await engineFor([f], 'w1', { disableRevert: true, observer: eachAlone }).run(await claim(job.id), running), 'failed')
      assert.deepEqual(await taskLog(db, job.id), ['a'])
    })

    await t.test('a job of an unknown kind ends failed', async () => {
      const job = await queue('test.unknown')
      assert.equal(await engineFor([]).run(await claim(job.id), running), 'failed')
      assert.equal((await jobs.get(job.id))?.last_error, 'no flow named test.unknown')
    })
  })
}
