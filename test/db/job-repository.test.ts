import { test } from 'node:test'
import assert from 'node:assert/strict'
import { DuplicateEntry } from '../../src/db/errors.ts'
import { JobRepository, LeaseLost, type NewJob } from '../../src/db/repositories/job-repository.ts'
import { ENGINES, withTestDatabase } from '../helpers/test-database.ts'
import { TestClock } from '../helpers/test-clock.ts'

const LEASE_MS = 30_000

function job(n: number, overrides: Partial<NewJob> = {}): NewJob {
  return { kind: 'loadbalancer.create', target_type: 'loadbalancer', target_id: `lb-${n}`, load_balancer_id: `lb-${n}`, ...overrides }
}

for (const engine of ENGINES) {
  test(`job repository on ${engine}`, async (t) => {
    const db = await withTestDatabase(t, engine)
    const clock = new TestClock('2024-05-06T07:00:00.000Z')
    const jobs = new JobRepository(db, clock)
    // Each subtest leaves no job claimable behind it.
    const drain = async () => {
      await db.kysely.deleteFrom('jobs').execute()
    }

    await t.test('enqueue belongs to the caller transaction', async () => {
      const payload = { loadbalancer: { id: 'lb-1', vip_address: '127.64.0.2', listeners: [] }, flavor: null, n: 1.5, ok: true }
      const created = await db.transaction((trx) => jobs.enqueue(trx, job(1, { payload })))
      const stored = await jobs.get(created.id)
      assert.deepEqual(stored, {
        id: created.id, kind: 'loadbalancer.create', target_type: 'loadbalancer', target_id: 'lb-1', load_balancer_id: 'lb-1',
        payload, state: 'pending', attempts: 0, lease_owner: null, lease_expires_at: null, run_after: clock.now(), last_error: null,
        current_step: null, failed_step: null, created_at: clock.now(), updated_at: null,
      })
      await assert.rejects(db.transaction(async (trx) => {
        await jobs.enqueue(trx, job(2))
        throw new Error('API call failed')
      }), /API call failed/)
      assert.deepEqual((await jobs.listByLoadBalancer('lb-2')), [])
      await drain()
    })

    await t.test('claims due jobs in order, never one that is not due yet', async () => {
      await db.transaction(async (trx) => {
        await jobs.enqueue(trx, job(1, { id: 'job-later', run_after: new Date(clock.now().getTime() + 60_000) }))
        await jobs.enqueue(trx, job(2, { id: 'job-first', run_after: new Date(clock.now().getTime() - 2000) }))
        await jobs.enqueue(trx, job(3, { id: 'job-second' }))
      })
      const first = await jobs.claimNext('w1', LEASE_MS)
      assert.equal(first?.id, 'job-first')
      const second = await jobs.claimNext('w1', LEASE_MS)
      assert.equal(second?.id, 'job-second')
      assert.equal(second?.state, 'running')
      assert.equal(second?.attempts, 1)
      assert.deepEqual(second?.lease_expires_at, new Date(clock.now().getTime() + LEASE_MS))
      assert.equal(await jobs.claimNext('w1', LEASE_MS), undefined)
      assert.ok(await jobs.succeed('job-first', 'w1'))
      assert.ok(await jobs.succeed('job-second', 'w1'))
      clock.advance(60_000)
      assert.equal((await jobs.claimNext('w1', LEASE_MS))?.id, 'job-later')
      await drain()
    })

    await t.test('eight concurrent claimers never claim a job twice', async () => {
      await db.transaction(async (trx) => {
        for (let i = 0; i < 24; i++) await jobs.enqueue(trx, job(i))
      })
      const claimed: string[] = []
      await Promise.all(Array.from({ length: 8 }, async (_, w) => {
        for (;;) {
          const next = await jobs.claimNext(`worker-${w}`, LEASE_MS)
          if (!next) return
          claimed.push(next.id)
        }
      }))
      assert.equal(claimed.length, 24)
      assert.equal(new Set(claimed).size, 24)
      assert.deepEqual(await jobs.countByState(), { pending: 0, running: 24, succeeded: 0, failed: 0, reverted: 0 })
      await drain()
    })

    await t.test('several due jobs are claimed at once, oldest due first, and concurrent claimers still share them out', async () => {
      await db.transaction(async (trx) => {
        await jobs.enqueue(trx, job(1, { id: 'job-c' }))
        await jobs.enqueue(trx, job(2, { id: 'job-a', run_after: new Date(clock.now().getTime() - 2000) }))
        await jobs.enqueue(trx, job(3, { id: 'job-b', run_after: new Date(clock.now().getTime() - 1000) }))
        await jobs.enqueue(trx, job(4, { id: 'job-not-yet', run_after: new Date(clock.now().getTime() + 60_000) }))
      })
      const two = await jobs.claimDue('w1', LEASE_MS, 2)
      assert.deepEqual(two.map((j) => [j.id, j.state, j.lease_owner, j.attempts]), [['job-a', 'running', 'w1', 1], ['job-b', 'running', 'w1', 1]])
      assert.deepEqual((await jobs.claimDue('w2', LEASE_MS, 5)).map((j) => j.id), ['job-c'])
      assert.deepEqual(await jobs.claimDue('w2', LEASE_MS, 5), [])
      assert.equal((await jobs.get('job-b'))?.lease_owner, 'w1')
      await drain()

      await db.transaction(async (trx) => {
        for (let i = 0; i < 30; i++) await jobs.enqueue(trx, job(i))
      })
      const claimed: string[] = []
      await Promise.all(Array.from({ length: 4 }, async (_, w) => {
        for (;;) {
          const next = await jobs.claimDue(`worker-${w}`, LEASE_MS, 4)
          if (next.length === 0) return
          claimed.push(...next.map((j) => j.id))
        }
      }))
      assert.equal(claimed.length, 30)
      assert.equal(new Set(claimed).size, 30)
      await drain()
    })

    await t.test('an expired lease is taken over and the old owner can no longer write', async () => {
      const created = await db.transaction((trx) => jobs.enqueue(trx, job(7)))
      assert.equal((await jobs.claimNext('dead-worker', LEASE_MS))?.id, created.id)
      assert.equal(await jobs.recordStep(created.id, 'dead-worker', { index: 0, name: 'sentinel', result: null }), true)
      assert.equal(await jobs.claimNext('w2', LEASE_MS), undefined, 'a live lease is not taken over')
      assert.equal(await jobs.claim(created.id, 'w2', LEASE_MS), undefined)
      clock.advance(LEASE_MS + 1)
      const taken = await jobs.claimNext('w2', LEASE_MS)
      assert.equal(taken?.id, created.id)
      assert.equal(taken?.lease_owner, 'w2')
      assert.equal(taken?.attempts, 2)
      assert.equal(taken?.current_step, 'sentinel')
      assert.equal(await jobs.renewLease(created.id, 'dead-worker', LEASE_MS), false)
      assert.equal(await jobs.recordStep(created.id, 'dead-worker', { index: 1, name: 'network.plug-vip' }), false)
      assert.equal(await jobs.succeed(created.id, 'dead-worker'), false)
      assert.equal(await jobs.renewLease(created.id, 'w2', LEASE_MS), true)
      assert.equal(await jobs.succeed(created.id, 'w2'), true)
      const done = await jobs.get(created.id)
      assert.equal(done?.state, 'succeeded')
      assert.equal(done?.lease_owner, null)
      assert.deepEqual((await jobs.steps(created.id)).map((s) => s.step_name), ['sentinel'])
      await drain()
    })

    await t.test('the journal keeps step results and reverts; a step is journaled once', async () => {
      const created = await db.transaction((trx) => jobs.enqueue(trx, job(8)))
      await jobs.claim(created.id, 'w1', LEASE_MS)
      const port = { port: { id: 'p-1', ip_address: '127.64.0.5', fixed: [1, 2] } }
      assert.ok(await jobs.recordStep(created.id, 'w1', { index: 0, name: 'sentinel' }))
      clock.advance(5)
      assert.ok(await jobs.recordStep(created.id, 'w1', { index: 1, name: 'network.plug-vip', result: port }))
      await assert.rejects(jobs.recordStep(created.id, 'w1', { index: 1, name: 'network.plug-vip', result: port }), DuplicateEntry)
      clock.advance(5)
      await jobs.markReverted(db.kysely, created.id, 1)
      const steps = await jobs.steps(created.id)
      assert.deepEqual(steps, [
        { job_id: created.id, step_index: 0, step_name: 'sentinel', result: null,
          completed_at: new Date(clock.now().getTime() - 10), reverted_at: null },
        { job_id: created.id, step_index: 1, step_name: 'network.plug-vip', result: port,
          completed_at: new Date(clock.now().getTime() - 5), reverted_at: clock.now() },
      ])
      assert.ok(await jobs.fail(created.id, 'w1', { state: 'reverted', error: 'compute: no agent has capacity' }))
      const ended = await jobs.get(created.id)
      assert.equal(ended?.state, 'reverted')
      assert.equal(ended?.last_error, 'compute: no agent has capacity')
      await drain()
    })

    await t.test('retryLater hands the job back after its back-off', async () => {
      const created = await db.transaction((trx) => jobs.enqueue(trx, job(9)))
      await jobs.claim(created.id, 'w1', LEASE_MS)
      assert.ok(await jobs.retryLater(created.id, 'w1', { run_after: new Date(clock.now().getTime() + 10_000), error: 'agent unreachable' }))
      assert.equal(await jobs.claimNext('w2', LEASE_MS), undefined)
      clock.advance(10_000)
      const again = await jobs.claimNext('w2', LEASE_MS)
      assert.equal(again?.attempts, 2)
      assert.equal(again?.last_error, 'agent unreachable')
      await drain()
    })

    await t.test('work under the lease commits with its journal entry, or not at all once the lease is gone', async () => {
      const created = await db.transaction((trx) => jobs.enqueue(trx, job(10)))
      await jobs.claim(created.id, 'w1', LEASE_MS)
      await db.transaction(async (trx) => {
        await jobs.holdLease(trx, created.id, 'w1', LEASE_MS, 'loadbalancer.checkpoint')
        await jobs.journal(trx, created.id, { index: 0, name: 'loadbalancer.checkpoint' })
      })
      clock.advance(LEASE_MS + 1)
      assert.equal((await jobs.claimNext('w2', LEASE_MS))?.id, created.id)
      await assert.rejects(db.transaction(async (trx) => {
        await jobs.holdLease(trx, created.id, 'w1', LEASE_MS, 'loadbalancer.activate')
        await jobs.journal(trx, created.id, { index: 1, name: 'loadbalancer.activate' })
      }), LeaseLost)
      assert.deepEqual((await jobs.steps(created.id)).map((s) => s.step_name), ['loadbalancer.checkpoint'])
      assert.equal((await jobs.get(created.id))?.current_step, 'loadbalancer.checkpoint')

      assert.equal(await jobs.startRevert(created.id, 'w1', { failed_step: 'loadbalancer.activate', error: 'x' }), false)
      assert.ok(await jobs.startRevert(created.id, 'w2', { failed_step: 'loadbalancer.activate', error: 'database said no' }))
      assert.ok(await jobs.handBack(created.id, 'w2'))
      const back = await jobs.get(created.id)
      assert.deepEqual([back?.state, back?.attempts, back?.failed_step, back?.last_error, back?.lease_owner],
        ['pending', 1, 'loadbalancer.activate', 'database said no', null], 'a hand-back on shutdown does not count as an attempt')
      await drain()
    })

    await t.test('lists jobs newest first, by state and load balancer', async () => {
      await db.transaction(async (trx) => {
        await jobs.enqueue(trx, job(1, { id: 'j-old' }))
        clock.advance(1)
        await jobs.enqueue(trx, job(2, { id: 'j-new' }))
      })
      await jobs.claim('j-old', 'w1', LEASE_MS)
      assert.deepEqual((await jobs.list()).map((j) => j.id), ['j-new', 'j-old'])
      assert.deepEqual((await jobs.list({ state: 'running' })).map((j) => j.id), ['j-old'])
      assert.deepEqual((await jobs.list({ load_balancer_id: 'lb-2' })).map((j) => j.id), ['j-new'])
      assert.deepEqual((await jobs.list({ limit: 1 })).map((j) => j.id), ['j-new'])
      await drain()
    })
  })
}
