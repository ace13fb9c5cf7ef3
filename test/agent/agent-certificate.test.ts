import { test } from 'node:test'
import assert from 'node:assert/strict'
import { X509Certificate } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { AgentRequestFailed } from '../../src/amphora/agent-client.ts'
import { renderHaproxyConfig } from '../../src/amphora/render-haproxy-config.ts'
import { LocalCertificateAuthority } from '../../src/drivers/certificates/local-certificate-authority.ts'
import { systemClock } from '../../src/common/clock.ts'
import { graph, listener, member, pool, SETTINGS } from '../amphora/graph-fixtures.ts'
import { scratchDir } from '../helpers/run-octavia.ts'
import {
  agentCa, agentWorkDir, clientCertificate, controllerClient, freeVip, get, httpBackend, presentedCertificate, startTestAgent, AGENT_NAME,
} from './agent-harness.ts'

/** A serial as X509Certificate and getPeerCertificate give it, without leading zeros. */
const serial = (hex: string) => hex.toUpperCase().replace(/^0+/, '')
const bundle = (issued: { certificate: string; private_key: string }) => `${issued.certificate.trimEnd()}\n${issued.private_key}`

test('PUT /1.0/certificate: the agent serves a new certificate from its CA on new connections, keeps it, and leaves haproxy alone', async (t) => {
  const cwd = agentWorkDir(t)
  const agent = await startTestAgent(t, cwd)
  const client = await controllerClient(t, agent)
  const tls = await clientCertificate(cwd)
  const stored = join(cwd, 'var/agent/tls/server.pem')
  const before = await presentedCertificate(agent.port, AGENT_NAME, tls)
  assert.equal(serial(before.serialNumber), serial(new X509Certificate(readFileSync(stored, 'utf8')).serialNumber))
  assert.equal(serial((await client.details()).cert_serial), serial(before.serialNumber))

  const a = await httpBackend(t, '127.0.0.2', 'a')
  const vip = freeVip()
  const web = pool({ members: [member({ ip_address: '127.0.0.2', protocol_port: a.port })] })
  const lb = graph({ loadbalancer: { vip: { ip_address: vip.address } }, listeners: [listener({ protocol: 'HTTP', protocol_port: vip.port, default_pool_id: web.id })], pools: [web] })
  const amphoraId = 'a0000000-0000-4000-8000-0000000000c1'
  await client.createAmphora(amphoraId, lb.loadbalancer.id)
  const started = await client.configure(amphoraId, renderHaproxyConfig(lb, { ...SETTINGS, max_connections: 4000, ping_wrapper: '/bin/true' }))
  assert.equal(await get(`http://${vip.address}:${vip.port}/`), 'a')

  const issued = await (await agentCa(cwd, 7200)).issueServerCertificate({ common_name: AGENT_NAME, dns_names: [AGENT_NAME], ip_addresses: ['127.0.0.1'] })
  const answer = await client.replaceServerCertificate(bundle(issued))
  const fresh = new X509Certificate(issued.certificate)
  assert.equal(serial(answer.serial), serial(fresh.serialNumber))
  assert.equal(answer.cert_expiration, issued.expires_at.toISOString())

  // A new connection gets the new certificate; the client's kept-alive one still works.
  const after = await presentedCertificate(agent.port, AGENT_NAME, tls)
  assert.equal(serial(after.serialNumber), serial(fresh.serialNumber))
  assert.notEqual(serial(after.serialNumber), serial(before.serialNumber))
  const details = await client.details()
  assert.equal(details.cert_expiration, issued.expires_at.toISOString())
  // Stored (certificate then key, owner-only), so a restarted agent serves it.
  assert.equal(readFileSync(stored, 'utf8'), bundle(issued))
  // HAProxy was not touched: same master, no restart, still serving.
  const amphora = await client.getAmphora(amphoraId)
  assert.deepEqual([amphora.pid, amphora.restarts, amphora.running], [started.pid, 0, true])
  assert.equal(await get(`http://${vip.address}:${vip.port}/`), 'a')
})

test('PUT /1.0/certificate refuses, with 400 and nothing changed, a certificate from another CA, for another name, with a foreign key, or no PEM', async (t) => {
  const cwd = agentWorkDir(t)
  const agent = await startTestAgent(t, cwd)
  const client = await controllerClient(t, agent)
  const tls = await clientCertificate(cwd)
  const stored = join(cwd, 'var/agent/tls/server.pem')
  const storedBefore = readFileSync(stored, 'utf8')
  const before = serial((await presentedCertificate(agent.port, AGENT_NAME, tls)).serialNumber)

  const ca = await agentCa(cwd)
  const stranger = await LocalCertificateAuthority.open({
    dir: join(scratchDir(t), 'certs'), ca_certificate: null, ca_private_key: null, ca_private_key_passphrase: null,
    signing_digest: 'sha256', cert_validity_time: 3600, clock: systemClock,
  })
  const forAgent = { common_name: AGENT_NAME, dns_names: [AGENT_NAME] }
  const ours = await ca.issueServerCertificate(forAgent)
  const other = await ca.issueServerCertificate(forAgent)
  const cases: Array<[string, string, RegExp]> = [
    ['signed by another CA', bundle(await stranger.issueServerCertificate(forAgent)), /not signed by this agent's CA/],
    ['for another agent', bundle(await ca.issueServerCertificate({ common_name: 'agent-other', dns_names: ['agent-other'] })), /does not name this agent \(agent-test\)/],
    ['a client certificate', bundle(await ca.issueClientCertificate(forAgent)), /not for TLS servers/],
    ['with the key of another certificate', `${ours.certificate.trimEnd()}\n${other.private_key}`, /private key does not match/],
    ['without its key', ours.certificate, /certificate followed by its private key/],
    ['not PEM', 'hello', /certificate followed by its private key/],
  ]
  for (const [what, body, details] of cases) {
    await assert.rejects(client.replaceServerCertificate(body), (err: AgentRequestFailed) => {
      assert.equal(err.status, 400, what)
      assert.equal(err.agentMessage, 'Invalid request', what)
      assert.match(err.details ?? '', details, what)
      return true
    })
  }
  assert.equal(readFileSync(stored, 'utf8'), storedBefore)
  assert.equal(serial((await presentedCertificate(agent.port, AGENT_NAME, tls)).serialNumber), before)
  assert.equal(serial((await client.details()).cert_serial), before)
})
