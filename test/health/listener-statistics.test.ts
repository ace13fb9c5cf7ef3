import assert from 'node:assert/strict'
import { test } from 'node:test'
import { systemClock } from '../../src/common/clock.ts'
import { AmphoraRepository } from '../../src/db/repositories/amphora-repository.ts'
import type { HeartbeatDocument } from '../../src/health/heartbeat-document.ts'
import { startApi } from '../helpers/api-harness.ts'
import { seedLoadBalancer, startHealthHarness } from '../helpers/health-harness.ts'
import { ENGINES } from '../helpers/test-database.ts'

// spec/heartbeat.md §4: listener statistics from heartbeats, read through the stats API
// (spec/api-v2.md §8.8, §9.6), on each engine (the upserts differ per engine).

function stats(id: string, seq: number, ver: number | undefined, perListener: Record<string, [number, number, number, number, number]>): HeartbeatDocument {
  const listeners = Object.fromEntries(Object.entries(perListener).map(([listenerId, [tx, rx, conns, totconns, ereq]]) =>
    [listenerId, { status: 'OPEN', stats: { tx, rx, conns, totconns, ereq } }]))
  return { id, seq, ...(ver === undefined ? {} : { ver }), listeners, pools: {} }
}

for (const engine of ENGINES) {
  test(`listener statistics accumulate from heartbeats and show in the stats API (${engine})`, async (t) => {
    const api = await startApi(t, { engine })
    const db = api.deps.db
    const { hm, heartbeat } = await startHealthHarness(t, db, { clock: systemClock })
    const s = await seedLoadBalancer(db, systemClock, { listeners: 2, pools: 0 })
    const [l1, l2] = s.listenerIds as [string, string]
    const get = async (url: string) => (await api.app.inject({ method: 'GET', url })).json() as { stats: Record<string, number> }

    // Version 3: deltas add up, active connections are the latest.
    await heartbeat(stats(s.amphoraId, 0, 3, { [l1]: [100, 10, 5, 7, 1], [l2]: [1, 1, 1, 1, 0] }))
    await heartbeat(stats(s.amphoraId, 1, 3, { [l1]: [50, 5, 2, 3, 0], [l2]: [0, 0, 0, 0, 0] }))
    assert.deepEqual((await get(`/v2/lbaas/listeners/${l1}/stats`)).stats,
      { bytes_in: 15, bytes_out: 150, active_connections: 2, total_connections: 10, request_errors: 1 })
    assert.deepEqual((await get(`/v2.0/lbaas/loadbalancers/${s.lbId}/stats`)).stats,
      { bytes_in: 16, bytes_out: 151, active_connections: 2, total_connections: 11, request_errors: 1 })

    // A second amphora of the LB: its rows add to the listener's; once not ALLOCATED its connections stop counting.
    const amphorae = new AmphoraRepository(db, systemClock)
    const standby = await amphorae.create({ load_balancer_id: s.lbId, status: 'ALLOCATED', role: 'BACKUP' })
    await heartbeat(stats(standby.id, 0, 3, { [l1]: [1000, 1000, 9, 9, 9], [l2]: [0, 0, 0, 0, 0] }))
    assert.deepEqual((await get(`/v2/lbaas/listeners/${l1}/stats`)).stats,
      { bytes_in: 1015, bytes_out: 1150, active_connections: 11, total_connections: 19, request_errors: 10 })
    await amphorae.setStatus(standby.id, 'ERROR')
    assert.equal((await get(`/v2/lbaas/listeners/${l1}/stats`)).stats.active_connections, 2)
    assert.equal((await get(`/v2/lbaas/loadbalancers/${s.lbId}/stats`)).stats.active_connections, 2)

    // Versions 2 and earlier carry absolute counters: they replace the row.
    await heartbeat(stats(s.amphoraId, 2, 2, { [l1]: [7, 6, 5, 4, 3], [l2]: [0, 0, 0, 0, 0] }))
    const [row] = await db.kysely.selectFrom('listener_statistics').selectAll()
      .where('listener_id', '=', l1).where('amphora_id', '=', s.amphoraId).execute()
    assert.deepEqual(row, { listener_id: l1, amphora_id: s.amphoraId, bytes_in: 6, bytes_out: 7, active_connections: 5, total_connections: 4, request_errors: 3 })
    await heartbeat(stats(s.amphoraId, 3, undefined, { [l1]: [8, 8, 0, 8, 0], [l2]: [0, 0, 0, 0, 0] }))
    assert.equal((await db.kysely.selectFrom('listener_statistics').select('bytes_in')
      .where('listener_id', '=', l1).where('amphora_id', '=', s.amphoraId).executeTakeFirstOrThrow()).bytes_in, 8)

    // Counters a BIGINT holds but an INT would not.
    const big = 2 ** 40
    await heartbeat(stats(s.amphoraId, 4, 3, { [l1]: [big, big, 0, big, 0], [l2]: [0, 0, 0, 0, 0] }))
    assert.equal((await get(`/v2/lbaas/listeners/${l1}/stats`)).stats.bytes_out, big + 8 + 1000)
    // Listeners not of this amphora's LB are not recorded; the heartbeat is applied nonetheless.
    await heartbeat(stats(s.amphoraId, 5, 3, { [l1]: [0, 0, 0, 0, 0], [l2]: [0, 0, 0, 0, 0], 'b0000000-0000-4000-8000-0000000000ff': [1, 1, 1, 1, 1] }))
    assert.equal(await db.kysely.selectFrom('listener_statistics').select('listener_id')
      .where('listener_id', '=', 'b0000000-0000-4000-8000-0000000000ff').executeTakeFirst(), undefined)
    assert.equal(hm.counters.droppedTotal, 0)
  })
}
