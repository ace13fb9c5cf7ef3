import { test } from 'node:test'
import assert from 'node:assert/strict'
import { newId } from '../../src/common/ids.ts'
import { UNIQUE_CONSTRAINTS } from '../../src/db/constraints.ts'
import { DuplicateEntry, ReferenceNotFound, StillReferenced } from '../../src/db/errors.ts'
import { LoadBalancerRepository } from '../../src/db/repositories/load-balancer-repository.ts'
import { replaceTags } from '../../src/db/repositories/tags.ts'
import { ENGINES, withTestDatabase } from '../helpers/test-database.ts'
import { TestClock } from '../helpers/test-clock.ts'
import {
  countRows, seedHealthMonitor, seedL7Policy, seedL7Rule, seedListener, seedMember, seedPool,
} from '../helpers/db-seed.ts'

const VIP = { ip_address: '127.64.0.9', subnet_id: 'subnet-1', network_id: 'net-1', port_id: 'port-1' }

function isDuplicate(constraint: string) {
  return (error: unknown) => {
    assert.ok(error instanceof DuplicateEntry, `expected DuplicateEntry, got ${String(error)}`)
    assert.equal(error.constraint, constraint)
    assert.equal(error.meaning, UNIQUE_CONSTRAINTS.find((c) => c.name === constraint)?.meaning)
    return true
  }
}

for (const engine of ENGINES) {
  test(`constraints, cascades and value fidelity on ${engine}`, async (t) => {
    const db = await withTestDatabase(t, engine)
    const clock = new TestClock()
    const lbs = new LoadBalancerRepository(db, clock)
    const k = db.kysely

    await t.test('deleting a load balancer row removes everything under it', async () => {
      const lb = await lbs.create({ project_id: 'p1', vip: VIP, vip_sg_ids: ['sg-1'], tags: ['lb-tag'],
        additional_vips: [{ subnet_id: 'subnet-2' }] })
      await k.insertInto('vrrp_group').values({ load_balancer_id: lb.id, vrrp_group_name: 'g', advert_int: 1 }).execute()
      const pool = await seedPool(k, lb.id)
      const redirectPool = await seedPool(k, lb.id)
      const listener = await seedListener(k, lb.id, { default_pool_id: pool })
      await k.insertInto('sni').values({ listener_id: listener, tls_container_id: 'cert-1', position: 0 }).execute()
      await k.insertInto('listener_cidr').values({ listener_id: listener, cidr: '192.0.2.0/24' }).execute()
      const policy = await seedL7Policy(k, listener, redirectPool)
      const rule = await seedL7Rule(k, policy)
      const member = await seedMember(k, pool)
      const monitor = await seedHealthMonitor(k, pool)
      await k.insertInto('session_persistence').values({ pool_id: pool, type: 'HTTP_COOKIE' }).execute()
      const amphoraId = newId()
      await k.insertInto('amphora').values({ id: amphoraId, load_balancer_id: lb.id, status: 'ALLOCATED', created_at: clock.now() }).execute()
      for (const id of [listener, pool, member, monitor, policy, rule]) await replaceTags(k, id, ['child-tag'])

      assert.ok(await lbs.delete(lb.id))
      for (const table of ['load_balancer', 'vip', 'vip_security_group', 'additional_vip', 'vrrp_group', 'listener', 'sni',
        'listener_cidr', 'pool', 'member', 'health_monitor', 'session_persistence', 'l7policy', 'l7rule', 'tags'] as const) {
        assert.equal(await countRows(k, table), 0, `${table} still has rows`)
      }
      // Amphorae are purged on their own schedule; they only lose the reference.
      const amphora = await k.selectFrom('amphora').select('load_balancer_id').where('id', '=', amphoraId).executeTakeFirst()
      assert.deepEqual(amphora, { load_balancer_id: null })
      await k.deleteFrom('amphora').execute()
    })

    await t.test('deleting a pool clears default_pool_id and keeps the listener', async () => {
      const lb = await lbs.create({ project_id: 'p1', vip: VIP })
      const pool = await seedPool(k, lb.id)
      const listener = await seedListener(k, lb.id, { default_pool_id: pool })
      await seedMember(k, pool)
      await k.deleteFrom('pool').where('id', '=', pool).execute()
      const row = await k.selectFrom('listener').select('default_pool_id').where('id', '=', listener).executeTakeFirst()
      assert.deepEqual(row, { default_pool_id: null })
      assert.equal(await countRows(k, 'member'), 0)
      await lbs.delete(lb.id)
    })

    await t.test('unique constraints raise DuplicateEntry naming what they mean', async () => {
      const lb = await lbs.create({ project_id: 'p1', vip: VIP })
      await seedListener(k, lb.id, { protocol: 'TCP', protocol_port: 443 })
      await assert.rejects(seedListener(k, lb.id, { protocol: 'TCP', protocol_port: 443 }),
        isDuplicate('uq_listener_load_balancer_id_protocol_port'))
      await seedListener(k, lb.id, { protocol: 'UDP', protocol_port: 443 })

      const pool = await seedPool(k, lb.id)
      await seedMember(k, pool, { ip_address: '2001:db8::10', protocol_port: 80 })
      await assert.rejects(seedMember(k, pool, { ip_address: '2001:db8::10', protocol_port: 80 }),
        isDuplicate('uq_member_pool_id_ip_address_protocol_port'))
      await seedMember(k, pool, { ip_address: '2001:db8::10', protocol_port: 81 })

      await seedHealthMonitor(k, pool)
      await assert.rejects(seedHealthMonitor(k, pool), isDuplicate('uq_health_monitor_pool_id'))

      const existing = await k.selectFrom('pool').select('id').where('id', '=', pool).executeTakeFirstOrThrow()
      await assert.rejects(seedPool(k, lb.id, { id: existing.id }), isDuplicate('pk_pool'))
      await assert.rejects(k.insertInto('tags').values([{ resource_id: pool, tag: 'a' }, { resource_id: pool, tag: 'a' }]).execute(),
        isDuplicate('pk_tags'))

      await k.insertInto('flavor_profile').values({ id: 'fp-1', name: 'fp', provider_name: 'amphora', flavor_data: '{}' }).execute()
      await k.insertInto('flavor').values({ id: newId(), name: 'small', enabled: true, flavor_profile_id: 'fp-1' }).execute()
      await assert.rejects(k.insertInto('flavor').values({ id: newId(), name: 'small', enabled: true, flavor_profile_id: 'fp-1' }).execute(),
        isDuplicate('uq_flavor_name'))
      // Names compare case-sensitively on every engine (MySQL tables use a binary collation).
      await k.insertInto('flavor').values({ id: newId(), name: 'SMALL', enabled: true, flavor_profile_id: 'fp-1' }).execute()
      await lbs.delete(lb.id)
    })

    await t.test('foreign keys raise ReferenceNotFound and StillReferenced', async () => {
      await assert.rejects(seedListener(k, newId()), (error: unknown) => error instanceof ReferenceNotFound && error.table === 'listener')
      await assert.rejects(k.deleteFrom('flavor_profile').where('id', '=', 'fp-1').execute(),
        (error: unknown) => error instanceof StillReferenced && error.table === 'flavor_profile')
    })

    await t.test('JSON, floats, big counters and text read back identically', async () => {
      const flavorData = '{"loadbalancer_topology": "ACTIVE_STANDBY", "name": "caf\u00e9 \u2603", "n": [1, 2.5]}'
      await k.insertInto('flavor_profile').values({ id: 'fp-json', name: 'j', provider_name: 'amphora', flavor_data: flavorData }).execute()
      const profile = await k.selectFrom('flavor_profile').selectAll().where('id', '=', 'fp-json').executeTakeFirstOrThrow()
      assert.deepEqual(profile, { id: 'fp-json', name: 'j', provider_name: 'amphora', flavor_data: flavorData })

      const lb = await lbs.create({ project_id: 'p1', vip: VIP })
      const headers = JSON.stringify({ 'X-Forwarded-For': 'true', 'X-SSL-Client-DN': 'true' })
      const listener = await seedListener(k, lb.id, { insert_headers: headers, tls_versions: 'TLSv1.2,TLSv1.3', hsts_max_age: 0 })
      const row = await k.selectFrom('listener').selectAll().where('id', '=', listener).executeTakeFirstOrThrow()
      assert.equal(row.insert_headers, headers)
      assert.equal(row.hsts_include_subdomains, false)
      assert.equal(row.hsts_preload, false)
      assert.equal(row.hsts_max_age, 0)
      assert.equal(row.client_authentication, 'NONE')
      assert.equal(row.updated_at, null)

      const pool = await seedPool(k, lb.id)
      await seedHealthMonitor(k, pool)
      const monitor = await k.selectFrom('health_monitor').select(['http_version', 'enabled']).where('pool_id', '=', pool).executeTakeFirstOrThrow()
      assert.deepEqual(monitor, { http_version: 1.1, enabled: true })

      const big = 2 ** 40 + 7
      await k.insertInto('listener_statistics').values({ listener_id: listener, amphora_id: 'amp', bytes_in: big, total_connections: 3 }).execute()
      const stats = await k.selectFrom('listener_statistics').selectAll().executeTakeFirstOrThrow()
      assert.deepEqual(stats, { listener_id: listener, amphora_id: 'amp', bytes_in: big, bytes_out: 0, active_connections: 0,
        total_connections: 3, request_errors: 0 })
      assert.equal(await countRows(k, 'listener_statistics'), 1)
      await lbs.delete(lb.id)
    })

    await t.test('timestamps keep milliseconds and compare in time order', async () => {
      const times = ['1999-12-31T23:59:59.999Z', '2024-02-29T12:00:00.001Z', '2024-02-29T12:00:00.010Z', '2038-01-19T03:14:08.000Z']
      for (const [i, time] of times.entries()) {
        await k.insertInto('amphora_health').values({ amphora_id: `amp-${i}`, last_update: new Date(time) }).execute()
      }
      const rows = await k.selectFrom('amphora_health').selectAll().orderBy('last_update', 'desc').execute()
      assert.deepEqual(rows.map((r) => r.last_update), times.map((time) => new Date(time)).reverse())
      assert.deepEqual(rows.map((r) => r.busy), [false, false, false, false])
      const older = await k.selectFrom('amphora_health').select('amphora_id')
        .where('last_update', '<', new Date('2024-02-29T12:00:00.010Z')).orderBy('amphora_id').execute()
      assert.deepEqual(older.map((r) => r.amphora_id), ['amp-0', 'amp-1'])
      // A database-side default is in the same representation as the values we write.
      await k.insertInto('amphora_build_request').values({ amphora_id: 'amp-0', priority: 40 }).execute()
      const request = await k.selectFrom('amphora_build_request').selectAll().executeTakeFirstOrThrow()
      assert.ok(request.created_time instanceof Date && !Number.isNaN(request.created_time.getTime()))
      assert.ok(Math.abs(request.created_time.getTime() - Date.now()) < 60_000, `created_time ${request.created_time.toISOString()}`)
      assert.equal(request.status, 'WAITING')
    })
  })
}
