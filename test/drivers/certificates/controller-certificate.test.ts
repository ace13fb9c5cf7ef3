import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { AgentClient } from '../../../src/amphora/agent-client.ts'
import { systemClock } from '../../../src/common/clock.ts'
import { createLogger } from '../../../src/common/logger.ts'
import { loadConfig } from '../../../src/config/load-config.ts'
import { AgentRepository } from '../../../src/db/repositories/agent-repository.ts'
import { AmphoraRepository } from '../../../src/db/repositories/amphora-repository.ts'
import { ControllerCertificate } from '../../../src/drivers/certificates/controller-certificate.ts'
import { LocalAgentCompute } from '../../../src/drivers/compute/local-agent-compute.ts'
import { AGENT_NAME, agentWorkDir, startTestAgent } from '../../agent/agent-harness.ts'
import { withTestDatabase } from '../../helpers/test-database.ts'

// A controller process outlives its client certificate (30 days by default): it is renewed
// while the process runs, and the agents, which refuse an expired client certificate, go on
// accepting the controller. Here a certificate lives 6 s and is renewed 3 s before it expires.

const RETRIES = { max_retries: 1, retry_interval: 0, conn_timeout: 5, read_timeout: 10 }

test('the controller\'s client certificate is renewed before it expires and agents still accept the controller after the first one expired', async (t) => {
  const cwd = agentWorkDir(t)
  const agent = await startTestAgent(t, cwd) // its own server certificate lives the default 30 days
  const db = await withTestDatabase(t, 'sqlite')
  const agentRow = await new AgentRepository(db, systemClock).register({ name: AGENT_NAME, address: '127.0.0.1', port: agent.port, capacity: 10 })
  const { config } = loadConfig({
    files: [], env: {}, sets: ['octavia.certificates.cert_validity_time=6', 'octavia.house_keeping.cert_expiry_buffer=3'],
  })
  const caDir = join(cwd, 'var/certs')
  const certificate = await ControllerCertificate.load(config, systemClock, createLogger({ level: 'silent' }), caDir)
  const first = certificate.material
  const compute = new LocalAgentCompute({
    agents: new AgentRepository(db, systemClock), amphorae: new AmphoraRepository(db, systemClock), tls: certificate, retries: RETRIES,
  })
  t.after(() => compute.close())
  certificate.start()
  assert.match(await (await compute.clientFor(agentRow.id)).apiVersion(), /^\d/)

  // Past the first certificate's expiry.
  await sleep(Math.max(0, first.expires_at.getTime() - Date.now()) + 500)
  const old = new AgentClient({ address: '127.0.0.1', port: agent.port, name: AGENT_NAME, tls: { key: first.key, cert: first.cert, ca: first.ca }, ...RETRIES })
  t.after(() => old.close())
  await assert.rejects(old.apiVersion(), 'the agent refuses the expired certificate')

  const current = certificate.material
  assert.ok(current.expires_at.getTime() > first.expires_at.getTime(), 'a newer certificate')
  assert.notEqual(current.cert, first.cert)
  assert.equal(readFileSync(join(caDir, 'controller.pem'), 'utf8'), current.cert, 'written where the next start reads it')
  assert.match(await (await compute.clientFor(agentRow.id)).apiVersion(), /^\d/, 'the controller reaches the agent with the renewed one')
})
