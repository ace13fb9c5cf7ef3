import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { OperatingStatus } from '../../src/common/statuses.ts'
import { AmphoraRepository } from '../../src/db/repositories/amphora-repository.ts'
import { LoadBalancerRepository } from '../../src/db/repositories/load-balancer-repository.ts'
import type { HeartbeatDocument, HeartbeatPool } from '../../src/health/heartbeat-document.ts'
import { seedMember } from '../helpers/db-seed.ts'
import { operatingStatus, seedLoadBalancer, startHealthHarness, type SeededLoadBalancer } from '../helpers/health-harness.ts'
import { TestClock } from '../helpers/test-clock.ts'
import { ENGINES, withTestDatabase } from '../helpers/test-database.ts'

// spec/heartbeat.md §5.3-5.4 as a table: each row seeds a load balancer (one listener, one pool
// with two members, one amphora; everything ONLINE unless the row says otherwise), sends its
// amphora's heartbeat over UDP to a running health manager, and reads the statuses back.

type Shape = Parameters<typeof seedLoadBalancer>[2]

interface Row {
  name: string
  shape?: Shape
  /** Message version; 'absent' sends no `ver`. Default 3. */
  ver?: number | 'absent'
  /** Reported status of the listener; null = not reported. */
  listener: string | null
  /** Reported status of the pool; null = not reported. */
  pool: string | null
  /** Reported status of each member; null = not in the pool's members. */
  members: [string | null, string | null]
  expect: { lb: OperatingStatus; listener: OperatingStatus; pool: OperatingStatus; members: [OperatingStatus, OperatingStatus] }
  /** Whether the heartbeat creates the amphora_health row (§5.3); default true. */
  health?: boolean
}

const ROWS: Row[] = [
  { name: 'everything up', listener: 'OPEN', pool: 'UP', members: ['UP', 'UP'],
    expect: { lb: 'ONLINE', listener: 'ONLINE', pool: 'ONLINE', members: ['ONLINE', 'ONLINE'] } },
  { name: 'everything up from OFFLINE', shape: { lb: { operating_status: 'OFFLINE' }, listener: { operating_status: 'OFFLINE' }, pool: { operating_status: 'OFFLINE' }, member: { operating_status: 'OFFLINE' } },
    listener: 'OPEN', pool: 'UP', members: ['UP', 'UP'], expect: { lb: 'ONLINE', listener: 'ONLINE', pool: 'ONLINE', members: ['ONLINE', 'ONLINE'] } },
  { name: 'one member down', listener: 'OPEN', pool: 'UP', members: ['UP', 'DOWN'],
    expect: { lb: 'DEGRADED', listener: 'ONLINE', pool: 'DEGRADED', members: ['ONLINE', 'ERROR'] } },
  { name: 'transitional member statuses', listener: 'OPEN', pool: 'UP', members: ['UP 1/3', 'DOWN 1/2'],
    expect: { lb: 'DEGRADED', listener: 'ONLINE', pool: 'DEGRADED', members: ['ONLINE', 'ERROR'] } },
  { name: 'pool down', listener: 'OPEN', pool: 'DOWN', members: ['DOWN', 'DOWN'],
    expect: { lb: 'ERROR', listener: 'ONLINE', pool: 'ERROR', members: ['ERROR', 'ERROR'] } },
  { name: 'listener full', listener: 'FULL', pool: 'UP', members: ['UP', 'UP'],
    expect: { lb: 'DEGRADED', listener: 'DEGRADED', pool: 'ONLINE', members: ['ONLINE', 'ONLINE'] } },
  { name: 'listener full then pool down: the pool wins', listener: 'FULL', pool: 'DOWN', members: ['DOWN', 'DOWN'],
    expect: { lb: 'ERROR', listener: 'DEGRADED', pool: 'ERROR', members: ['ERROR', 'ERROR'] } },
  { name: 'drain and maintenance', listener: 'OPEN', pool: 'UP', members: ['DRAIN', 'MAINT'],
    expect: { lb: 'ONLINE', listener: 'ONLINE', pool: 'ONLINE', members: ['DRAINING', 'OFFLINE'] } },
  { name: 'no health monitor', listener: 'OPEN', pool: 'UP', members: ['no check', 'no check'],
    expect: { lb: 'ONLINE', listener: 'ONLINE', pool: 'ONLINE', members: ['NO_MONITOR', 'NO_MONITOR'] } },
  { name: 'member missing from the pool', listener: 'OPEN', pool: 'UP', members: ['UP', null],
    expect: { lb: 'ONLINE', listener: 'ONLINE', pool: 'ONLINE', members: ['ONLINE', 'OFFLINE'] } },
  { name: 'member missing while NO_MONITOR stays NO_MONITOR', shape: { member: { operating_status: 'NO_MONITOR' } },
    listener: 'OPEN', pool: 'UP', members: ['no check', null],
    expect: { lb: 'ONLINE', listener: 'ONLINE', pool: 'ONLINE', members: ['NO_MONITOR', 'NO_MONITOR'] } },
  { name: 'RESTARTING and NOLB leave members as they are', shape: { member: { operating_status: 'DRAINING' } },
    listener: 'OPEN', pool: 'UP', members: ['RESTARTING', 'NOLB'],
    expect: { lb: 'ONLINE', listener: 'ONLINE', pool: 'ONLINE', members: ['DRAINING', 'DRAINING'] } },
  { name: 'pool missing from the message: OFFLINE, members untouched', shape: { member: { operating_status: 'ERROR' } },
    listener: 'OPEN', pool: null, members: [null, null],
    expect: { lb: 'ONLINE', listener: 'ONLINE', pool: 'OFFLINE', members: ['ERROR', 'ERROR'] } },
  { name: 'unknown pool status: pool untouched, members processed', shape: { pool: { operating_status: 'OFFLINE' } },
    listener: 'OPEN', pool: 'MAINT', members: ['UP', 'DOWN'],
    expect: { lb: 'ONLINE', listener: 'ONLINE', pool: 'OFFLINE', members: ['ONLINE', 'ERROR'] } },
  { name: 'unknown listener status: listener untouched', shape: { listener: { operating_status: 'OFFLINE' } },
    listener: 'STOPPED', pool: 'UP', members: ['UP', 'UP'],
    expect: { lb: 'ONLINE', listener: 'OFFLINE', pool: 'ONLINE', members: ['ONLINE', 'ONLINE'] } },
  { name: 'enabled listener missing from an ACTIVE LB: ERROR, health not refreshed', listener: null, pool: 'UP', members: ['UP', 'UP'],
    expect: { lb: 'ONLINE', listener: 'ERROR', pool: 'ONLINE', members: ['ONLINE', 'ONLINE'] }, health: false },
  { name: 'listener missing from a PENDING_UPDATE LB: OFFLINE, count not checked', shape: { lb: { provisioning_status: 'PENDING_UPDATE' } },
    listener: null, pool: 'UP', members: ['UP', 'UP'],
    expect: { lb: 'ONLINE', listener: 'OFFLINE', pool: 'ONLINE', members: ['ONLINE', 'ONLINE'] } },
  { name: 'disabled listener missing: OFFLINE, not expected', shape: { listener: { enabled: false } },
    listener: null, pool: 'UP', members: ['UP', 'UP'],
    expect: { lb: 'ONLINE', listener: 'OFFLINE', pool: 'ONLINE', members: ['ONLINE', 'ONLINE'] } },
  { name: 'disabled LB is OFFLINE', shape: { lb: { enabled: false } }, listener: 'OPEN', pool: 'UP', members: ['UP', 'DOWN'],
    expect: { lb: 'OFFLINE', listener: 'ONLINE', pool: 'DEGRADED', members: ['ONLINE', 'ERROR'] } },
  { name: 'disabled LB with a pool down is ERROR', shape: { lb: { enabled: false } }, listener: 'OPEN', pool: 'DOWN', members: ['DOWN', 'DOWN'],
    expect: { lb: 'ERROR', listener: 'ONLINE', pool: 'ERROR', members: ['ERROR', 'ERROR'] } },
  { name: 'version 2 message', ver: 2, listener: 'OPEN', pool: 'UP', members: ['UP', 'DOWN'],
    expect: { lb: 'DEGRADED', listener: 'ONLINE', pool: 'DEGRADED', members: ['ONLINE', 'ERROR'] } },
  { name: 'version 1 message (pools inside listeners)', ver: 1, listener: 'OPEN', pool: 'UP', members: ['DRAIN', 'DOWN'],
    expect: { lb: 'DEGRADED', listener: 'ONLINE', pool: 'DEGRADED', members: ['DRAINING', 'ERROR'] } },
  { name: 'version 0 message', ver: 0, listener: 'OPEN', pool: 'DOWN', members: ['DOWN', 'DOWN'],
    expect: { lb: 'ERROR', listener: 'ONLINE', pool: 'ERROR', members: ['ERROR', 'ERROR'] } },
  { name: 'message without ver', ver: 'absent', listener: 'OPEN', pool: 'UP', members: ['UP', 'no check'],
    expect: { lb: 'ONLINE', listener: 'ONLINE', pool: 'ONLINE', members: ['ONLINE', 'NO_MONITOR'] } },
  { name: 'without ver, a UDP listener with no enabled member is not expected', ver: 'absent',
    shape: { listener: { protocol: 'UDP' }, member: { enabled: false } }, listener: null, pool: null, members: [null, null],
    expect: { lb: 'ONLINE', listener: 'ERROR', pool: 'OFFLINE', members: ['ONLINE', 'ONLINE'] } },
]

function heartbeatOf(row: Row, seeded: SeededLoadBalancer, seq: number): HeartbeatDocument {
  const listenerId = seeded.listenerIds[0]!
  const poolId = seeded.poolIds[0]!
  const members: Record<string, string> = {}
  row.members.forEach((status, i) => { if (status !== null) members[seeded.memberIds[0]![i]!] = status })
  const pool: HeartbeatPool = { status: row.pool ?? '', members }
  const stats = { tx: 0, rx: 0, conns: 0, totconns: 0, ereq: 0 }
  const ver = row.ver ?? 3
  if (ver === 'absent' || ver < 2) {
    const listeners = row.listener === null ? {}
      : { [listenerId]: { status: row.listener, stats, ...(row.pool === null ? {} : { pools: { [ver === 1 ? `${poolId}:${listenerId}` : poolId]: pool } }) } }
    return { id: seeded.amphoraId, seq, ...(ver === 'absent' ? {} : { ver }), listeners }
  }
  return {
    id: seeded.amphoraId, seq, ver,
    listeners: row.listener === null ? {} : { [listenerId]: { status: row.listener, stats } },
    pools: row.pool === null ? {} : { [`${poolId}:${listenerId}`]: pool },
  }
}

for (const engine of ENGINES) {
  test(`operating statuses from real heartbeats, spec/heartbeat.md §5.4 (${engine})`, async (t) => {
    const db = await withTestDatabase(t, engine)
    const clock = new TestClock()
    const { hm, heartbeat } = await startHealthHarness(t, db, { clock })
    const amphorae = new AmphoraRepository(db, clock)

    const seeded = await Promise.all(ROWS.map((row) => seedLoadBalancer(db, clock, row.shape)))
    // All rows in one go: they are applied in a batch or a few, as under load.
    await heartbeat(...ROWS.map((row, i) => heartbeatOf(row, seeded[i]!, 0)))
    assert.equal(hm.counters.droppedTotal, 0)
    assert.equal(hm.counters.applied, ROWS.length)

    for (const [i, row] of ROWS.entries()) {
      const s = seeded[i]!
      const actual = {
        lb: await operatingStatus(db, 'load_balancer', s.lbId),
        listener: await operatingStatus(db, 'listener', s.listenerIds[0]!),
        pool: await operatingStatus(db, 'pool', s.poolIds[0]!),
        members: [await operatingStatus(db, 'member', s.memberIds[0]![0]!), await operatingStatus(db, 'member', s.memberIds[0]![1]!)],
      }
      assert.deepEqual(actual, row.expect, row.name)
      const health = await amphorae.getHealth(s.amphoraId)
      assert.equal(health !== undefined, row.health ?? true, `${row.name}: health row`)
      if (health) assert.deepEqual(health, { amphora_id: s.amphoraId, last_update: clock.now(), busy: false })
    }
  })
}

test('only what changed is written; two amphorae of one LB in turn: the later heartbeat wins (sqlite)', async (t) => {
  const db = await withTestDatabase(t, 'sqlite')
  const clock = new TestClock()
  const { heartbeat } = await startHealthHarness(t, db, { clock })
  const s = await seedLoadBalancer(db, clock)
  const up: Row = { name: 'up', listener: 'OPEN', pool: 'UP', members: ['UP', 'UP'], expect: undefined as never }
  await heartbeat(heartbeatOf(up, s, 0))
  const updatedAt = async (table: 'load_balancer' | 'listener' | 'pool' | 'member', id: string) =>
    (await db.kysely.selectFrom(table as 'member').select('updated_at').where('id', '=', id).executeTakeFirstOrThrow()).updated_at
  // Everything was ONLINE already: no row was touched.
  for (const [table, id] of [['load_balancer', s.lbId], ['listener', s.listenerIds[0]!], ['pool', s.poolIds[0]!], ['member', s.memberIds[0]![0]!]] as const) {
    assert.equal(await updatedAt(table, id), null, table)
  }
  clock.advance(1000)
  await heartbeat(heartbeatOf({ ...up, members: ['UP', 'DOWN'] }, s, 1))
  assert.deepEqual(await updatedAt('member', s.memberIds[0]![1]!), clock.now())
  assert.equal(await updatedAt('member', s.memberIds[0]![0]!), null)
  assert.equal(await operatingStatus(db, 'load_balancer', s.lbId), 'DEGRADED')

  // A second amphora of the same LB (ACTIVE_STANDBY) reports the member up again, in the same batch.
  const standby = await new AmphoraRepository(db, clock).create({ load_balancer_id: s.lbId, status: 'ALLOCATED', role: 'BACKUP' })
  await heartbeat(heartbeatOf({ ...up, members: ['UP', 'DOWN'] }, s, 2), heartbeatOf(up, { ...s, amphoraId: standby.id }, 0))
  assert.equal(await operatingStatus(db, 'member', s.memberIds[0]![1]!), 'ONLINE')
  assert.equal(await operatingStatus(db, 'load_balancer', s.lbId), 'ONLINE')
})

test('a load balancer changed through the API between two heartbeats is read again (sqlite)', async (t) => {
  const db = await withTestDatabase(t, 'sqlite')
  const clock = new TestClock()
  const { heartbeat } = await startHealthHarness(t, db, { clock })
  const s = await seedLoadBalancer(db, clock)
  const up: Row = { name: 'up', listener: 'OPEN', pool: 'UP', members: ['UP', 'UP'], expect: undefined as never }
  await heartbeat(heartbeatOf(up, s, 0))

  // A member added as the API does it: the LB PENDING_UPDATE with the change, ACTIVE once applied.
  const lbs = new LoadBalancerRepository(db, clock)
  clock.advance(1000)
  await lbs.setProvisioningStatus(s.lbId, 'PENDING_UPDATE', {})
  const added = await seedMember(db.kysely, s.poolIds[0]!, { operating_status: 'OFFLINE', ip_address: '192.0.2.3' })
  clock.advance(1000)
  await lbs.markTreeActive(s.lbId)

  const document = heartbeatOf(up, s, 1)
  document.pools![`${s.poolIds[0]}:${s.listenerIds[0]}`]!.members[added] = 'DOWN'
  await heartbeat(document)
  assert.equal(await operatingStatus(db, 'member', added), 'ERROR')
  assert.equal(await operatingStatus(db, 'pool', s.poolIds[0]!), 'DEGRADED')
  assert.equal(await operatingStatus(db, 'load_balancer', s.lbId), 'DEGRADED')
})
