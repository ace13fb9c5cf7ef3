import assert from 'node:assert/strict'
import { test } from 'node:test'
import { systemClock } from '../../src/common/clock.ts'
import { createLogger } from '../../src/common/logger.ts'
import { AgentRepository } from '../../src/db/repositories/agent-repository.ts'
import { AmphoraRepository } from '../../src/db/repositories/amphora-repository.ts'
import { LocalAgentCompute } from '../../src/drivers/compute/local-agent-compute.ts'
import { AgentCertificateRotator } from '../../src/housekeeping/agent-certificate-rotator.ts'
import { CertificateRotation } from '../../src/housekeeping/certificate-rotation.ts'
import { agentCa, agentWorkDir, clientCertificate, presentedCertificate, startTestAgent, AGENT_NAME } from '../agent/agent-harness.ts'
import { ENGINES, withTestDatabase } from '../helpers/test-database.ts'

// The data plane's rotation against a real `octavia agent`: unknown expiries are learnt from the
// agent, a due agent gets one new certificate for all its amphorae, an unreachable one fails.

const DAY = 86_400
const log = createLogger({ level: 'silent' })

test('host agent certificates: expiries learnt from the agent, one rotation for all the amphorae of an agent, an unreachable agent fails', async (t) => {
  const cwd = agentWorkDir(t)
  const agent = await startTestAgent(t, cwd)
  const tls = await clientCertificate(cwd)
  const notAfter = async () => {
    const peer = await presentedCertificate(agent.port, AGENT_NAME, tls)
    return { serial: peer.serialNumber, expires: new Date(peer.valid_to) }
  }
  const replaced = () => agent.service.logs.filter((l) => l.msg === 'agent server certificate replaced').length

  for (const [round, engine] of ENGINES.entries()) {
    // One agent for every engine: each round's certificates outlive the last round's, so that a
    // buffer longer than the agent's certificate makes it due and the new one is not due again.
    const validity = (round + 2) * 100 * DAY
    const ca = await agentCa(cwd, validity)
    const db = await withTestDatabase(t, engine)
    const agents = new AgentRepository(db, systemClock)
    const amphorae = new AmphoraRepository(db, systemClock)
    // Registered as `octavia host register` does: the expiry is not known.
    const host = await agents.register({ name: AGENT_NAME, address: '127.0.0.1', port: agent.port })
    const gone = await agents.register({ name: 'agent-gone', address: '127.0.0.1', port: 1 })
    const first = await amphorae.create({ status: 'ALLOCATED', compute_id: host.id })
    const second = await amphorae.create({ status: 'ALLOCATED', compute_id: host.id })
    const lost = await amphorae.create({ status: 'ALLOCATED', compute_id: gone.id, cert_expiration: new Date(Date.now() + DAY * 1000) })
    const compute = new LocalAgentCompute({
      agents, amphorae, tls, retries: { max_retries: 1, retry_interval: 0, conn_timeout: 5, read_timeout: 30 },
    })
    t.after(() => compute.close())
    const rotator = new AgentCertificateRotator({ agents, amphorae, compute, ca, log })
    // One at a time: which amphorae are claimed does not depend on how fast each rotation goes.
    const rotation = (buffer: number) => new CertificateRotation({ db, clock: systemClock, log, expiryBuffer: buffer, threads: 1, rotator })

    // Nothing due; the agent's expiry is learnt and recorded on it and its amphorae.
    const before = await notAfter()
    assert.deepEqual(await rotation(0).run(), { rotated: [], failed: [] })
    assert.deepEqual((await agents.get(host.id))?.cert_expiration, before.expires)
    for (const amp of [first, second]) assert.deepEqual((await amphorae.get(amp.id))?.cert_expiration, before.expires)
    assert.equal((await agents.get(gone.id))?.cert_expiration, null)

    // Everything due: the agent (a day before its certificate expires) and the lost one.
    const count = replaced()
    const result = await rotation(Math.ceil((before.expires.getTime() - Date.now()) / 1000) + DAY).run()
    // The lost one is claimed first (it expires first) and fails; one of the agent's amphorae is
    // rotated, after which the other is not due any more.
    assert.equal(result.rotated.length, 1)
    assert.ok([first.id, second.id].includes(result.rotated[0]!))
    assert.deepEqual(result.failed, [lost.id])
    const after = await notAfter()
    assert.notEqual(after.serial, before.serial)
    assert.ok(after.expires.getTime() > Date.now() + (validity - DAY) * 1000)
    assert.equal(replaced(), count + 1)
    assert.deepEqual((await agents.get(host.id))?.cert_expiration, after.expires)
    for (const amp of [first, second]) {
      const row = await amphorae.get(amp.id)
      assert.deepEqual([row?.cert_expiration, row?.cert_busy, row?.status], [after.expires, false, 'ALLOCATED'])
    }
    const failed = await amphorae.get(lost.id)
    assert.deepEqual([failed?.status, failed?.cert_busy], ['ERROR', true])
  }
})
