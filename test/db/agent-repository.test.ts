import { test } from 'node:test'
import assert from 'node:assert/strict'
import { DuplicateEntry } from '../../src/db/errors.ts'
import { AgentRepository } from '../../src/db/repositories/agent-repository.ts'
import { ENGINES, withTestDatabase } from '../helpers/test-database.ts'
import { TestClock } from '../helpers/test-clock.ts'

for (const engine of ENGINES) {
  test(`agent repository on ${engine}`, async (t) => {
    const db = await withTestDatabase(t, engine)
    const clock = new TestClock()
    const agents = new AgentRepository(db, clock)

    await t.test('register adds, then updates by name keeping id and enabled', async () => {
      const first = await agents.register({ name: 'host-a', address: '192.0.2.10', port: 9443, capacity: 20 })
      assert.deepEqual(first, {
        id: first.id, name: 'host-a', address: '192.0.2.10', port: 9443, enabled: true, capacity: 20, cert_expiration: null,
        last_seen: null, created_at: clock.now(), updated_at: null,
      })
      assert.ok(await agents.setEnabled(first.id, false))
      const at = clock.advance(1000)
      const again = await agents.register({ name: 'host-a', address: '192.0.2.11', port: 9444, cert_expiration: new Date('2030-01-01T00:00:00Z') })
      assert.equal(again.id, first.id)
      assert.equal(again.enabled, false)
      assert.equal(again.address, '192.0.2.11')
      assert.equal(again.capacity, null)
      assert.deepEqual(again.updated_at, at)
      await agents.register({ name: 'host-b', address: '192.0.2.12', port: 9443 })
      assert.deepEqual((await agents.list({ enabled: true })).map((a) => a.name), ['host-b'])
      assert.deepEqual((await agents.list()).map((a) => a.name), ['host-a', 'host-b'])
    })

    await t.test('names are unique and last_seen is recorded', async () => {
      const agent = await agents.register({ name: 'host-c', address: '192.0.2.13', port: 9443 })
      await assert.rejects(db.kysely.insertInto('agents').values({ ...agent, id: 'other-id' }).execute(),
        (error: unknown) => error instanceof DuplicateEntry && error.constraint === 'uq_agents_name')
      assert.ok(await agents.touch(agent.id, clock.advance(5)))
      assert.deepEqual((await agents.get(agent.id))?.last_seen, clock.now())
      assert.ok(await agents.delete(agent.id))
      assert.equal(await agents.getByName('host-c'), undefined)
    })
  })
}
