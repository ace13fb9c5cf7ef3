import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import { createLogger } from '../../src/common/logger.ts'
import { createDatabase } from '../../src/db/create-database.ts'
import type { Database } from '../../src/db/database.ts'
import type { DatabaseEngine } from '../../src/db/database-options.ts'
import { AmphoraRepository } from '../../src/db/repositories/amphora-repository.ts'
import { HeartbeatRepository } from '../../src/db/repositories/heartbeat-repository.ts'
import { LoadBalancerRepository } from '../../src/db/repositories/load-balancer-repository.ts'
import { FailoverScan } from '../../src/health/failover-scan.ts'
import { seedLoadBalancer, startHealthHarness } from '../helpers/health-harness.ts'
import { TestClock } from '../helpers/test-clock.ts'
import { ENGINES, openTestDatabase } from '../helpers/test-database.ts'

// spec/heartbeat.md §6: stale amphorae become amphora.failover jobs, claimed by exactly one of
// several health managers, at most failover_threads at a time each, none past the circuit breaker.

const TIMEOUT_S = 60
const log = createLogger({ level: 'silent' })

/** Two connections to one fresh database: two health managers. */
async function twoConnections(t: TestContext, engine: DatabaseEngine): Promise<[Database, Database]> {
  const handle = await openTestDatabase(engine)
  // SQLite is the single-process deployment: both share its one connection (whose transactions are serialised).
  const second = engine === 'sqlite' ? handle.db : createDatabase(handle.options)
  t.after(async () => {
    if (second !== handle.db) await second.close()
    await handle.drop()
  })
  return [handle.db, second]
}

function scanner(db: Database, clock: TestClock, options: { failoverThreads?: number; failoverThreshold?: number | null } = {}): FailoverScan {
  return new FailoverScan({
    db, clock, log, heartbeatTimeout: TIMEOUT_S, failoverThreads: options.failoverThreads ?? 10, failoverThreshold: options.failoverThreshold ?? null,
  })
}

async function failoverJobs(db: Database): Promise<Array<{ target_id: string; load_balancer_id: string | null; state: string }>> {
  return db.kysely.selectFrom('jobs').select(['target_id', 'load_balancer_id', 'state']).where('kind', '=', 'amphora.failover').execute()
}

/** `n` load balancers, each with one ALLOCATED amphora last heard from `agoS` seconds ago. */
async function staleAmphorae(db: Database, clock: TestClock, n: number, agoS: number): Promise<Array<{ lbId: string; amphoraId: string }>> {
  const out = []
  for (let i = 0; i < n; i++) {
    const s = await seedLoadBalancer(db, clock, { listeners: 0, pools: 0 })
    out.push({ lbId: s.lbId, amphoraId: s.amphoraId })
  }
  await new HeartbeatRepository(db, clock).refreshHealth(out.map((a) => a.amphoraId), new Date(clock.now().getTime() - agoS * 1000))
  return out
}

for (const engine of ENGINES) {
  test(`stale amphorae are failed over exactly once by two health managers at once (${engine})`, async (t) => {
    const [db1, db2] = await twoConnections(t, engine)
    const clock = new TestClock()
    const stale = await staleAmphorae(db1, clock, 6, TIMEOUT_S + 1)
    await staleAmphorae(db1, clock, 2, TIMEOUT_S - 5)
    const amphorae = new AmphoraRepository(db1, clock)
    const heartbeats = new HeartbeatRepository(db1, clock)
    // Never failed over automatically: ERROR, READY, an amphora already busy, a health row of an amphora we do not have.
    const error = await amphorae.create({ status: 'ERROR' })
    const spare = await amphorae.create({ status: 'READY' })
    const handled = (await staleAmphorae(db1, clock, 1, TIMEOUT_S * 2))[0]!
    await db1.kysely.updateTable('amphora_health').set({ busy: true }).where('amphora_id', '=', handled.amphoraId).execute()
    await heartbeats.refreshHealth([error.id, spare.id, 'a0000000-0000-4000-8000-00000000dead'], new Date(clock.now().getTime() - 3600_000))

    const a = scanner(db1, clock)
    const b = scanner(db2, clock)
    for (let round = 0; round < 3; round++) await Promise.all([a.scan(), b.scan()])

    const jobs = await failoverJobs(db1)
    assert.deepEqual(jobs.map((j) => j.target_id).sort(), stale.map((s) => s.amphoraId).sort())
    for (const s of stale) {
      assert.equal(jobs.find((j) => j.target_id === s.amphoraId)?.load_balancer_id, s.lbId)
      assert.equal((await new LoadBalancerRepository(db1, clock).get(s.lbId))?.provisioning_status, 'PENDING_UPDATE')
      assert.equal((await amphorae.getHealth(s.amphoraId))?.busy, true)
    }
    assert.equal((await amphorae.getHealth(error.id))?.busy, false)
    assert.equal((await amphorae.getHealth(spare.id))?.busy, false)
  })

  test(`failover_threads throttles, a busy load balancer ends the scan, the circuit breaker stops everything (${engine})`, async (t) => {
    const [db] = await twoConnections(t, engine)
    const clock = new TestClock()
    const lbs = new LoadBalancerRepository(db, clock)
    const amphorae = new AmphoraRepository(db, clock)

    const stale = await staleAmphorae(db, clock, 5, TIMEOUT_S * 2)
    const throttled = scanner(db, clock, { failoverThreads: 2 })
    assert.equal((await throttled.scan()).queued.length, 2)
    const second = await throttled.scan()
    assert.deepEqual([second.queued.length, second.inFlight], [0, 2])
    // One failover ends: one more may start.
    const [done] = await failoverJobs(db)
    await db.kysely.updateTable('jobs').set({ state: 'succeeded' }).where('target_id', '=', done!.target_id).execute()
    assert.equal((await throttled.scan()).queued.length, 1)
    assert.equal((await failoverJobs(db)).length, 3)

    // The other two LBs are busy with another operation: claims are undone, the scan stops at the first.
    for (const s of stale) await lbs.setProvisioningStatus(s.lbId, 'PENDING_UPDATE', { from: 'ACTIVE' })
    const blocked = await scanner(db, clock).scan()
    assert.equal(blocked.queued.length, 0)
    assert.equal((await failoverJobs(db)).length, 3)
    const idle = (await db.kysely.selectFrom('amphora_health').select('amphora_id').where('busy', '=', false).execute()).map((r) => r.amphora_id)
    assert.equal(idle.length, 2)

    // Circuit breaker: three more stale amphorae, five in all, with failover_threshold 3.
    const storm = await staleAmphorae(db, clock, 3, TIMEOUT_S * 2)
    const breaker = scanner(db, clock, { failoverThreshold: 3 })
    const open = await breaker.scan()
    assert.equal(open.breakerOpen, true)
    assert.equal(open.queued.length, 0)
    assert.equal(open.stopped, 5)
    for (const s of storm) assert.equal((await amphorae.get(s.amphoraId))?.status, 'FAILOVER_STOPPED')
    assert.equal((await failoverJobs(db)).length, 3)

    // Heartbeats resume for four of them: back to ALLOCATED; the last is failed over.
    await new HeartbeatRepository(db, clock).refreshHealth([storm[0]!.amphoraId, storm[1]!.amphoraId, ...idle], clock.now())
    const closed = await breaker.scan()
    assert.deepEqual([closed.breakerOpen, closed.recovered, closed.queued.map((q) => q.amphora_id)], [false, 4, [storm[2]!.amphoraId]])
    assert.equal((await amphorae.get(storm[0]!.amphoraId))?.status, 'ALLOCATED')
    assert.equal((await amphorae.get(storm[2]!.amphoraId))?.status, 'FAILOVER_STOPPED')
    assert.equal((await lbs.get(storm[2]!.lbId))?.provisioning_status, 'PENDING_UPDATE')
  })
}

test('an amphora whose heartbeats stop for heartbeat_timeout is failed over; one that keeps sending is not', async (t) => {
  const [db] = await twoConnections(t, 'sqlite')
  const clock = new TestClock()
  const { hm, heartbeat } = await startHealthHarness(t, db, { clock, health: { heartbeat_timeout: TIMEOUT_S } })
  const lost = await seedLoadBalancer(db, clock, { listeners: 0, pools: 0 })
  const alive = await seedLoadBalancer(db, clock, { listeners: 0, pools: 0 })
  const silent = await seedLoadBalancer(db, clock, { listeners: 0, pools: 0 })
  const empty = (id: string, seq: number) => ({ id, seq, ver: 3, listeners: {}, pools: {} })
  await heartbeat(empty(lost.amphoraId, 0), empty(alive.amphoraId, 0))
  for (let i = 1; i <= 6; i++) {
    clock.advance(10_000)
    await heartbeat(empty(alive.amphoraId, i))
    assert.equal((await hm.scan.scan()).queued.length, 0, `after ${i * 10} s`)
  }
  clock.advance(1)
  const { queued } = await hm.scan.scan()
  // `silent` never sent a heartbeat: it has no health row, so it is never failed over (§6.1).
  assert.deepEqual(queued.map((q) => [q.amphora_id, q.load_balancer_id]), [[lost.amphoraId, lost.lbId]])
  assert.equal(await new AmphoraRepository(db, clock).getHealth(silent.amphoraId), undefined)
})
