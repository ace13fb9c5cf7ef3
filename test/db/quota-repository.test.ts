import { test } from 'node:test'
import assert from 'node:assert/strict'
import { LoadBalancerRepository } from '../../src/db/repositories/load-balancer-repository.ts'
import { QuotaRepository } from '../../src/db/repositories/quota-repository.ts'
import { seedHealthMonitor, seedMember, seedPool } from '../helpers/db-seed.ts'
import { ENGINES, withTestDatabase } from '../helpers/test-database.ts'
import { TestClock } from '../helpers/test-clock.ts'

const SUBNET = '317aef40-ef77-4a2d-b4e2-234d69f0eaf9'
const NETWORK = '82a9e159-989e-4ebf-8b49-19ca399c16fe'

for (const engine of ENGINES) {
  test(`quota repository on ${engine}`, async (t) => {
    const db = await withTestDatabase(t, engine)
    const quotas = new QuotaRepository(db)

    await t.test('set stores the given kinds, reset nulls them all', async () => {
      assert.equal(await quotas.get('p-set'), undefined)
      assert.equal(await quotas.reset('p-set'), false)
      const stored = await quotas.set('p-set', { load_balancer: 5, member: -1 })
      assert.deepEqual({ ...stored }, {
        project_id: 'p-set', load_balancer: 5, listener: null, pool: null, health_monitor: null, member: -1, l7policy: null, l7rule: null,
        in_use_load_balancer: 0, in_use_listener: 0, in_use_pool: 0, in_use_health_monitor: 0, in_use_member: 0,
        in_use_l7policy: 0, in_use_l7rule: 0,
      })
      assert.equal((await quotas.set('p-set', { load_balancer: null, pool: 0 })).load_balancer, null)
      assert.equal(await quotas.reset('p-set'), true)
      const reset = await quotas.get('p-set')
      assert.equal(reset?.pool, null)
      assert.equal(reset?.member, null)
      // A record that is already all-default is still found.
      assert.equal(await quotas.reset('p-set'), true)
      assert.deepEqual((await quotas.list()).map((q) => q.project_id), ['p-set'])
    })

    await t.test('lockForUpdate creates an all-default record on first use, once under concurrency', async () => {
      const locked = await Promise.all(Array.from({ length: 6 }, () => db.transaction((trx) => quotas.lockForUpdate(trx, 'p-first'))))
      assert.deepEqual(locked.map((q) => [q.project_id, q.load_balancer, q.l7rule]), Array.from({ length: 6 }, () => ['p-first', null, null]))
      assert.deepEqual((await quotas.list({ project_id: 'p-first' })).length, 1)
    })

    await t.test('countInUse counts the project\'s objects of one kind that are not DELETED, PENDING_DELETE included', async () => {
      const lbs = new LoadBalancerRepository(db, new TestClock('2024-05-06T07:08:09.123Z'))
      const vip = (address: string) => ({ ip_address: address, port_id: null, subnet_id: SUBNET, network_id: NETWORK })
      const lb = await lbs.create({ project_id: 'p-count', name: null, description: null, topology: 'SINGLE', provider: 'amphora', vip: vip('127.64.0.2') })
      const gone = await lbs.create({ project_id: 'p-count', name: null, description: null, topology: 'SINGLE', provider: 'amphora', vip: vip('127.64.0.3') })
      await db.kysely.updateTable('load_balancer').set({ provisioning_status: 'DELETED' }).where('id', '=', gone.id).execute()
      const pool = await seedPool(db.kysely, lb.id, { project_id: 'p-count' })
      await seedPool(db.kysely, lb.id, { project_id: 'p-count', provisioning_status: 'PENDING_DELETE' })
      await seedPool(db.kysely, lb.id, { project_id: 'p-count', provisioning_status: 'DELETED' })
      await seedPool(db.kysely, lb.id, { project_id: 'someone-else' })
      await seedMember(db.kysely, pool, { project_id: 'p-count' })
      await seedHealthMonitor(db.kysely, pool)
      assert.equal(await quotas.countInUse('p-count', 'load_balancer'), 1)
      assert.equal(await quotas.countInUse('p-count', 'pool'), 2)
      assert.equal(await quotas.countInUse('p-count', 'member'), 1)
      assert.equal(await quotas.countInUse('p-count', 'health_monitor'), 0)
      assert.equal(await quotas.countInUse('p1', 'health_monitor'), 1)
      assert.equal(await quotas.countInUse('p-count', 'l7policy'), 0)
    })
  })
}
