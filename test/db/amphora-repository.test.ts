import { test } from 'node:test'
import assert from 'node:assert/strict'
import { AmphoraRepository } from '../../src/db/repositories/amphora-repository.ts'
import { LoadBalancerRepository } from '../../src/db/repositories/load-balancer-repository.ts'
import { ENGINES, withTestDatabase } from '../helpers/test-database.ts'
import { TestClock } from '../helpers/test-clock.ts'
import { countRows } from '../helpers/db-seed.ts'

for (const engine of ENGINES) {
  test(`amphora repository on ${engine}`, async (t) => {
    const db = await withTestDatabase(t, engine)
    const clock = new TestClock('2024-05-06T07:00:00.000Z')
    const amphorae = new AmphoraRepository(db, clock)
    const lbs = new LoadBalancerRepository(db, clock)
    const lb = await lbs.create({ project_id: 'p1', vip: { ip_address: '127.64.0.2', subnet_id: 's', network_id: 'n' } })

    await t.test('create, get, update, list and status compare-and-set', async () => {
      const expiry = new Date('2026-01-01T00:00:00.500Z')
      const master = await amphorae.create({ load_balancer_id: lb.id, role: 'MASTER', compute_id: 'agent-1', lb_network_ip: '127.0.0.1',
        cert_expiration: expiry, vrrp_priority: 100 })
      assert.deepEqual(master, {
        id: master.id, load_balancer_id: lb.id, compute_id: 'agent-1', lb_network_ip: '127.0.0.1', vrrp_ip: null, ha_ip: null,
        vrrp_port_id: null, ha_port_id: null, cert_expiration: expiry, cert_busy: false, role: 'MASTER', status: 'PENDING_CREATE',
        vrrp_interface: null, vrrp_id: null, vrrp_priority: 100, cached_zone: null, image_id: null, compute_flavor: null,
        created_at: clock.now(), updated_at: null,
      })
      clock.advance(1000)
      const backup = await amphorae.create({ load_balancer_id: lb.id, role: 'BACKUP', status: 'BOOTING' })
      assert.ok(await amphorae.update(master.id, { ha_ip: '127.64.0.2', cert_busy: true }))
      assert.equal(await amphorae.setStatus(master.id, 'ALLOCATED', { from: 'BOOTING' }), false)
      assert.equal(await amphorae.setStatus(master.id, 'ALLOCATED', { from: ['PENDING_CREATE', 'BOOTING'] }), true)
      const updated = await amphorae.get(master.id)
      assert.equal(updated?.cert_busy, true)
      assert.equal(updated?.status, 'ALLOCATED')
      assert.deepEqual(updated?.updated_at, clock.now())
      assert.deepEqual((await amphorae.list({ load_balancer_id: lb.id })).map((a) => a.role), ['MASTER', 'BACKUP'])
      assert.deepEqual((await amphorae.list({ role: 'BACKUP' })).map((a) => a.id), [backup.id])
      assert.ok(await amphorae.markDeleted(backup.id))
      assert.deepEqual((await amphorae.list({ load_balancer_id: lb.id })).map((a) => a.id), [master.id])
      assert.equal((await amphorae.list({ load_balancer_id: lb.id, include_deleted: true })).length, 2)
    })

    await t.test('heartbeats upsert the health record; stale amphorae are claimed once', async () => {
      for (let i = 0; i < 6; i++) await amphorae.recordHeartbeat(`amp-${i}`, new Date(clock.now().getTime() - i * 10_000))
      await amphorae.recordHeartbeat('amp-0', clock.now())
      assert.deepEqual(await amphorae.getHealth('amp-0'), { amphora_id: 'amp-0', last_update: clock.now(), busy: false })
      const threshold = new Date(clock.now().getTime() - 15_000)
      const claims = await Promise.all([amphorae.claimStale(threshold, 10), amphorae.claimStale(threshold, 10)])
      assert.deepEqual(claims.flat().sort(), ['amp-2', 'amp-3', 'amp-4', 'amp-5'])
      assert.deepEqual(await amphorae.claimStale(threshold, 10), [])
      assert.ok(await amphorae.clearBusy('amp-5'))
      assert.deepEqual(await amphorae.claimStale(threshold, 10), ['amp-5'])
      // A heartbeat of a busy amphora keeps it busy until its handler clears it.
      await amphorae.recordHeartbeat('amp-5')
      assert.equal((await amphorae.getHealth('amp-5'))?.busy, true)
    })

    await t.test('batch read in the order asked; per-listener statistics with the amphora\'s LB; member ports forgotten', async () => {
      const first = await amphorae.create({ load_balancer_id: lb.id })
      const spare = await amphorae.create({ status: 'READY' })
      assert.deepEqual((await amphorae.getMany([spare.id, 'nope', first.id])).map((a) => a.id), [spare.id, first.id])
      assert.deepEqual(await amphorae.getMany([]), [])
      const big = 2 ** 42
      await db.kysely.insertInto('listener_statistics').values([
        { listener_id: 'listener-b', amphora_id: first.id, bytes_in: big, bytes_out: 2, active_connections: 3, total_connections: 4, request_errors: 5 },
        { listener_id: 'listener-a', amphora_id: first.id, bytes_in: 0, bytes_out: 0, active_connections: 0, total_connections: 0, request_errors: 0 },
        { listener_id: 'listener-a', amphora_id: 'unknown-amphora', bytes_in: 1, bytes_out: 1, active_connections: 1, total_connections: 1, request_errors: 1 },
      ]).execute()
      assert.deepEqual(await amphorae.statistics(first.id), [
        { id: first.id, loadbalancer_id: lb.id, listener_id: 'listener-a', active_connections: 0, bytes_in: 0, bytes_out: 0, request_errors: 0, total_connections: 0 },
        { id: first.id, loadbalancer_id: lb.id, listener_id: 'listener-b', active_connections: 3, bytes_in: big, bytes_out: 2, request_errors: 5, total_connections: 4 },
      ])
      assert.deepEqual(await amphorae.statistics('unknown-amphora'), [])
      assert.deepEqual(await amphorae.statistics(spare.id), [])
      await db.kysely.insertInto('amphora_member_port').values([
        { port_id: 'port-1', amphora_id: first.id, created_at: clock.now() },
        { port_id: 'port-2', amphora_id: first.id, created_at: clock.now() },
        { port_id: 'port-3', amphora_id: spare.id, created_at: clock.now() },
      ]).execute()
      assert.equal(await amphorae.deleteMemberPorts(first.id), 2)
      assert.equal(await amphorae.deleteMemberPorts(first.id), 0)
      assert.equal(await countRows(db.kysely, 'amphora_member_port'), 1)
      await db.kysely.deleteFrom('amphora_member_port').execute()
    })

    await t.test('purging an amphora removes its member ports, health and build request', async () => {
      const amphora = await amphorae.create({ load_balancer_id: lb.id })
      await db.kysely.insertInto('amphora_member_port').values({ port_id: 'port-9', amphora_id: amphora.id, created_at: clock.now() }).execute()
      await db.kysely.insertInto('amphora_build_request').values({ amphora_id: amphora.id, priority: 20 }).execute()
      await amphorae.recordHeartbeat(amphora.id)
      assert.ok(await amphorae.delete(amphora.id))
      assert.equal(await amphorae.get(amphora.id), undefined)
      assert.equal(await amphorae.getHealth(amphora.id), undefined)
      assert.equal(await countRows(db.kysely, 'amphora_member_port'), 0)
      assert.equal(await countRows(db.kysely, 'amphora_build_request'), 0)
      assert.equal(await amphorae.delete(amphora.id), false)
    })
  })
}
