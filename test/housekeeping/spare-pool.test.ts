import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import { createLogger } from '../../src/common/logger.ts'
import { createDatabase } from '../../src/db/create-database.ts'
import type { Database } from '../../src/db/database.ts'
import type { DatabaseEngine } from '../../src/db/database-options.ts'
import { newId } from '../../src/common/ids.ts'
import { AmphoraRepository } from '../../src/db/repositories/amphora-repository.ts'
import { LoadBalancerRepository } from '../../src/db/repositories/load-balancer-repository.ts'
import { SparePool, type SpareAmphoraBuilder } from '../../src/housekeeping/spare-pool.ts'
import { TestClock } from '../helpers/test-clock.ts'
import { ENGINES, openTestDatabase } from '../helpers/test-database.ts'

// spec/operations.md §2: the spare-pool check brings each compute zone to spare_amphora_pool_size
// amphorae without a load balancer, READY or being built, one housekeeper at a time.

const log = createLogger({ level: 'silent' })

/** A builder that records its requests and, as the amphora provider's would, adds BOOTING spare rows. */
function recordingBuilder(clock: TestClock): SpareAmphoraBuilder & { requests: Array<{ count: number; zone: string | null }> } {
  const requests: Array<{ count: number; zone: string | null }> = []
  return {
    requests,
    async start(trx, request) {
      requests.push(request)
      for (let i = 0; i < request.count; i++) {
        await trx.insertInto('amphora').values({ id: newId(), status: 'BOOTING', cached_zone: request.zone, created_at: clock.now() }).execute()
      }
    },
  }
}

async function twoConnections(t: TestContext, engine: DatabaseEngine): Promise<[Database, Database]> {
  const handle = await openTestDatabase(engine)
  const second = engine === 'sqlite' ? handle.db : createDatabase(handle.options)
  t.after(async () => {
    if (second !== handle.db) await second.close()
    await handle.drop()
  })
  return [handle.db, second]
}

for (const engine of ENGINES) {
  test(`the spare pool is kept at its size, per zone, by one housekeeper at a time (${engine})`, async (t) => {
    const [db, other] = await twoConnections(t, engine)
    const clock = new TestClock()
    const amphorae = new AmphoraRepository(db, clock)

    // Without a builder the check only counts.
    const idle = new SparePool({ db, clock, log, poolSize: 2, defaultZone: null })
    assert.deepEqual(await idle.check(), [{ zone: null, spares: 0, started: 0 }])
    assert.deepEqual((await db.kysely.selectFrom('spares_pool').selectAll().execute()).map((r) => r.updated_at), [clock.now()])

    const builder = recordingBuilder(clock)
    const pool = new SparePool({ db, clock, log, poolSize: 2, defaultZone: null, builder })
    assert.deepEqual(await pool.check(), [{ zone: null, spares: 0, started: 2 }])
    assert.deepEqual(await pool.check(), [{ zone: null, spares: 2, started: 0 }])

    // One spare finishes building, the other is taken by a load balancer: one more is started.
    const [ready, taken] = await amphorae.list({})
    await amphorae.setStatus(ready!.id, 'READY')
    const lb = await new LoadBalancerRepository(db, clock).create({ project_id: 'p1', vip: { ip_address: '127.64.0.9' }, provisioning_status: 'ACTIVE' })
    await amphorae.update(taken!.id, { load_balancer_id: lb.id })
    await amphorae.setStatus(taken!.id, 'ALLOCATED')
    // Spares that failed or were deleted do not count.
    await amphorae.create({ status: 'ERROR' })
    assert.deepEqual(await pool.check(), [{ zone: null, spares: 1, started: 1 }])

    // Zones come from enabled availability zones' profiles.
    await db.kysely.insertInto('availability_zone_profile').values({ id: 'azp', name: 'p', provider_name: 'amphora', availability_zone_data: '{"compute_zone": "az1"}' }).execute()
    await db.kysely.insertInto('availability_zone').values({ name: 'zone-1', enabled: true, availability_zone_profile_id: 'azp' }).execute()
    await db.kysely.insertInto('availability_zone').values({ name: 'zone-off', enabled: false, availability_zone_profile_id: 'azp' }).execute()

    // Two housekeepers check at once: the lock makes the second see the first one's builds.
    const second = new SparePool({ db: other, clock, log, poolSize: 2, defaultZone: null, builder })
    const [a, b] = await Promise.all([pool.check(), second.check()])
    assert.deepEqual([...a, ...b].map((z) => z.started).sort(), [0, 2])
    assert.equal((await amphorae.list({})).filter((x) => x.cached_zone === 'az1' && x.load_balancer_id === null).length, 2)
    assert.deepEqual(builder.requests, [{ count: 2, zone: null }, { count: 1, zone: null }, { count: 2, zone: 'az1' }])
  })
}
