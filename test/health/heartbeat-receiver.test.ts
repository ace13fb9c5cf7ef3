import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { test } from 'node:test'
import { AmphoraRepository } from '../../src/db/repositories/amphora-repository.ts'
import { LoadBalancerRepository } from '../../src/db/repositories/load-balancer-repository.ts'
import type { HeartbeatAmphora } from '../../src/db/repositories/heartbeat-repository.ts'
import { encodeHeartbeat } from '../../src/health/heartbeat-codec.ts'
import type { HeartbeatDocument } from '../../src/health/heartbeat-document.ts'
import { countRows } from '../helpers/db-seed.ts'
import { TEST_HEARTBEAT_KEY, operatingStatus, seedLoadBalancer, startHealthHarness, type SeededLoadBalancer } from '../helpers/health-harness.ts'
import { TestClock } from '../helpers/test-clock.ts'
import { withTestDatabase } from '../helpers/test-database.ts'
import { until } from '../helpers/wait.ts'

// The receiver's refusals (spec/heartbeat.md §2, docs/health-manager.md) and §5.2's amphorae
// without a load balancer, through real UDP into a real database.

function upDocument(s: SeededLoadBalancer, seq: number, stats = { tx: 1, rx: 2, conns: 3, totconns: 4, ereq: 0 }): HeartbeatDocument {
  return {
    id: s.amphoraId, seq, ver: 3,
    listeners: { [s.listenerIds[0]!]: { status: 'OPEN', stats } },
    pools: { [`${s.poolIds[0]!}:${s.listenerIds[0]!}`]: { status: 'UP', members: Object.fromEntries(s.memberIds[0]!.map((m) => [m, 'UP'])) } },
  }
}

test('forged, truncated, oversized and random datagrams are dropped and counted, nothing is written, the receiver goes on', async (t) => {
  const db = await withTestDatabase(t, 'sqlite')
  const clock = new TestClock()
  const { hm, send } = await startHealthHarness(t, db, { clock })
  const s = await seedLoadBalancer(db, clock, { lb: { operating_status: 'OFFLINE' } })
  const good = encodeHeartbeat(upDocument(s, 0), TEST_HEARTBEAT_KEY)
  const bad = [
    encodeHeartbeat(upDocument(s, 0), 'not-the-key'),
    good.subarray(0, good.length - 1),
    good.subarray(0, 40),
    Buffer.alloc(0),
    randomBytes(65507), // the largest UDP datagram
    ...Array.from({ length: 50 }, (_, i) => randomBytes(1 + i * 29)),
  ]
  await send(...bad)
  assert.equal(hm.counters.dropped.hmac, bad.length)
  assert.equal(hm.counters.accepted, 0)
  assert.equal(await countRows(db.kysely, 'amphora_health'), 0)
  assert.equal(await countRows(db.kysely, 'listener_statistics'), 0)
  assert.equal(await operatingStatus(db, 'load_balancer', s.lbId), 'OFFLINE')

  await send(good)
  assert.equal(hm.counters.applied, 1)
  assert.equal(await operatingStatus(db, 'load_balancer', s.lbId), 'ONLINE')
  assert.equal(await countRows(db.kysely, 'amphora_health'), 1)
})

test('heartbeats of unknown amphorae are dropped; copies and late old heartbeats too, so deltas count once', async (t) => {
  const db = await withTestDatabase(t, 'sqlite')
  const clock = new TestClock()
  const { hm, send, heartbeat } = await startHealthHarness(t, db, { clock })
  const s = await seedLoadBalancer(db, clock)

  await heartbeat({ ...upDocument(s, 0), id: 'a0000000-0000-4000-8000-00000000dead' })
  assert.equal(hm.counters.dropped.unknown, 1)
  assert.equal(await countRows(db.kysely, 'amphora_health'), 0)
  assert.equal(await countRows(db.kysely, 'listener_statistics'), 0)

  const first = encodeHeartbeat(upDocument(s, 100), TEST_HEARTBEAT_KEY)
  await send(first, first)
  assert.equal(hm.counters.dropped.duplicate, 1)
  clock.advance(10_000)
  await heartbeat(upDocument(s, 101, { tx: 10, rx: 20, conns: 1, totconns: 5, ereq: 1 }))
  clock.advance(2_000)
  await heartbeat(upDocument(s, 60, { tx: 1000, rx: 1000, conns: 1, totconns: 1000, ereq: 0 }))
  assert.equal(hm.counters.dropped.stale, 1)
  const stats = await db.kysely.selectFrom('listener_statistics').selectAll().execute()
  assert.deepEqual(stats, [{ listener_id: s.listenerIds[0], amphora_id: s.amphoraId, bytes_in: 22, bytes_out: 11, active_connections: 1, total_connections: 9, request_errors: 1 }])

  // The agent restarts: seq from 0 again, accepted.
  clock.advance(3_000)
  await heartbeat(upDocument(s, 0, { tx: 1, rx: 1, conns: 0, totconns: 1, ereq: 0 }))
  assert.equal(hm.counters.dropped.stale, 1)
  assert.equal(hm.counters.applied, 3)
  const after = await db.kysely.selectFrom('listener_statistics').select(['bytes_in', 'active_connections']).executeTakeFirstOrThrow()
  assert.deepEqual(after, { bytes_in: 23, active_connections: 0 })
})

test('amphorae without a live load balancer are reaped, spares are not (spec/heartbeat.md §5.2, operations.md §2)', async (t) => {
  const db = await withTestDatabase(t, 'sqlite')
  const clock = new TestClock()
  const reaped: HeartbeatAmphora[] = []
  let failing = false
  const reaper = {
    deleteInstance: async (amphora: HeartbeatAmphora) => {
      if (failing) throw new Error('compute service unavailable')
      reaped.push(amphora)
    },
  }
  const { hm, heartbeat } = await startHealthHarness(t, db, { clock, reaper })
  const amphorae = new AmphoraRepository(db, clock)
  const empty = (id: string, seq = 0): HeartbeatDocument => ({ id, seq, ver: 3, listeners: {}, pools: {} })

  // The LB was deleted; its amphora still reports.
  const orphan = await seedLoadBalancer(db, clock)
  await new LoadBalancerRepository(db, clock).markDeleted(orphan.lbId)
  // The amphora was deleted; its LB lives on.
  const zombie = await seedLoadBalancer(db, clock)
  await amphorae.markDeleted(zombie.amphoraId)
  // A spare: no LB, READY.
  const spare = await amphorae.create({ status: 'READY', compute_id: 'agent-1' })

  await heartbeat(upDocument(orphan, 0), upDocument(zombie, 0), empty(spare.id))
  assert.deepEqual(reaped.map((a) => a.id).sort(), [orphan.amphoraId, zombie.amphoraId].sort())
  assert.equal(reaped.find((a) => a.id === orphan.amphoraId)?.compute_id, 'agent-1')
  assert.equal(hm.counters.reaped, 2)
  // Only the spare's liveness is recorded; nothing about the others, no statistics, no statuses.
  assert.deepEqual((await db.kysely.selectFrom('amphora_health').select('amphora_id').execute()).map((r) => r.amphora_id), [spare.id])
  assert.equal(await countRows(db.kysely, 'listener_statistics'), 0)

  // Not asked again while the delete takes its course.
  await heartbeat(upDocument(orphan, 1))
  assert.equal(reaped.length, 2)

  // When the delete fails, the amphora is treated as one expected to report no listener.
  failing = true
  const stray = await amphorae.create({ status: 'ERROR', compute_id: 'agent-2' })
  const busy = await amphorae.create({ status: 'ALLOCATED', compute_id: 'agent-2' })
  await heartbeat(empty(stray.id), { ...upDocument(orphan, 0), id: busy.id })
  assert.equal(await amphorae.getHealth(stray.id), undefined, 'nothing recorded while the delete is under way')
  await heartbeat(empty(stray.id, 1), { ...upDocument(orphan, 1), id: busy.id })
  assert.ok(await amphorae.getHealth(stray.id))
  assert.equal(await amphorae.getHealth(busy.id), undefined)
})

test('a socket thread that dies is started again on the same port, and heartbeats flow again', async (t) => {
  const db = await withTestDatabase(t, 'sqlite')
  const clock = new TestClock()
  const { hm, heartbeat } = await startHealthHarness(t, db, { clock })
  const s = await seedLoadBalancer(db, clock, { lb: { operating_status: 'OFFLINE' } })
  const dead = hm.receiver.socketThread()
  await dead.terminate()
  await until('another socket thread', () => (hm.receiver.socketThread() !== dead ? true : undefined), { timeoutMs: 20_000 })
  // The new thread binds the port the old one had; the harness still sends there.
  await heartbeat(upDocument(s, 0))
  assert.equal(hm.counters.applied, 1)
  assert.equal(await operatingStatus(db, 'load_balancer', s.lbId), 'ONLINE')
})
