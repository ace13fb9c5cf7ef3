import { test } from 'node:test'
import assert from 'node:assert/strict'
import { LoadBalancerRepository, type NewLoadBalancer } from '../../src/db/repositories/load-balancer-repository.ts'
import { ENGINES, withTestDatabase } from '../helpers/test-database.ts'
import { TestClock } from '../helpers/test-clock.ts'
import { countRows, seedListener, seedPool } from '../helpers/db-seed.ts'
import { DuplicateEntry } from '../../src/db/errors.ts'

const SUBNET = '317aef40-ef77-4a2d-b4e2-234d69f0eaf9'
const NETWORK = '82a9e159-989e-4ebf-8b49-19ca399c16fe'

function newLoadBalancer(overrides: Partial<NewLoadBalancer> = {}): NewLoadBalancer {
  return {
    project_id: 'project-a',
    name: 'web',
    description: null,
    topology: 'SINGLE',
    provider: 'amphora',
    vip: { ip_address: '127.64.0.2', port_id: 'a6a5ca4e-5b1e-4cf2-9d3b-0e2c5a8a0b01', subnet_id: SUBNET, network_id: NETWORK },
    ...overrides,
  }
}

for (const engine of ENGINES) {
  test(`load balancer repository on ${engine}`, async (t) => {
    const db = await withTestDatabase(t, engine)
    const clock = new TestClock('2024-05-06T07:08:09.123Z')
    const lbs = new LoadBalancerRepository(db, clock)

    await t.test('create and get read back every column type identically', async () => {
      const created = await lbs.create(newLoadBalancer({
        id: '0b3c4f7e-6a1d-4c2b-8e5f-123456789abc',
        enabled: false,
        server_group_id: null,
        vip: {
          ip_address: '127.64.0.2', port_id: 'a6a5ca4e-5b1e-4cf2-9d3b-0e2c5a8a0b01', subnet_id: SUBNET, network_id: NETWORK,
          qos_policy_id: null, octavia_owned: true,
        },
        vip_sg_ids: ['sg-b', 'sg-a', 'sg-b'],
        additional_vips: [{ subnet_id: 'subnet-2', ip_address: '2001:db8::5', network_id: 'net-2', port_id: null }],
        tags: ['zeta', 'alpha', 'zeta'],
      }))
      const expected = {
        id: '0b3c4f7e-6a1d-4c2b-8e5f-123456789abc',
        project_id: 'project-a',
        name: 'web',
        description: null,
        provisioning_status: 'PENDING_CREATE',
        operating_status: 'OFFLINE',
        topology: 'SINGLE',
        enabled: false,
        server_group_id: null,
        provider: 'amphora',
        flavor_id: null,
        availability_zone: null,
        created_at: new Date('2024-05-06T07:08:09.123Z'),
        updated_at: null,
        vip: {
          load_balancer_id: '0b3c4f7e-6a1d-4c2b-8e5f-123456789abc', ip_address: '127.64.0.2',
          port_id: 'a6a5ca4e-5b1e-4cf2-9d3b-0e2c5a8a0b01', subnet_id: SUBNET, network_id: NETWORK, qos_policy_id: null,
          octavia_owned: true, vnic_type: 'normal',
        },
        vip_sg_ids: ['sg-a', 'sg-b'],
        additional_vips: [{
          load_balancer_id: '0b3c4f7e-6a1d-4c2b-8e5f-123456789abc', subnet_id: 'subnet-2', ip_address: '2001:db8::5',
          port_id: null, network_id: 'net-2',
        }],
        tags: ['alpha', 'zeta'],
        listener_ids: [],
        pool_ids: [],
      }
      assert.deepEqual(created, expected)
      assert.deepEqual(await lbs.get(created.id), expected)
      assert.equal(await lbs.get('00000000-0000-0000-0000-000000000000'), undefined)
    })

    await t.test('listeners and pools are listed oldest first', async () => {
      const lb = await lbs.create(newLoadBalancer())
      const second = await seedPool(db.kysely, lb.id, { created_at: new Date('2024-02-01T00:00:00Z') })
      const first = await seedPool(db.kysely, lb.id, { created_at: new Date('2024-01-01T00:00:00Z') })
      const listener = await seedListener(db.kysely, lb.id)
      const found = await lbs.get(lb.id)
      assert.deepEqual(found?.pool_ids, [first, second])
      assert.deepEqual(found?.listener_ids, [listener])
    })

    await t.test('many listeners and pools, and tags with quotes, commas and accents, read back whole and in order (one LB or several)', async () => {
      const tags = ['with, comma', 'quote "q"', 'back\\slash', 'ünïcode', 'Zeta', 'alpha', '[]']
      const lb = await lbs.create(newLoadBalancer({ tags, vip_sg_ids: ['sg-2', 'sg-1'] }))
      const other = await lbs.create(newLoadBalancer({ vip: { ...newLoadBalancer().vip, ip_address: '127.64.0.3', port_id: 'port-other' } }))
      const listeners: string[] = []
      const pools: string[] = []
      // 40 of each: more than 1 KB of ids, MySQL's default cap on a GROUP_CONCAT.
      for (let i = 0; i < 40; i++) {
        const at = new Date(Date.UTC(2024, 0, 1, 0, 0, 40 - i))
        listeners.unshift(await seedListener(db.kysely, lb.id, { protocol_port: 1000 + i, created_at: at }))
        pools.unshift(await seedPool(db.kysely, lb.id, { created_at: at }))
      }
      const expectedTags = [...tags].sort((a, b) => (Buffer.from(a) < Buffer.from(b) ? -1 : 1))
      for (const found of [await lbs.get(lb.id), (await lbs.getMany([other.id, lb.id]))[1]]) {
        assert.deepEqual(found?.listener_ids, listeners)
        assert.deepEqual(found?.pool_ids, pools)
        assert.deepEqual(found?.tags, expectedTags)
        assert.deepEqual(found?.vip_sg_ids, ['sg-1', 'sg-2'])
      }
      const [first] = await lbs.getMany([other.id])
      assert.deepEqual([first?.listener_ids, first?.pool_ids, first?.tags, first?.additional_vips], [[], [], [], []])
    })

    await t.test('list filters by project and hides DELETED', async () => {
      const a = await lbs.create(newLoadBalancer({ project_id: 'project-list' }))
      const b = await lbs.create(newLoadBalancer({ project_id: 'project-list' }))
      await lbs.create(newLoadBalancer({ project_id: 'project-other' }))
      assert.ok(await lbs.markDeleted(b.id))
      assert.deepEqual((await lbs.list({ project_id: 'project-list' })).map((lb) => lb.id), [a.id])
      assert.deepEqual((await lbs.list({ project_id: 'project-list', include_deleted: true })).map((lb) => lb.id).sort(), [a.id, b.id].sort())
    })

    await t.test('update writes fields, VIP QoS, security groups, tags and updated_at', async () => {
      const lb = await lbs.create(newLoadBalancer({ tags: ['old'], vip_sg_ids: ['sg-1'] }))
      assert.equal(lb.updated_at, null)
      const at = clock.advance(1500)
      assert.ok(await lbs.update(lb.id, { name: null, enabled: false, vip: { qos_policy_id: 'qos-1' }, vip_sg_ids: [], tags: ['new', 'x'] }))
      const updated = await lbs.get(lb.id)
      assert.equal(updated?.name, null)
      assert.equal(updated?.enabled, false)
      assert.equal(updated?.vip?.qos_policy_id, 'qos-1')
      assert.deepEqual(updated?.vip_sg_ids, [])
      assert.deepEqual(updated?.tags, ['new', 'x'])
      assert.deepEqual(updated?.updated_at, at)
      assert.equal(await lbs.update('00000000-0000-0000-0000-000000000000', { name: 'x' }), false)
    })

    await t.test('provisioning status compare-and-set applies only from the expected status', async () => {
      const lb = await lbs.create(newLoadBalancer())
      assert.equal(await lbs.setProvisioningStatus(lb.id, 'ACTIVE', { from: 'PENDING_UPDATE' }), false)
      assert.equal(await lbs.setProvisioningStatus(lb.id, 'ACTIVE', { from: ['PENDING_CREATE', 'PENDING_UPDATE'] }), true)
      assert.equal(await lbs.setProvisioningStatus(lb.id, 'ACTIVE', { from: 'PENDING_CREATE' }), false)
      assert.equal((await lbs.get(lb.id))?.provisioning_status, 'ACTIVE')
      assert.equal(await lbs.setOperatingStatus(lb.id, 'ONLINE'), true)
      assert.equal(await lbs.setProvisioningStatus('00000000-0000-0000-0000-000000000000', 'ERROR'), false)
    })

    await t.test('concurrent compare-and-set: exactly one of ten wins', async () => {
      const lb = await lbs.create(newLoadBalancer({ provisioning_status: 'ACTIVE' }))
      const results = await Promise.all(Array.from({ length: 10 }, () =>
        lbs.setProvisioningStatus(lb.id, 'PENDING_UPDATE', { from: 'ACTIVE' })))
      assert.equal(results.filter(Boolean).length, 1)
    })

    await t.test('lockForUpdate serialises test-and-set transactions: one of ten sees ACTIVE', async () => {
      const lb = await lbs.create(newLoadBalancer({ provisioning_status: 'ACTIVE' }))
      // Each transaction checks the status under the lock, then writes without a guard: only
      // the lock keeps a second one from also seeing ACTIVE.
      const outcomes = await Promise.all(Array.from({ length: 10 }, () => db.transaction(async (trx) => {
        const row = await lbs.lockForUpdate(trx, lb.id)
        if (row?.provisioning_status !== 'ACTIVE') return false
        await new Promise((resolve) => setImmediate(resolve))
        await trx.updateTable('load_balancer').set({ provisioning_status: 'PENDING_UPDATE' }).where('id', '=', lb.id).execute()
        return true
      })))
      assert.equal(outcomes.filter(Boolean).length, 1)
    })

    await t.test('activateTree ends PENDING_* in the tree; markTreeActive (failover) also repairs ERROR, never touches deletes', async () => {
      const lb = await lbs.create(newLoadBalancer({ provisioning_status: 'PENDING_UPDATE' }))
      const failed = await seedPool(db.kysely, lb.id, { provisioning_status: 'ERROR' })
      const pending = await seedPool(db.kysely, lb.id, { provisioning_status: 'PENDING_CREATE' })
      const leaving = await seedListener(db.kysely, lb.id, { provisioning_status: 'PENDING_DELETE' })
      const statuses = async () => Promise.all([
        lbs.get(lb.id).then((l) => l?.provisioning_status),
        ...[failed, pending].map((id) => db.kysely.selectFrom('pool').select('provisioning_status').where('id', '=', id).executeTakeFirst().then((r) => r?.provisioning_status)),
        db.kysely.selectFrom('listener').select('provisioning_status').where('id', '=', leaving).executeTakeFirst().then((r) => r?.provisioning_status),
      ])
      await lbs.activateTree(lb.id)
      assert.deepEqual(await statuses(), ['ACTIVE', 'ERROR', 'ACTIVE', 'PENDING_DELETE'])
      await lbs.setProvisioningStatus(lb.id, 'PENDING_UPDATE')
      await lbs.markTreeActive(lb.id)
      assert.deepEqual(await statuses(), ['ACTIVE', 'ACTIVE', 'ACTIVE', 'PENDING_DELETE'])
    })

    await t.test('create is atomic: a failing additional VIP insert leaves no load balancer', async () => {
      const before = (await lbs.list({ include_deleted: true })).length
      const twice = { subnet_id: 'subnet-2', ip_address: null, network_id: null, port_id: null }
      await assert.rejects(lbs.create(newLoadBalancer({ additional_vips: [twice, twice] })),
        (error: unknown) => error instanceof DuplicateEntry && error.constraint === 'pk_additional_vip')
      assert.equal((await lbs.list({ include_deleted: true })).length, before)
      assert.equal(await countRows(db.kysely, 'vip'), before)
    })
  })
}
