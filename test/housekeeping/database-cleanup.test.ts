import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createLogger } from '../../src/common/logger.ts'
import { AmphoraRepository } from '../../src/db/repositories/amphora-repository.ts'
import { HeartbeatRepository } from '../../src/db/repositories/heartbeat-repository.ts'
import { LoadBalancerRepository } from '../../src/db/repositories/load-balancer-repository.ts'
import { DatabaseCleanup } from '../../src/housekeeping/database-cleanup.ts'
import { countRows } from '../helpers/db-seed.ts'
import { seedLoadBalancer } from '../helpers/health-harness.ts'
import { TestClock } from '../helpers/test-clock.ts'
import { ENGINES, withTestDatabase } from '../helpers/test-database.ts'

// spec/operations.md §1.1: DELETED amphorae and load balancers are purged once older than their
// expiry age; an amphora that still sends heartbeats is kept.

const DAY = 86_400_000
const log = createLogger({ level: 'silent' })

for (const engine of ENGINES) {
  test(`purge of DELETED amphorae and load balancers past their expiry age (${engine})`, async (t) => {
    const db = await withTestDatabase(t, engine)
    const clock = new TestClock('2024-05-01T00:00:00.000Z')
    const amphorae = new AmphoraRepository(db, clock)
    const lbs = new LoadBalancerRepository(db, clock)
    const heartbeats = new HeartbeatRepository(db, clock)
    const cleanup = new DatabaseCleanup({ db, clock, log, amphoraExpiryAge: 7 * 86_400, loadBalancerExpiryAge: 3 * 86_400 })

    // Deleted ten days ago: a load balancer with its tree, its amphora (old health row, statistics), a zombie amphora.
    const gone = await seedLoadBalancer(db, clock, { listeners: 1, pools: 1, members: 2 })
    await db.kysely.insertInto('tags').values({ resource_id: gone.lbId, tag: 'old' }).execute()
    await heartbeats.refreshHealth([gone.amphoraId], clock.now())
    await heartbeats.addListenerStatistics([{ listener_id: gone.listenerIds[0]!, amphora_id: gone.amphoraId, bytes_in: 1, bytes_out: 1,
      active_connections: 0, total_connections: 1, request_errors: 0, mode: 'delta' }])
    await amphorae.markDeleted(gone.amphoraId)
    await lbs.markDeleted(gone.lbId)
    const zombie = await amphorae.create({ status: 'DELETED', compute_id: 'agent-1' })
    const alive = await seedLoadBalancer(db, clock, { listeners: 0, pools: 0 })

    clock.advance(5 * DAY)
    // Deleted five days ago: younger than the amphora age, older than the load balancer age.
    const recent = await seedLoadBalancer(db, clock, { listeners: 0, pools: 0 })
    await amphorae.markDeleted(recent.amphoraId)
    await lbs.markDeleted(recent.lbId)

    clock.advance(5 * DAY)
    // The zombie is still heard from.
    await heartbeats.refreshHealth([zombie.id], new Date(clock.now().getTime() - DAY))

    const result = await cleanup.run()
    assert.deepEqual(result, { amphorae: 1, loadBalancers: 2, statistics: 0 })
    assert.equal(await amphorae.get(gone.amphoraId), undefined)
    assert.equal(await amphorae.getHealth(gone.amphoraId), undefined)
    assert.ok(await amphorae.get(zombie.id), 'an amphora still sending heartbeats is kept')
    assert.ok(await amphorae.get(recent.amphoraId), 'an amphora deleted less than amphora_expiry_age ago is kept')
    assert.equal((await amphorae.get(recent.amphoraId))?.load_balancer_id, null, 'its purged load balancer is no longer named')
    assert.equal(await lbs.get(gone.lbId), undefined)
    assert.equal(await lbs.get(recent.lbId), undefined)
    assert.ok(await lbs.get(alive.lbId), 'a live load balancer stays, however old')
    assert.ok(await amphorae.get(alive.amphoraId))
    for (const table of ['listener', 'pool', 'member', 'vip', 'listener_statistics'] as const) {
      assert.equal(await countRows(db.kysely, table), table === 'vip' ? 1 : 0, table)
    }
    assert.equal(await countRows(db.kysely, 'tags'), 0)

    // Statistics rows a listener left behind go too.
    await db.kysely.insertInto('listener_statistics').values({ listener_id: 'b0000000-0000-4000-8000-0000000000aa', amphora_id: alive.amphoraId }).execute()
    clock.advance(3 * DAY)
    assert.deepEqual(await cleanup.run(), { amphorae: 1, loadBalancers: 0, statistics: 1 })
    assert.equal(await amphorae.get(recent.amphoraId), undefined)
    assert.deepEqual(await cleanup.run(), { amphorae: 0, loadBalancers: 0, statistics: 0 })
  })
}
