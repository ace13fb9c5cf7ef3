import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ListenerRepository, type NewListener } from '../../src/db/repositories/listener-repository.ts'
import { LoadBalancerRepository } from '../../src/db/repositories/load-balancer-repository.ts'
import { DuplicateEntry } from '../../src/db/errors.ts'
import { countRows, seedL7Policy, seedL7Rule, seedPool } from '../helpers/db-seed.ts'
import { ENGINES, withTestDatabase } from '../helpers/test-database.ts'
import { TestClock } from '../helpers/test-clock.ts'

const SUBNET = '317aef40-ef77-4a2d-b4e2-234d69f0eaf9'
const NETWORK = '82a9e159-989e-4ebf-8b49-19ca399c16fe'

for (const engine of ENGINES) {
  test(`listener repository on ${engine}`, async (t) => {
    const db = await withTestDatabase(t, engine)
    const clock = new TestClock('2024-05-06T07:08:09.123Z')
    const lbs = new LoadBalancerRepository(db, clock)
    const listeners = new ListenerRepository(db, clock)
    const newLb = async () => (await lbs.create({
      project_id: 'project-a', name: 'lb', description: null, topology: 'SINGLE', provider: 'amphora',
      vip: { ip_address: '127.64.0.2', port_id: null, subnet_id: SUBNET, network_id: NETWORK },
    })).id
    const newListener = (lbId: string, overrides: Partial<NewListener> = {}): NewListener => ({
      project_id: 'project-a', load_balancer_id: lbId, protocol: 'HTTP', protocol_port: 80, ...overrides,
    })

    await t.test('create and get read back every converted value, SNI refs in the order given', async () => {
      const lbId = await newLb()
      const poolId = await seedPool(db.kysely, lbId)
      const created = await listeners.create(newListener(lbId, {
        name: 'web', description: null, protocol: 'TERMINATED_HTTPS', protocol_port: 443, connection_limit: -1,
        default_pool_id: poolId, tls_certificate_id: 'barbican://default',
        sni_container_refs: ['ref-z', 'ref-a', 'ref-z', 'ref-m'], allowed_cidrs: ['192.0.2.0/24', '10.0.0.0/8', '192.0.2.0/24'],
        tags: ['b', 'a', 'b'], insert_headers: { 'X-Forwarded-For': 'true', 'X-SSL-Client-DN': 'false' },
        timeout_client_data: 50000, timeout_member_connect: 5000, timeout_member_data: 50000, timeout_tcp_inspect: 0,
        client_authentication: 'NONE', tls_ciphers: 'ECDHE-RSA-AES128-GCM-SHA256', tls_versions: ['TLSv1.2', 'TLSv1.3'],
        alpn_protocols: ['h2', 'http/1.1'], hsts_max_age: 0, hsts_include_subdomains: true,
      }))
      assert.equal(created.provisioning_status, 'PENDING_CREATE')
      assert.equal(created.operating_status, 'OFFLINE')
      assert.equal(created.enabled, true)
      assert.equal(created.peer_port, 1025)
      assert.deepEqual(created.created_at, new Date('2024-05-06T07:08:09.123Z'))
      assert.equal(created.updated_at, null)
      assert.deepEqual(created.sni_container_refs, ['ref-z', 'ref-a', 'ref-m'])
      assert.deepEqual(created.allowed_cidrs, ['10.0.0.0/8', '192.0.2.0/24'])
      assert.deepEqual(created.tags, ['a', 'b'])
      assert.deepEqual(created.insert_headers, { 'X-Forwarded-For': 'true', 'X-SSL-Client-DN': 'false' })
      assert.deepEqual(created.tls_versions, ['TLSv1.2', 'TLSv1.3'])
      assert.deepEqual(created.alpn_protocols, ['h2', 'http/1.1'])
      assert.equal(created.hsts_max_age, 0)
      assert.equal(created.hsts_include_subdomains, true)
      assert.equal(created.hsts_preload, false)
      assert.equal(created.default_pool_id, poolId)
      assert.deepEqual(created.l7policy_ids, [])
      assert.deepEqual(await listeners.get(created.id), created)
      assert.equal(await listeners.get('00000000-0000-0000-0000-000000000000'), undefined)

      const plain = await listeners.create(newListener(lbId, { protocol: 'TCP', protocol_port: 1025 }))
      assert.deepEqual([plain.insert_headers, plain.tls_versions, plain.alpn_protocols, plain.allowed_cidrs, plain.sni_container_refs],
        [{}, null, null, [], []])
      assert.equal(plain.client_authentication, 'NONE')
      // 1025 is taken as the first listener's peer port and as this one's protocol port.
      assert.equal(plain.peer_port, 1026)
      assert.deepEqual((await listeners.getMany([plain.id, 'missing', created.id])).map((l) => l.id), [plain.id, created.id])
      assert.deepEqual((await lbs.get(lbId))?.listener_ids.sort(), [created.id, plain.id].sort())
    })

    await t.test('an empty TLS version list is kept apart from no list', async () => {
      const listener = await listeners.create(newListener(await newLb(), { tls_versions: [], alpn_protocols: null }))
      assert.deepEqual([listener.tls_versions, listener.alpn_protocols], [[], null])
    })

    await t.test('L7 policy ids come in position order', async () => {
      const lbId = await newLb()
      const listener = await listeners.create(newListener(lbId))
      const second = await seedL7Policy(db.kysely, listener.id, null)
      const first = await seedL7Policy(db.kysely, listener.id, null)
      await db.kysely.updateTable('l7policy').set({ position: 2 }).where('id', '=', second).execute()
      assert.deepEqual((await listeners.get(listener.id))?.l7policy_ids, [first, second])
    })

    await t.test('port conflicts are per L4 protocol: the TCP family shares ports, UDP and SCTP have their own', async () => {
      const lbId = await newLb()
      const other = await newLb()
      const http = await listeners.create(newListener(lbId, { protocol: 'HTTP', protocol_port: 80 }))
      for (const protocol of ['TCP', 'HTTP', 'HTTPS', 'TERMINATED_HTTPS', 'PROMETHEUS'] as const) {
        assert.equal((await listeners.portConflict(lbId, protocol, 80))?.id, http.id, protocol)
      }
      assert.equal(await listeners.portConflict(lbId, 'UDP', 80), undefined)
      assert.equal(await listeners.portConflict(lbId, 'SCTP', 80), undefined)
      assert.equal(await listeners.portConflict(lbId, 'TCP', 81), undefined)
      assert.equal(await listeners.portConflict(other, 'TCP', 80), undefined)
      const udp = await listeners.create(newListener(lbId, { protocol: 'UDP', protocol_port: 80 }))
      assert.equal((await listeners.portConflict(lbId, 'UDP', 80))?.id, udp.id)
      assert.equal(await listeners.portConflict(lbId, 'SCTP', 80), undefined)
      // The database itself only refuses the exact same protocol and port.
      await assert.rejects(listeners.create(newListener(lbId, { protocol: 'HTTP', protocol_port: 80 })),
        (err) => err instanceof DuplicateEntry && err.constraint === 'uq_listener_load_balancer_id_protocol_port')
    })

    await t.test('update writes fields, replaces lists and sets updated_at; unknown ids resolve false', async () => {
      const lbId = await newLb()
      const listener = await listeners.create(newListener(lbId, {
        sni_container_refs: ['a', 'b'], allowed_cidrs: ['10.0.0.0/8'], tags: ['old'], insert_headers: { 'X-Forwarded-For': 'true' },
      }))
      const at = clock.advance(1500)
      assert.ok(await listeners.update(listener.id, {
        name: 'renamed', enabled: false, connection_limit: 100, sni_container_refs: ['c', 'a'], allowed_cidrs: [],
        tags: ['new'], insert_headers: null, tls_versions: ['TLSv1.3'], alpn_protocols: ['h2'],
      }))
      const updated = await listeners.get(listener.id)
      assert.equal(updated?.name, 'renamed')
      assert.equal(updated?.enabled, false)
      assert.equal(updated?.connection_limit, 100)
      assert.deepEqual(updated?.sni_container_refs, ['c', 'a'])
      assert.deepEqual(updated?.allowed_cidrs, [])
      assert.deepEqual(updated?.tags, ['new'])
      assert.deepEqual(updated?.insert_headers, {})
      assert.deepEqual(updated?.tls_versions, ['TLSv1.3'])
      assert.deepEqual(updated?.alpn_protocols, ['h2'])
      assert.deepEqual(updated?.updated_at, at)
      assert.ok(await listeners.update(listener.id, { description: 'only this' }))
      assert.deepEqual((await listeners.get(listener.id))?.sni_container_refs, ['c', 'a'], 'lists not given stay')
      assert.equal(await listeners.update('00000000-0000-0000-0000-000000000000', { name: 'x' }), false)
    })

    await t.test('delete removes the listener, its L7 policies and rules, SNI, CIDRs, statistics and tags; the default pool stays', async () => {
      const lbId = await newLb()
      const poolId = await seedPool(db.kysely, lbId)
      const listener = await listeners.create(newListener(lbId, {
        default_pool_id: poolId, sni_container_refs: ['a'], allowed_cidrs: ['10.0.0.0/8'], tags: ['gone'],
      }))
      const keep = await listeners.create(newListener(lbId, { protocol_port: 81, tags: ['kept'] }))
      const policy = await seedL7Policy(db.kysely, listener.id, poolId)
      const rule = await seedL7Rule(db.kysely, policy)
      await db.kysely.insertInto('tags').values([{ resource_id: policy, tag: 'p' }, { resource_id: rule, tag: 'r' }]).execute()
      await db.kysely.insertInto('listener_statistics').values({ listener_id: listener.id, amphora_id: listener.id, bytes_in: 5 }).execute()
      const before = { sni: await countRows(db.kysely, 'sni'), cidr: await countRows(db.kysely, 'listener_cidr') }

      assert.equal(await listeners.delete(listener.id), true)
      assert.equal(await listeners.get(listener.id), undefined)
      assert.equal(await countRows(db.kysely, 'sni'), before.sni - 1)
      assert.equal(await countRows(db.kysely, 'listener_cidr'), before.cidr - 1)
      for (const [table, id] of [['l7policy', policy], ['l7rule', rule], ['listener_statistics', listener.id]] as const) {
        const column = table === 'listener_statistics' ? 'listener_id' : 'id'
        assert.equal((await db.kysely.selectFrom(table).select(column).where(column, '=', id).execute()).length, 0, table)
      }
      const tags = await db.kysely.selectFrom('tags').select('resource_id').where('resource_id', 'in', [listener.id, policy, rule, keep.id]).execute()
      assert.deepEqual(tags.map((r) => r.resource_id), [keep.id])
      assert.ok(await listeners.pool(poolId), 'the default pool stays')
      assert.deepEqual(await listeners.pool(poolId), { id: poolId, load_balancer_id: lbId, protocol: 'HTTP' })
      assert.equal(await listeners.delete(listener.id), false, 'already gone is not an error')
    })

    await t.test('statistics sum every row; active connections only from ALLOCATED amphorae or provider rows', async () => {
      const lbId = await newLb()
      const listener = await listeners.create(newListener(lbId))
      assert.deepEqual(await listeners.statistics(listener.id),
        { bytes_in: 0, bytes_out: 0, active_connections: 0, total_connections: 0, request_errors: 0 })
      const amphora = async (status: 'ALLOCATED' | 'ERROR') => {
        const id = crypto.randomUUID()
        await db.kysely.insertInto('amphora').values({ id, load_balancer_id: lbId, status, created_at: clock.now() }).execute()
        return id
      }
      const allocated = await amphora('ALLOCATED')
      const broken = await amphora('ERROR')
      const row = (amphoraId: string, n: number) => ({
        listener_id: listener.id, amphora_id: amphoraId, bytes_in: n, bytes_out: 2 * n, active_connections: n, total_connections: 10 * n, request_errors: n,
      })
      await db.kysely.insertInto('listener_statistics').values([
        row(allocated, 1), row(broken, 100), row(listener.id, 1000), row('ffffffff-0000-4000-8000-000000000000', 10000),
      ]).execute()
      assert.deepEqual(await listeners.statistics(listener.id), {
        bytes_in: 11101, bytes_out: 22202, active_connections: 1001, total_connections: 111010, request_errors: 11101,
      })
    })

    await t.test('provisioning status compare-and-set', async () => {
      const listener = await listeners.create(newListener(await newLb()))
      assert.equal(await listeners.setProvisioningStatus(listener.id, 'ACTIVE', { from: 'PENDING_UPDATE' }), false)
      assert.equal(await listeners.setProvisioningStatus(listener.id, 'ACTIVE', { from: 'PENDING_CREATE' }), true)
      assert.equal(await listeners.setOperatingStatus(listener.id, 'ONLINE'), true)
      const stored = await listeners.get(listener.id)
      assert.deepEqual([stored?.provisioning_status, stored?.operating_status], ['ACTIVE', 'ONLINE'])
    })
  })
}
