import { test } from 'node:test'
import assert from 'node:assert/strict'
import { LoadBalancerRepository } from '../../src/db/repositories/load-balancer-repository.ts'
import { PoolRepository, type NewPool } from '../../src/db/repositories/pool-repository.ts'
import { listenersUsingPool } from '../../src/db/repositories/pool-usage.ts'
import { readTags } from '../../src/db/repositories/tags.ts'
import { ENGINES, withTestDatabase } from '../helpers/test-database.ts'
import { TestClock } from '../helpers/test-clock.ts'
import { countRows, seedHealthMonitor, seedL7Policy, seedL7Rule, seedListener, seedMember } from '../helpers/db-seed.ts'

const SUBNET = '317aef40-ef77-4a2d-b4e2-234d69f0eaf9'
const NETWORK = '82a9e159-989e-4ebf-8b49-19ca399c16fe'

for (const engine of ENGINES) {
  test(`pool repository on ${engine}`, async (t) => {
    const db = await withTestDatabase(t, engine)
    const clock = new TestClock('2024-05-06T07:08:09.123Z')
    const lbs = new LoadBalancerRepository(db, clock)
    const pools = new PoolRepository(db, clock)
    const lb = await lbs.create({
      project_id: 'p1', name: 'lb', description: null, topology: 'SINGLE', provider: 'amphora',
      vip: { ip_address: '127.64.0.2', port_id: null, subnet_id: SUBNET, network_id: NETWORK },
    })
    const other = await lbs.create({
      project_id: 'p1', name: 'other', description: null, topology: 'SINGLE', provider: 'amphora',
      vip: { ip_address: '127.64.0.3', port_id: null, subnet_id: SUBNET, network_id: NETWORK },
    })
    const newPool = (fields: Partial<NewPool> = {}): NewPool => ({
      project_id: 'p1', load_balancer_id: lb.id, name: null, description: null, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', ...fields,
    })

    await t.test('create and get read back every field, the session persistence and sorted tags', async () => {
      const created = await pools.create(newPool({
        id: '5d0c5a8e-1b7e-4e62-9e57-0d2b9c1f7a10', name: 'web', enabled: false, protocol: 'UDP', lb_algorithm: 'SOURCE_IP',
        tls_enabled: true, tls_certificate_id: 'cert', ca_tls_certificate_id: 'ca', crl_container_id: 'crl',
        tls_ciphers: 'ECDHE-RSA-AES128-GCM-SHA256', tls_versions: 'TLSv1.2,TLSv1.3', alpn_protocols: 'h2',
        session_persistence: { type: 'SOURCE_IP', cookie_name: null, persistence_timeout: 360, persistence_granularity: '255.255.255.0' },
        tags: ['zeta', 'alpha', 'zeta'],
      }))
      assert.deepEqual(created, {
        id: '5d0c5a8e-1b7e-4e62-9e57-0d2b9c1f7a10', project_id: 'p1', name: 'web', description: null, protocol: 'UDP',
        lb_algorithm: 'SOURCE_IP', provisioning_status: 'PENDING_CREATE', operating_status: 'OFFLINE', enabled: false,
        load_balancer_id: lb.id, tls_certificate_id: 'cert', ca_tls_certificate_id: 'ca', crl_container_id: 'crl',
        tls_enabled: true, tls_ciphers: 'ECDHE-RSA-AES128-GCM-SHA256', tls_versions: 'TLSv1.2,TLSv1.3', alpn_protocols: 'h2',
        created_at: new Date('2024-05-06T07:08:09.123Z'), updated_at: null,
        session_persistence: { type: 'SOURCE_IP', cookie_name: null, persistence_timeout: 360, persistence_granularity: '255.255.255.0' },
        tags: ['alpha', 'zeta'], member_ids: [], healthmonitor_id: null, listener_ids: [],
      })
      assert.deepEqual(await pools.get(created.id), created)
      assert.equal(await pools.get('00000000-0000-4000-8000-000000000000'), undefined)
      const plain = await pools.create(newPool())
      assert.deepEqual([plain.enabled, plain.tls_enabled, plain.session_persistence, plain.tags], [true, false, null, []])
    })

    await t.test('relations: members oldest first, the health monitor, and the listeners using the pool', async () => {
      const pool = await pools.create(newPool({ name: 'related' }))
      const second = await seedMember(db.kysely, pool.id, { ip_address: '192.0.2.2', created_at: new Date('2024-01-02T00:00:00Z') })
      const first = await seedMember(db.kysely, pool.id, { ip_address: '192.0.2.1', created_at: new Date('2024-01-01T00:00:00Z') })
      const monitor = await seedHealthMonitor(db.kysely, pool.id)
      const byDefault = await seedListener(db.kysely, lb.id, { protocol_port: 81, default_pool_id: pool.id, created_at: new Date('2024-01-03T00:00:00Z') })
      const byPolicy = await seedListener(db.kysely, lb.id, { protocol_port: 82, created_at: new Date('2024-01-01T00:00:00Z') })
      await seedL7Rule(db.kysely, await seedL7Policy(db.kysely, byPolicy, pool.id))
      // A policy without rules, and a disabled one, do not make their listener a user of the pool.
      const ruleless = await seedListener(db.kysely, lb.id, { protocol_port: 83 })
      await seedL7Policy(db.kysely, ruleless, pool.id)
      const disabled = await seedListener(db.kysely, lb.id, { protocol_port: 84 })
      const disabledPolicy = await seedL7Policy(db.kysely, disabled, pool.id)
      await seedL7Rule(db.kysely, disabledPolicy)
      await db.kysely.updateTable('l7policy').set({ enabled: false }).where('id', '=', disabledPolicy).execute()

      const found = await pools.get(pool.id)
      assert.deepEqual(found?.member_ids, [first, second])
      assert.equal(found?.healthmonitor_id, monitor)
      assert.deepEqual(found?.listener_ids, [byPolicy, byDefault])
      assert.deepEqual(found?.listener_ids, await listenersUsingPool(db.kysely, pool.id), 'one definition of "listeners using the pool"')
      assert.deepEqual(await pools.listenersUsing(pool.id), [byPolicy, byDefault])
      assert.equal(await pools.l7PolicyRedirectingTo(pool.id) !== undefined, true)
    })

    await t.test('getMany keeps the order asked for, skips unknown ids, and agrees with listenersUsingPool for every pool', async () => {
      const a = await pools.create(newPool({ name: 'a' }))
      const b = await pools.create(newPool({ name: 'b' }))
      const listener = await seedListener(db.kysely, lb.id, { protocol_port: 90, default_pool_id: b.id })
      const many = await pools.getMany([b.id, 'missing', a.id])
      assert.deepEqual(many.map((p) => p.name), ['b', 'a'])
      assert.deepEqual(many[0]?.listener_ids, [listener])
      const all = await db.kysely.selectFrom('pool').select('id').execute()
      for (const pool of await pools.getMany(all.map((r) => r.id))) {
        assert.deepEqual(pool.listener_ids, await listenersUsingPool(db.kysely, pool.id))
      }
    })

    await t.test('update writes fields, replaces or removes the session persistence, replaces tags', async () => {
      const pool = await pools.create(newPool({
        session_persistence: { type: 'APP_COOKIE', cookie_name: 'c', persistence_timeout: null, persistence_granularity: null }, tags: ['x'],
      }))
      clock.advance(1000)
      assert.equal(await pools.update(pool.id, {
        name: 'renamed', lb_algorithm: 'LEAST_CONNECTIONS', tags: ['y', 'z'],
        session_persistence: { type: 'HTTP_COOKIE', cookie_name: null, persistence_timeout: null, persistence_granularity: null },
      }), true)
      let found = await pools.get(pool.id)
      assert.deepEqual([found?.name, found?.lb_algorithm, found?.tags, found?.session_persistence?.type, found?.session_persistence?.cookie_name],
        ['renamed', 'LEAST_CONNECTIONS', ['y', 'z'], 'HTTP_COOKIE', null])
      assert.deepEqual(found?.updated_at, new Date('2024-05-06T07:08:10.123Z'))
      assert.equal(await pools.update(pool.id, { description: 'd' }), true)
      found = await pools.get(pool.id)
      assert.equal(found?.session_persistence?.type, 'HTTP_COOKIE', 'absent session_persistence leaves it')
      assert.equal(await pools.update(pool.id, { session_persistence: null }), true)
      assert.equal((await pools.get(pool.id))?.session_persistence, null)
      assert.equal(await pools.update('00000000-0000-4000-8000-000000000000', { name: 'x' }), false)
    })

    await t.test('statuses compare-and-set; listener helpers stay on the pool\'s load balancer', async () => {
      const pool = await pools.create(newPool())
      assert.equal(await pools.setProvisioningStatus(pool.id, 'ACTIVE', { from: 'PENDING_UPDATE' }), false)
      assert.equal(await pools.setProvisioningStatus(pool.id, 'ACTIVE', { from: 'PENDING_CREATE' }), true)
      assert.equal(await pools.setOperatingStatus(pool.id, 'ONLINE'), true)
      const listener = await seedListener(db.kysely, lb.id, { protocol_port: 100, protocol: 'TCP' })
      assert.deepEqual(await pools.listener(listener), {
        id: listener, project_id: 'p1', load_balancer_id: lb.id, protocol: 'TCP', default_pool_id: null, provisioning_status: 'ACTIVE',
      })
      assert.equal(await pools.setDefaultPoolOf(listener, other.id, pool.id), false)
      assert.equal(await pools.setDefaultPoolOf(listener, lb.id, pool.id), true)
      await pools.setListenersProvisioningStatus([listener], 'PENDING_UPDATE')
      assert.deepEqual(await pools.listener(listener), {
        id: listener, project_id: 'p1', load_balancer_id: lb.id, protocol: 'TCP', default_pool_id: pool.id, provisioning_status: 'PENDING_UPDATE',
      })
      await pools.setListenersProvisioningStatus([listener], 'ACTIVE', { from: 'PENDING_CREATE' })
      assert.equal((await pools.listener(listener))?.provisioning_status, 'PENDING_UPDATE', 'from guards the change')
    })

    await t.test('delete removes members, health monitor, session persistence and their tags; listeners lose their default pool', async () => {
      const pool = await pools.create(newPool({
        tags: ['t'], session_persistence: { type: 'SOURCE_IP', cookie_name: null, persistence_timeout: null, persistence_granularity: null },
      }))
      const member = await seedMember(db.kysely, pool.id)
      const monitor = await seedHealthMonitor(db.kysely, pool.id)
      await db.kysely.insertInto('tags').values([{ resource_id: member, tag: 'm' }, { resource_id: monitor, tag: 'h' }]).execute()
      const listener = await seedListener(db.kysely, lb.id, { protocol_port: 110, default_pool_id: pool.id })
      assert.equal(await pools.delete(pool.id), true)
      assert.equal(await pools.get(pool.id), undefined)
      assert.equal((await pools.listener(listener))?.default_pool_id, null)
      for (const [table, column] of [['member', member], ['health_monitor', monitor]] as const) {
        assert.equal(await db.kysely.selectFrom(table).select('id').where('id', '=', column).executeTakeFirst(), undefined)
      }
      assert.equal(await db.kysely.selectFrom('session_persistence').select('pool_id').where('pool_id', '=', pool.id).executeTakeFirst(), undefined)
      const tags = await readTags(db.kysely, [pool.id, member, monitor])
      assert.deepEqual([...tags.values()], [[], [], []])
      assert.equal(await pools.delete(pool.id), false, 'a second delete finds nothing and is not an error')
      assert.ok(await countRows(db.kysely, 'pool') > 0, 'other pools stay')
    })
  })
}
