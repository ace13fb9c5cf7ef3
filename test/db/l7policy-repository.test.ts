import { test } from 'node:test'
import assert from 'node:assert/strict'
import { L7PolicyRepository, type NewL7Policy } from '../../src/db/repositories/l7policy-repository.ts'
import { L7RuleRepository } from '../../src/db/repositories/l7rule-repository.ts'
import { ListenerRepository } from '../../src/db/repositories/listener-repository.ts'
import { LoadBalancerRepository } from '../../src/db/repositories/load-balancer-repository.ts'
import { countRows, seedListener, seedPool } from '../helpers/db-seed.ts'
import { TestClock } from '../helpers/test-clock.ts'
import { ENGINES, withTestDatabase } from '../helpers/test-database.ts'

// The L7 policy and rule repositories on every engine: columns read back alike, positions kept
// 1..N through inserts, moves and deletes, and rules, tags and positions on removal.

for (const engine of ENGINES) {
  test(`L7 policy and rule repositories on ${engine}`, async (t) => {
    const db = await withTestDatabase(t, engine)
    const clock = new TestClock('2024-05-06T07:08:09.123Z')
    const policies = new L7PolicyRepository(db, clock)
    const rules = new L7RuleRepository(db, clock)
    const lb = await new LoadBalancerRepository(db, clock).create({
      project_id: 'project-a', name: 'lb', description: null, topology: 'SINGLE', provider: 'amphora',
      vip: { ip_address: '127.64.0.2', port_id: 'a6a5ca4e-5b1e-4cf2-9d3b-0e2c5a8a0b01', subnet_id: 'subnet-1', network_id: 'net-1' },
    })
    let port = 1000
    const listener = () => seedListener(db.kysely, lb.id, { protocol_port: port++ })
    const reject = (listenerId: string, overrides: Partial<NewL7Policy> = {}): NewL7Policy =>
      ({ listener_id: listenerId, project_id: 'project-a', action: 'REJECT', ...overrides })
    /** (id, position) of the listener's policies in position order. */
    const order = async (listenerId: string) => (await policies.listByListener(listenerId)).map((p) => [p.id, p.position])

    await t.test('create and get read back every column; rules and tags come with the policy', async () => {
      const listenerId = await listener()
      const poolId = await seedPool(db.kysely, lb.id)
      const created = await policies.create(reject(listenerId, {
        id: '0b3c4f7e-6a1d-4c2b-8e5f-123456789abc', name: 'p', description: 'd', action: 'REDIRECT_PREFIX', redirect_pool_id: poolId,
        redirect_url: 'http://example.com/a', redirect_prefix: 'https://example.org', redirect_http_code: 308, enabled: false,
        tags: ['zeta', 'alpha', 'zeta'],
      }))
      const expected = {
        id: '0b3c4f7e-6a1d-4c2b-8e5f-123456789abc', project_id: 'project-a', name: 'p', description: 'd', listener_id: listenerId,
        action: 'REDIRECT_PREFIX', redirect_pool_id: poolId, redirect_url: 'http://example.com/a', redirect_prefix: 'https://example.org',
        redirect_http_code: 308, position: 1, enabled: false, provisioning_status: 'PENDING_CREATE', operating_status: 'OFFLINE',
        created_at: new Date('2024-05-06T07:08:09.123Z'), updated_at: null, load_balancer_id: lb.id, tags: ['alpha', 'zeta'], rule_ids: [],
      }
      assert.deepEqual(created, expected)
      const rule = await rules.create({ l7policy_id: created.id, project_id: 'project-a', type: 'HEADER', compare_type: 'REGEX', key: 'X', value: '^a$', invert: true, tags: ['r'] })
      assert.deepEqual({ ...rule, id: undefined }, {
        id: undefined, project_id: 'project-a', l7policy_id: created.id, type: 'HEADER', compare_type: 'REGEX', key: 'X', value: '^a$',
        invert: true, enabled: true, provisioning_status: 'PENDING_CREATE', operating_status: 'OFFLINE',
        created_at: new Date('2024-05-06T07:08:09.123Z'), updated_at: null, tags: ['r'],
      })
      clock.advance(1000)
      const second = await rules.create({ l7policy_id: created.id, project_id: 'project-a', type: 'PATH', compare_type: 'EQUAL_TO', value: '/' })
      assert.equal(second.invert, false)
      assert.deepEqual((await policies.get(created.id))?.rule_ids, [rule.id, second.id])
      assert.equal(await policies.ruleCount(created.id), 2)
      assert.equal(await rules.update(rule.id, { value: '^b$', key: null, tags: [] }), true)
      assert.deepEqual(await rules.get(rule.id).then((r) => [r?.value, r?.key, r?.tags, r?.updated_at]), ['^b$', null, [], clock.now()])
      // The listener shows its policies in position order.
      assert.deepEqual((await new ListenerRepository(db, clock).get(listenerId))?.l7policy_ids, [created.id])
    })

    await t.test('positions: insert at min(position, N+1), move to min(position, N), close up on delete', async () => {
      const listenerId = await listener()
      const a = (await policies.create(reject(listenerId))).id
      const b = (await policies.create(reject(listenerId, { position: 1 }))).id
      const c = (await policies.create(reject(listenerId, { position: 7 }))).id
      const d = (await policies.create(reject(listenerId, { position: 2 }))).id
      assert.deepEqual(await order(listenerId), [[b, 1], [d, 2], [a, 3], [c, 4]])
      const shiftedAt = clock.advance(1000)
      await policies.update(c, { position: 1 })
      assert.deepEqual(await order(listenerId), [[c, 1], [b, 2], [d, 3], [a, 4]])
      // A shifted policy counts as modified.
      assert.deepEqual((await policies.get(b))?.updated_at, shiftedAt)
      await policies.update(b, { position: 2_147_483_647, name: 'last' })
      assert.deepEqual(await order(listenerId), [[c, 1], [d, 2], [a, 3], [b, 4]])
      await policies.update(a, { position: 3 })
      assert.deepEqual(await order(listenerId), [[c, 1], [d, 2], [a, 3], [b, 4]])
      const rule = await rules.create({ l7policy_id: d, project_id: 'project-a', type: 'PATH', compare_type: 'EQUAL_TO', value: '/', tags: ['t'] })
      await db.kysely.insertInto('tags').values({ resource_id: d, tag: 'p' }).execute()
      assert.equal(await policies.delete(d), true)
      assert.equal(await policies.delete(d), false)
      assert.deepEqual(await order(listenerId), [[c, 1], [a, 2], [b, 3]])
      assert.equal(await rules.get(rule.id), undefined)
      assert.equal(await db.kysely.selectFrom('tags').select('tag').where('resource_id', 'in', [d, rule.id]).executeTakeFirst(), undefined)
      // Another listener's numbering is its own.
      const other = await listener()
      const e = (await policies.create(reject(other, { position: 3 }))).id
      assert.deepEqual(await order(other), [[e, 1]])
      // A new policy is not "updated" by being placed.
      assert.equal((await policies.get(e))?.updated_at, null)
    })

    await t.test('listener delete and LB cascade remove policies, rules and their tags', async () => {
      const listenerId = await listener()
      const policy = await policies.create(reject(listenerId, { tags: ['x'] }))
      await rules.create({ l7policy_id: policy.id, project_id: 'project-a', type: 'PATH', compare_type: 'EQUAL_TO', value: '/', tags: ['y'] })
      assert.equal(await new ListenerRepository(db, clock).delete(listenerId), true)
      assert.equal(await policies.get(policy.id), undefined)
      const survivor = await policies.create(reject(await listener()))
      await rules.create({ l7policy_id: survivor.id, project_id: 'project-a', type: 'PATH', compare_type: 'EQUAL_TO', value: '/', tags: ['z'] })
      await new LoadBalancerRepository(db, clock).deleteChildren(lb.id)
      assert.deepEqual([await countRows(db.kysely, 'l7policy'), await countRows(db.kysely, 'l7rule'), await countRows(db.kysely, 'tags')], [0, 0, 0])
    })
  })
}
