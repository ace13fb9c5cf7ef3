import { test } from 'node:test'
import assert from 'node:assert/strict'
import { AgentRepository } from '../../../src/db/repositories/agent-repository.ts'
import { AmphoraRepository } from '../../../src/db/repositories/amphora-repository.ts'
import { LocalAgentCompute, NoHostAvailable, UnknownHost } from '../../../src/drivers/compute/local-agent-compute.ts'
import { TestClock } from '../../helpers/test-clock.ts'
import { ENGINES, withTestDatabase } from '../../helpers/test-database.ts'

const TLS = { key: '', cert: '', ca: '' }

for (const engine of ENGINES) {
  test(`amphorae go to the enabled agent with the most room, on ${engine}`, async (t) => {
    const db = await withTestDatabase(t, engine)
    const clock = new TestClock()
    const agents = new AgentRepository(db, clock)
    const amphorae = new AmphoraRepository(db, clock)
    const compute = new LocalAgentCompute({ agents, amphorae, tls: TLS, retries: { max_retries: 1, retry_interval: 0, conn_timeout: 1, read_timeout: 1 } })
    t.after(() => compute.close())
    await assert.rejects(compute.schedule(), NoHostAvailable)

    const small = await agents.register({ name: 'small', address: '127.0.0.1', port: 9443, capacity: 2 })
    const big = await agents.register({ name: 'big', address: '127.0.0.2', port: 9443, capacity: 3 })
    const off = await agents.register({ name: 'off', address: '127.0.0.3', port: 9443, capacity: 50 })
    await agents.setEnabled(off.id, false)
    const placed: string[] = []
    for (let i = 0; i < 5; i++) {
      const agent = await compute.schedule()
      placed.push(agent.name)
      await amphorae.create({ compute_id: agent.id, status: 'ALLOCATED' })
    }
    // Room: big 3, small 2 → big, then a tie (2/2) keeps the first listed, and so on until both are full.
    assert.deepEqual(placed.filter((n) => n === 'big').length, 3)
    assert.deepEqual(placed.filter((n) => n === 'small').length, 2)
    await assert.rejects(compute.schedule(), NoHostAvailable)
    assert.equal((await compute.clientFor(small.id)), await compute.clientFor(small.id))
    assert.notEqual(await compute.clientFor(small.id), await compute.clientFor(big.id))
    await assert.rejects(compute.clientFor('00000000-0000-4000-8000-000000000000'), UnknownHost)
  })
}
