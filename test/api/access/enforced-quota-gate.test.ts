import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { FastifyRequest } from 'fastify'
import { sql } from 'kysely'
import { EnforcedQuotaGate } from '../../../src/api/access/enforced-quota-gate.ts'
import { InvalidInput, QuotaExceeded, ServiceUnavailable } from '../../../src/common/errors.ts'
import { loadConfig } from '../../../src/config/load-config.ts'
import { LoadBalancerRepository } from '../../../src/db/repositories/load-balancer-repository.ts'
import { QuotaRepository } from '../../../src/db/repositories/quota-repository.ts'
import { seedPool } from '../../helpers/db-seed.ts'
import { ENGINES, withTestDatabase } from '../../helpers/test-database.ts'
import { TestClock } from '../../helpers/test-clock.ts'

const SUBNET = '317aef40-ef77-4a2d-b4e2-234d69f0eaf9'
const NETWORK = '82a9e159-989e-4ebf-8b49-19ca399c16fe'
// The gate does not look at the request (the project is passed in).
const req = {} as FastifyRequest

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = () => {}
  const promise = new Promise<void>((r) => (resolve = r))
  return { promise, resolve }
}

for (const engine of ENGINES) {
  test(`enforced quota gate on ${engine}`, async (t) => {
    const db = await withTestDatabase(t, engine)
    const { config } = loadConfig({ files: [], env: {}, sets: ['octavia.quotas.default_pool_quota=2'] })
    const gate = new EnforcedQuotaGate(db, config.quotas)
    const quotas = new QuotaRepository(db)
    const lbs = new LoadBalancerRepository(db, new TestClock('2024-05-06T07:08:09.123Z'))
    const lb = await lbs.create({
      project_id: 'owner', name: null, description: null, topology: 'SINGLE', provider: 'amphora',
      vip: { ip_address: '127.64.0.2', port_id: null, subnet_id: SUBNET, network_id: NETWORK },
    })
    /** One create as a route does it: the gate, then the insert, in one transaction. */
    const createPools = (projectId: string, count = 1) => db.transaction(async (trx) => {
      await gate.consume(trx, req, projectId, 'pool', count)
      for (let i = 0; i < count; i++) await seedPool(trx, lb.id, { project_id: projectId })
    })
    const isQuota = (label: string) => (err: unknown) => err instanceof QuotaExceeded && err.message === `Quota has been met for resources: ${label}`

    await t.test('the default applies without a record; the first use creates an all-default one', async () => {
      await createPools('p-default', 2)
      await assert.rejects(createPools('p-default'), isQuota('Pool'))
      assert.equal(await quotas.countInUse('p-default', 'pool'), 2)
      const record = await quotas.get('p-default')
      assert.deepEqual([record?.pool, record?.load_balancer, record?.in_use_pool], [null, null, 0])
    })

    await t.test('a stored limit wins over the default; -1 is unlimited; 0 allows none; a batch counts whole', async () => {
      await quotas.set('p-set', { pool: 3, member: 0, health_monitor: -1 })
      await assert.rejects(createPools('p-set', 4), isQuota('Pool'))
      assert.equal(await quotas.countInUse('p-set', 'pool'), 0)
      await createPools('p-set', 3)
      await assert.rejects(db.transaction((trx) => gate.consume(trx, req, 'p-set', 'member', 1)), isQuota('Member'))
      await db.transaction((trx) => gate.consume(trx, req, 'p-set', 'health_monitor', 1_000_000))
      // Nothing to create checks nothing, even at a limit of 0.
      await db.transaction((trx) => gate.consume(trx, req, 'p-set', 'member', 0))
      // Every other kind keeps its default: unlimited.
      await db.transaction((trx) => gate.consume(trx, req, 'p-set', 'l7rule', 1_000_000))
    })

    await t.test('DELETED objects no longer count; PENDING_DELETE ones still do', async () => {
      await quotas.set('p-del', { pool: 1 })
      await createPools('p-del')
      await db.kysely.updateTable('pool').set({ provisioning_status: 'PENDING_DELETE' }).where('project_id', '=', 'p-del').execute()
      await assert.rejects(createPools('p-del'), isQuota('Pool'))
      await db.kysely.updateTable('pool').set({ provisioning_status: 'DELETED' }).where('project_id', '=', 'p-del').execute()
      await createPools('p-del')
    })

    await t.test('an object without an owner project is refused with 400, as upstream\'s quota check does', async () => {
      const missing = 'Validation failure: Missing project ID in request where one is required. An administrator should check the keystone settings in the Octavia configuration.'
      for (const projectId of [null, '']) {
        await assert.rejects(db.transaction((trx) => gate.consume(trx, req, projectId, 'pool', 1)),
          (err: unknown) => err instanceof InvalidInput && err.message === missing)
      }
    })

    await t.test('concurrent creates at the limit never exceed it', async () => {
      await quotas.set('p-race', { pool: 5 })
      const outcomes = await Promise.allSettled(Array.from({ length: 12 }, () => createPools('p-race')))
      for (const o of outcomes) if (o.status === 'rejected') assert.ok(isQuota('Pool')(o.reason), String(o.reason))
      assert.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 5)
      assert.equal(await quotas.countInUse('p-race', 'pool'), 5)
    })

    // SQLite runs one writing transaction at a time (BEGIN IMMEDIATE), so these interleavings cannot happen there.
    if (engine === 'sqlite') return

    await t.test('the count sees objects committed after the transaction\'s first read (READ COMMITTED)', async () => {
      await quotas.set('p-snap', { pool: 1 })
      const read = deferred()
      const committed = deferred()
      const late = db.transaction(async (trx) => {
        // A read before the lock: under InnoDB's REPEATABLE READ this would fix the snapshot here.
        await trx.selectFrom('pool').select('id').where('project_id', '=', 'p-snap').execute()
        read.resolve()
        await committed.promise
        await gate.consume(trx, req, 'p-snap', 'pool', 1)
        await seedPool(trx, lb.id, { project_id: 'p-snap' })
      })
      await read.promise
      await createPools('p-snap')
      committed.resolve()
      await assert.rejects(late, isQuota('Pool'))
      assert.equal(await quotas.countInUse('p-snap', 'pool'), 1)
    })

    await t.test('a project lock held too long is 503 "Project busy"', async () => {
      const locked = deferred()
      const release = deferred()
      const holder = db.transaction(async (trx) => {
        await quotas.lockForUpdate(trx, 'p-busy')
        locked.resolve()
        await release.promise
      })
      await locked.promise
      const waiter = db.transaction(async (trx) => {
        // The shortest lock wait each engine allows, for this transaction only.
        await sql.raw(engine === 'mysql' ? 'set session innodb_lock_wait_timeout = 1' : "set local lock_timeout = '100ms'").execute(trx)
        try {
          await gate.consume(trx, req, 'p-busy', 'pool', 1)
        } finally {
          if (engine === 'mysql') await sql.raw('set session innodb_lock_wait_timeout = default').execute(trx)
        }
      })
      await assert.rejects(waiter, (err: unknown) => err instanceof ServiceUnavailable
        && err.message === 'Project busy.  Unable to lock the project.  Please try again.')
      release.resolve()
      await holder
    })
  })
}
