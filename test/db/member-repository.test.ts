import { test } from 'node:test'
import assert from 'node:assert/strict'
import { DuplicateEntry } from '../../src/db/errors.ts'
import { LoadBalancerRepository } from '../../src/db/repositories/load-balancer-repository.ts'
import { MemberRepository, type NewMember } from '../../src/db/repositories/member-repository.ts'
import { countRows, seedPool } from '../helpers/db-seed.ts'
import { TestClock } from '../helpers/test-clock.ts'
import { ENGINES, withTestDatabase } from '../helpers/test-database.ts'

const MISSING = '00000000-0000-0000-0000-000000000000'

for (const engine of ENGINES) {
  test(`member repository on ${engine}`, async (t) => {
    const db = await withTestDatabase(t, engine)
    const clock = new TestClock('2024-05-06T07:08:09.123Z')
    const members = new MemberRepository(db, clock)
    const lb = await new LoadBalancerRepository(db, clock).create({
      project_id: 'project-a', name: 'lb', description: null, topology: 'SINGLE', provider: 'amphora',
      vip: { ip_address: '127.64.0.2', port_id: 'a6a5ca4e-5b1e-4cf2-9d3b-0e2c5a8a0b01', subnet_id: 'subnet-1', network_id: 'net-1' },
    })
    let port = 1000
    /** A member on its own port, so subtests sharing the database never collide. */
    const newMember = (poolId: string, overrides: Partial<NewMember> = {}): NewMember =>
      ({ pool_id: poolId, project_id: 'project-a', ip_address: '192.0.2.10', protocol_port: port++, operating_status: 'NO_MONITOR', ...overrides })

    await t.test('create and get read back every column type identically', async () => {
      const poolId = await seedPool(db.kysely, lb.id)
      const created = await members.create(newMember(poolId, {
        id: '0b3c4f7e-6a1d-4c2b-8e5f-123456789abc', name: 'web', ip_address: '2001:DB8::10', protocol_port: 8080, weight: 0,
        backup: true, enabled: false, subnet_id: 'subnet-1', monitor_address: '192.0.2.99', monitor_port: 65535, vnic_type: 'direct',
        operating_status: 'OFFLINE', tags: ['zeta', 'alpha', 'zeta'],
      }))
      const expected = {
        id: '0b3c4f7e-6a1d-4c2b-8e5f-123456789abc', project_id: 'project-a', name: 'web', pool_id: poolId, subnet_id: 'subnet-1',
        ip_address: '2001:DB8::10', protocol_port: 8080, weight: 0, backup: true, monitor_address: '192.0.2.99', monitor_port: 65535,
        provisioning_status: 'PENDING_CREATE', operating_status: 'OFFLINE', enabled: false, vnic_type: 'direct',
        created_at: new Date('2024-05-06T07:08:09.123Z'), updated_at: null, tags: ['alpha', 'zeta'],
      }
      assert.deepEqual(created, expected)
      assert.deepEqual(await members.get(created.id), expected)
      assert.equal(await members.get(MISSING), undefined)
      const defaults = await members.create(newMember(poolId, { weight: null }))
      assert.deepEqual([defaults.enabled, defaults.backup, defaults.weight, defaults.vnic_type, defaults.name, defaults.tags],
        [true, false, null, 'normal', null, []])
    })

    await t.test('an address and port already in the pool is a DuplicateEntry; the address is compared as stored', async () => {
      const poolId = await seedPool(db.kysely, lb.id)
      const otherPool = await seedPool(db.kysely, lb.id)
      await members.create(newMember(poolId, { ip_address: '2001:db8::1', protocol_port: 80 }))
      await assert.rejects(members.create(newMember(poolId, { ip_address: '2001:db8::1', protocol_port: 80 })),
        (err: unknown) => err instanceof DuplicateEntry && err.constraint === 'uq_member_pool_id_ip_address_protocol_port')
      await members.create(newMember(otherPool, { ip_address: '2001:db8::1', protocol_port: 80 }))
      await members.create(newMember(poolId, { ip_address: '2001:db8::1', protocol_port: 81 }))
      assert.ok(await members.findByAddress(poolId, '2001:db8::1', 80))
      assert.equal(await members.findByAddress(poolId, '2001:DB8::1', 80), undefined)
      assert.equal(await members.findByAddress(poolId, '2001:db8::1', 82), undefined)
    })

    await t.test('getMany keeps the order asked and skips unknown ids; listByPool is oldest first', async () => {
      const poolId = await seedPool(db.kysely, lb.id)
      const later = await members.create(newMember(poolId))
      clock.advance(-60_000)
      const earlier = await members.create(newMember(poolId))
      clock.advance(60_000)
      assert.deepEqual((await members.getMany([later.id, MISSING, earlier.id])).map((m) => m.id), [later.id, earlier.id])
      assert.deepEqual((await members.listByPool(poolId)).map((m) => m.id), [earlier.id, later.id])
      assert.deepEqual(await members.getMany([]), [])
    })

    await t.test('update writes fields, replaces tags and sets updated_at; an unknown id resolves false', async () => {
      const poolId = await seedPool(db.kysely, lb.id)
      const member = await members.create(newMember(poolId, { tags: ['old'], weight: 3 }))
      const at = clock.advance(1500)
      assert.ok(await members.update(member.id, { name: 'n', weight: 1, backup: true, enabled: false, monitor_port: 9, tags: ['b', 'a'] }))
      const updated = await members.get(member.id)
      assert.deepEqual([updated?.name, updated?.weight, updated?.backup, updated?.enabled, updated?.monitor_port, updated?.tags, updated?.updated_at],
        ['n', 1, true, false, 9, ['a', 'b'], at])
      assert.ok(await members.update(member.id, { name: null }))
      assert.deepEqual((await members.get(member.id))?.tags, ['a', 'b'], 'tags stay when not given')
      assert.equal(await members.update(MISSING, { name: 'x' }), false)
    })

    await t.test('status changes: compare-and-set on one member, and per pool from a list of statuses', async () => {
      const poolId = await seedPool(db.kysely, lb.id)
      const otherPool = await seedPool(db.kysely, lb.id)
      const a = await members.create(newMember(poolId))
      const b = await members.create(newMember(poolId, { provisioning_status: 'PENDING_UPDATE' }))
      const c = await members.create(newMember(poolId, { provisioning_status: 'ACTIVE' }))
      const outside = await members.create(newMember(otherPool))
      assert.equal(await members.setProvisioningStatus(a.id, 'ACTIVE', { from: 'PENDING_UPDATE' }), false)
      assert.equal(await members.setProvisioningStatus(a.id, 'PENDING_DELETE', { from: ['PENDING_CREATE'] }), true)
      assert.equal(await members.setPoolMembersProvisioningStatus(poolId, 'ERROR', ['PENDING_CREATE', 'PENDING_UPDATE', 'PENDING_DELETE']), 2)
      assert.equal(await members.setPoolMembersProvisioningStatus(poolId, 'ERROR', []), 0)
      const statuses = (await members.getMany([a.id, b.id, c.id, outside.id])).map((m) => m.provisioning_status)
      assert.deepEqual(statuses, ['ERROR', 'ERROR', 'ACTIVE', 'PENDING_CREATE'])
      assert.equal(await members.setOperatingStatus(c.id, 'ONLINE'), true)
      assert.equal(await members.setPoolMembersOperatingStatus(poolId, 'NO_MONITOR'), 3)
      assert.deepEqual((await members.getMany([c.id, outside.id])).map((m) => m.operating_status), ['NO_MONITOR', 'NO_MONITOR'])
      await members.setOperatingStatus(outside.id, 'ONLINE')
      await members.setPoolMembersOperatingStatus(poolId, 'OFFLINE')
      assert.equal((await members.get(outside.id))?.operating_status, 'ONLINE', 'another pool is untouched')
    })

    await t.test('delete and deletePendingDeletes remove the rows and their tags, nothing else', async () => {
      const poolId = await seedPool(db.kysely, lb.id)
      const otherPool = await seedPool(db.kysely, lb.id)
      const single = await members.create(newMember(poolId, { tags: ['s'] }))
      const doomed = await members.create(newMember(poolId, { provisioning_status: 'PENDING_DELETE', tags: ['d'] }))
      const kept = await members.create(newMember(poolId, { provisioning_status: 'PENDING_UPDATE', tags: ['k'] }))
      const elsewhere = await members.create(newMember(otherPool, { provisioning_status: 'PENDING_DELETE', tags: ['e'] }))
      const tagsBefore = await countRows(db.kysely, 'tags')
      assert.equal(await members.delete(single.id), true)
      assert.equal(await members.delete(single.id), false)
      assert.equal(await members.deletePendingDeletes(poolId), 1)
      assert.equal(await members.deletePendingDeletes(poolId), 0)
      assert.deepEqual((await members.getMany([single.id, doomed.id, kept.id, elsewhere.id])).map((m) => m.id), [kept.id, elsewhere.id])
      assert.equal(await countRows(db.kysely, 'tags'), tagsBefore - 2)
    })

    await t.test('writes join the caller\'s transaction and roll back with it', async () => {
      const poolId = await seedPool(db.kysely, lb.id)
      await assert.rejects(db.transaction(async (trx) => {
        const member = await members.create(newMember(poolId, { tags: ['t'] }), trx)
        assert.ok(await members.get(member.id, trx))
        throw new Error('roll back')
      }), /roll back/)
      assert.deepEqual(await members.listByPool(poolId), [])
    })
  })
}
