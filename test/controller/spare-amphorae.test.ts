import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import { createLogger } from '../../src/common/logger.ts'
import { AmphoraSpareBuilder } from '../../src/controller/spare-amphora-builder.ts'
import { createDatabase } from '../../src/db/create-database.ts'
import type { Database } from '../../src/db/database.ts'
import type { DatabaseEngine } from '../../src/db/database-options.ts'
import { AgentRepository } from '../../src/db/repositories/agent-repository.ts'
import { AmphoraRepository } from '../../src/db/repositories/amphora-repository.ts'
import { JobRepository } from '../../src/db/repositories/job-repository.ts'
import { LoadBalancerRepository } from '../../src/db/repositories/load-balancer-repository.ts'
import { SpareAmphoraRepository } from '../../src/db/repositories/spare-amphora-repository.ts'
import { AgentScheduler } from '../../src/drivers/compute/local-agent-compute.ts'
import { SparePool } from '../../src/housekeeping/spare-pool.ts'
import { TestClock } from '../helpers/test-clock.ts'
import { ENGINES, openTestDatabase } from '../helpers/test-database.ts'

// spec/operations.md §2 with the amphora provider: the spare pool records spares on host agents
// with a build job each, and load balancer creates claim READY spares, never two the same one.

const log = createLogger({ level: 'silent' })

/** Two handles on one database (a server database: two connection pools, as two processes). */
async function twoHandles(t: TestContext, engine: DatabaseEngine): Promise<[Database, Database]> {
  const handle = await openTestDatabase(engine)
  const second = engine === 'sqlite' ? handle.db : createDatabase(handle.options)
  t.after(async () => {
    if (second !== handle.db) await second.close()
    await handle.drop()
  })
  return [handle.db, second]
}

for (const engine of ENGINES) {
  test(`spares are scheduled onto host agents with room, each with a build job (${engine})`, async (t) => {
    const [db] = await twoHandles(t, engine)
    const clock = new TestClock()
    const agents = new AgentRepository(db, clock)
    const amphorae = new AmphoraRepository(db, clock)
    const a = await agents.register({ name: 'host-a', address: '127.0.0.1', port: 9443, capacity: 2 })
    const b = await agents.register({ name: 'host-b', address: '127.0.0.2', port: 9443, capacity: 1 })
    const builder = new AmphoraSpareBuilder({
      db, clock, log, scheduler: new AgentScheduler({ agents, amphorae }), amp_flavor_id: 'small', amp_image_tag: '',
    })
    const announced: string[] = []
    const pool = new SparePool({ db, clock, log, poolSize: 4, defaultZone: 'nova', builder, announce: (id) => announced.push(id) })

    // Three places among the hosts: three of the four spares start, the fourth waits for room.
    assert.deepEqual(await pool.check(), [{ zone: 'nova', spares: 0, started: 3 }])
    const spares = await amphorae.list({})
    assert.equal(spares.length, 3)
    for (const spare of spares) {
      assert.deepEqual([spare.status, spare.load_balancer_id, spare.role, spare.cached_zone, spare.compute_flavor, spare.image_id],
        ['BOOTING', null, null, 'nova', 'small', null])
    }
    assert.deepEqual(spares.map((s) => s.compute_id).sort(), [a.id, a.id, b.id].sort())
    const jobs = await new JobRepository(db, clock).list({ kind: 'amphora.build_spare' })
    assert.deepEqual(jobs.map((j) => [j.target_type, j.load_balancer_id, j.state]), spares.map(() => ['amphora', null, 'pending']))
    assert.deepEqual(jobs.map((j) => j.target_id).sort(), spares.map((s) => s.id).sort())
    assert.deepEqual(announced.sort(), jobs.map((j) => j.id).sort())

    // Building spares count: the next check finds no room and starts nothing more.
    assert.deepEqual(await pool.check(), [{ zone: 'nova', spares: 3, started: 0 }])
  })

  test(`concurrent load balancer creates never claim the same spare (${engine})`, async (t) => {
    const [db, other] = await twoHandles(t, engine)
    const clock = new TestClock()
    const amphorae = new AmphoraRepository(db, clock)
    const lbs = new LoadBalancerRepository(db, clock)
    const agent = await new AgentRepository(db, clock).register({ name: 'host-a', address: '127.0.0.1', port: 9443, capacity: 20 })
    const ready: string[] = []
    for (let i = 0; i < 4; i++) ready.push((await amphorae.create({ status: 'READY', compute_id: agent.id, cached_zone: null })).id)
    // Not claimable: still building, in another zone, or already given to a load balancer.
    await amphorae.create({ status: 'BOOTING', compute_id: agent.id })
    await amphorae.create({ status: 'READY', compute_id: agent.id, cached_zone: 'az2' })
    const loadBalancers: string[] = []
    for (let i = 0; i < 8; i++) {
      loadBalancers.push((await lbs.create({ project_id: 'p1', vip: { ip_address: `127.64.0.${i + 1}` }, provisioning_status: 'PENDING_CREATE' })).id)
    }

    const claims = await Promise.all(loadBalancers.map((lbId, i) => {
      const handle = i % 2 === 0 ? db : other
      const spares = new SpareAmphoraRepository(handle, clock)
      return handle.transaction(async (trx) => (await spares.claim(trx, { load_balancer_id: lbId, zone: null, role: 'STANDALONE', ha_ip: '127.64.0.1' }))?.id)
    }))
    const claimed = claims.filter((id): id is string => id !== undefined)
    assert.equal(claimed.length, 4)
    assert.deepEqual([...new Set(claimed)].sort(), [...ready].sort())
    for (const [i, id] of claims.entries()) {
      if (id === undefined) continue
      const row = await amphorae.get(id)
      assert.deepEqual([row?.status, row?.load_balancer_id, row?.role], ['ALLOCATED', loadBalancers[i], 'STANDALONE'])
    }

    // The zone is matched: a load balancer of az2 gets the az2 spare.
    const az2 = await db.transaction((trx) => new SpareAmphoraRepository(db, clock).claim(trx, { load_balancer_id: loadBalancers[0]!, zone: 'az2', role: 'STANDALONE', ha_ip: null }))
    assert.equal(az2?.cached_zone, 'az2')
  })

  test(`spares whose host stopped reporting are retired before counting (${engine})`, async (t) => {
    const [db] = await twoHandles(t, engine)
    const clock = new TestClock()
    const amphorae = new AmphoraRepository(db, clock)
    const lb = await new LoadBalancerRepository(db, clock).create({ project_id: 'p1', vip: { ip_address: '127.64.0.9' }, provisioning_status: 'ACTIVE' })
    const silent = await amphorae.create({ status: 'READY' })
    const reporting = await amphorae.create({ status: 'READY' })
    const unheard = await amphorae.create({ status: 'READY' })
    const serving = await amphorae.create({ status: 'ALLOCATED', load_balancer_id: lb.id })
    const long = new Date(clock.now().getTime() - 120_000)
    await amphorae.recordHeartbeat(silent.id, long)
    await amphorae.recordHeartbeat(serving.id, long)
    await amphorae.recordHeartbeat(reporting.id, clock.now())

    const pool = new SparePool({ db, clock, log, poolSize: 3, defaultZone: null, heartbeatTimeout: 60 })
    assert.deepEqual(await pool.check(), [{ zone: null, spares: 2, started: 0 }])
    assert.equal((await amphorae.get(silent.id))?.status, 'DELETED')
    assert.equal(await amphorae.getHealth(silent.id), undefined)
    // Spares that report, or were never heard from, and amphorae of load balancers are left alone.
    assert.deepEqual((await amphorae.getMany([reporting.id, unheard.id, serving.id])).map((a) => a.status), ['READY', 'READY', 'ALLOCATED'])
    assert.ok(await amphorae.getHealth(serving.id))
  })
}
