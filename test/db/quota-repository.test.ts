import { test } from 'node:test'
import assert from 'node:assert/strict'
import { QuotaExceeded } from '../../src/db/errors.ts'
import { QuotaRepository } from '../../src/db/repositories/quota-repository.ts'
import { ENGINES, withTestDatabase } from '../helpers/test-database.ts'

for (const engine of ENGINES) {
  test(`quota repository on ${engine}`, async (t) => {
    const db = await withTestDatabase(t, engine)
    const quotas = new QuotaRepository(db)

    await t.test('set stores the given kinds, reset nulls them all', async () => {
      assert.equal(await quotas.get('p-set'), undefined)
      assert.equal(await quotas.reset('p-set'), false)
      const stored = await quotas.set('p-set', { load_balancer: 5, member: -1 })
      assert.deepEqual(stored, {
        project_id: 'p-set', load_balancer: 5, listener: null, pool: null, health_monitor: null, member: -1, l7policy: null, l7rule: null,
        in_use_load_balancer: 0, in_use_listener: 0, in_use_pool: 0, in_use_health_monitor: 0, in_use_member: 0,
        in_use_l7policy: 0, in_use_l7rule: 0,
      })
      assert.equal((await quotas.set('p-set', { load_balancer: null, pool: 0 })).load_balancer, null)
      assert.equal(await quotas.reset('p-set'), true)
      const reset = await quotas.get('p-set')
      assert.equal(reset?.pool, null)
      assert.equal(reset?.member, null)
      assert.deepEqual((await quotas.list()).map((q) => q.project_id), ['p-set'])
    })

    await t.test('reserve counts against the stored limit or the default, and refuses past it', async () => {
      await quotas.set('p-res', { listener: 2 })
      await db.transaction((trx) => quotas.reserve(trx, 'p-res', 'listener', 2, -1))
      await assert.rejects(db.transaction((trx) => quotas.reserve(trx, 'p-res', 'listener', 1, -1)),
        (error: unknown) => error instanceof QuotaExceeded && error.limit === 2 && error.in_use === 2)
      await quotas.release('p-res', 'listener', 1)
      await db.transaction((trx) => quotas.reserve(trx, 'p-res', 'listener', 1, -1))
      // No record yet: one is created and the default applies.
      await db.transaction((trx) => quotas.reserve(trx, 'p-new', 'pool', 3, 3))
      await assert.rejects(db.transaction((trx) => quotas.reserve(trx, 'p-new', 'pool', 1, 3)), QuotaExceeded)
      await quotas.release('p-new', 'pool', 10)
      assert.equal((await quotas.get('p-new'))?.in_use_pool, 0)
    })

    await t.test('concurrent reservations never exceed the limit', async () => {
      await quotas.set('p-race', { member: 5 })
      const outcomes = await Promise.allSettled(Array.from({ length: 12 }, () =>
        db.transaction((trx) => quotas.reserve(trx, 'p-race', 'member', 1, -1))))
      assert.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 5)
      for (const o of outcomes) if (o.status === 'rejected') assert.ok(o.reason instanceof QuotaExceeded, String(o.reason))
      assert.equal((await quotas.get('p-race'))?.in_use_member, 5)
    })

    await t.test('concurrent first uses of a project create one record', async () => {
      await Promise.all(Array.from({ length: 8 }, () => db.transaction((trx) => quotas.reserve(trx, 'p-first', 'l7rule', 1, -1))))
      assert.equal((await quotas.get('p-first'))?.in_use_l7rule, 8)
    })
  })
}
