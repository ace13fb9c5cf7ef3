import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { systemClock } from '../../src/common/clock.ts'
import { createDatabase } from '../../src/db/create-database.ts'
import { AmphoraRepository } from '../../src/db/repositories/amphora-repository.ts'
import { clientCertificate, httpBackend, presentedCertificate } from '../agent/agent-harness.ts'
import { createWebLoadBalancer, lbaas, startUpWithDataPlane } from '../helpers/data-plane-up.ts'
import { startVipLoad } from '../helpers/vip-load.ts'
import { until } from '../helpers/wait.ts'

/** How long and how often the waits below probe. */
const WAIT = { timeoutMs: 60_000 }

interface AmphoraView { id: string; status: string; compute_id: string; cert_expiration: string | null; cert_busy: boolean }

test('housekeeping in `octavia up` rotates the certificate of an agent near expiry while its VIP serves without a failure; the controller still drives it', async (t) => {
  const up = await startUpWithDataPlane(t, { sets: ['octavia.house_keeping.cert_interval=1'] })
  const a = await httpBackend(t, '127.0.0.2', 'a')
  const b = await httpBackend(t, '127.0.0.3', 'b')
  const c = await httpBackend(t, '127.0.0.4', 'c')
  const api = lbaas(up)
  const web = await createWebLoadBalancer(up, [{ address: '127.0.0.2', port: a.port }, { address: '127.0.0.3', port: b.port }])
  // A second load balancer on the same agent: its amphora shares the agent's certificate.
  const { loadbalancer: other } = await api.post('loadbalancers', { loadbalancer: { name: 'other', vip_subnet_id: up.subnet.id } })
  await api.active(web.id, WAIT)
  await api.active(other!.id, WAIT)
  const amphoraOf = async (lbId: string) => {
    const { amphorae } = (await (await fetch(`${up.endpoint}/v2/octavia/amphorae?loadbalancer_id=${lbId}`)).json()) as { amphorae: AmphoraView[] }
    assert.equal(amphorae.length, 1)
    return amphorae[0]!
  }

  // Each amphora is allocated with the expiry of the certificate its agent presents.
  const registered = await up.service.waitForLog((l) => l.msg === 'local agent registered')
  const agentPort = Number(registered.port)
  const agentName = String(registered.name)
  const tls = await clientCertificate(up.cwd)
  const before = await presentedCertificate(agentPort, agentName, tls)
  const notAfter = (peer: { valid_to: string }) => new Date(peer.valid_to).getTime()
  for (const lb of [web, other!]) {
    const amphora = await amphoraOf(lb.id)
    assert.equal(new Date(`${amphora.cert_expiration!}Z`).getTime(), notAfter(before), JSON.stringify(amphora))
  }

  const load = startVipLoad(`http://${web.vip_address}:8080/`)
  await until('the VIP answering', async () => (load.ok() > 0 ? true : undefined), WAIT)

  // The web amphora's certificate is due now: housekeeping (every second) rotates its agent's.
  const db = createDatabase({ engine: 'sqlite', path: join(up.cwd, 'var', 'octavia.sqlite') })
  t.after(() => db.close())
  const amphorae = new AmphoraRepository(db, systemClock)
  const webAmphora = await amphoraOf(web.id)
  await amphorae.update(webAmphora.id, { cert_expiration: new Date(Date.now() + 1000) })
  const after = await until('the agent presenting a new certificate', async () => {
    const peer = await presentedCertificate(agentPort, agentName, tls)
    return peer.serialNumber !== before.serialNumber ? peer : undefined
  }, WAIT).catch((err: Error) => {
    // What housekeeping did instead, for the failure message.
    const lines = up.service.logs.filter((l) => /certificate|housekeeping|task/i.test(String(l.msg)))
    throw new Error(`${err.message}; amphora ${JSON.stringify(webAmphora)}; log: ${JSON.stringify(lines)}`)
  })
  assert.ok(notAfter(after) > Date.now() + 1000)

  // Both amphorae of that agent carry the new expiry; the rotated one is free again and not ERROR.
  await until('the rotation recorded', async () => {
    const both = await Promise.all([amphoraOf(web.id), amphoraOf(other!.id)])
    return both.every((amp) => amp.cert_expiration !== null && new Date(`${amp.cert_expiration}Z`).getTime() === notAfter(after) && !amp.cert_busy)
      ? true : undefined
  }, WAIT)
  assert.equal((await amphoraOf(web.id)).status, 'ALLOCATED')

  // The controller still reaches the agent: a member added through the API arrives in haproxy.
  const poolId = web.pools[0]!.id
  await api.post(`pools/${poolId}/members`, { member: { address: '127.0.0.4', protocol_port: c.port } })
  await api.active(web.id, WAIT)
  await until('the new member answering on the VIP', async () => (load.tally.answered.has('c') ? true : undefined), WAIT)
  const tally = await load.stop()
  assert.deepEqual(tally.failed, [])
  assert.ok((tally.answered.get('a') ?? 0) > 0 && (tally.answered.get('b') ?? 0) > 0)

  // One rotation for the agent, however many of its amphorae were due.
  assert.equal(up.service.logs.filter((l) => l.msg === 'agent server certificate replaced').length, 1)
  assert.equal(up.service.logs.filter((l) => l.msg === 'amphora certificate rotated').length, 1)
})
