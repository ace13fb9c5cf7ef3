import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { get, httpBackend } from '../agent/agent-harness.ts'
import { createWebLoadBalancer, lbaas, startUpWithDataPlane } from '../helpers/data-plane-up.ts'
import { until, isAlive } from '../helpers/wait.ts'

/** How long and how often the waits below probe. */
const WAIT = { timeoutMs: 30_000 }

test('`octavia up` runs its own agent: a load balancer made through the API serves its VIP from a haproxy amphora, and its delete stops it', async (t) => {
  const up = await startUpWithDataPlane(t)
  const a = await httpBackend(t, '127.0.0.2', 'a')
  const b = await httpBackend(t, '127.0.0.3', 'b')
  const base = `${up.endpoint}/v2/lbaas`
  const loadbalancer = await createWebLoadBalancer(up, [{ address: '127.0.0.2', port: a.port }, { address: '127.0.0.3', port: b.port }])
  const lbId = loadbalancer.id
  await lbaas(up).active(lbId, WAIT)

  const vip = loadbalancer.vip_address
  assert.ok(vip.startsWith(up.subnet.cidr.split('.').slice(0, 3).join('.')), `${vip} is in ${up.subnet.cidr}`)
  const seen = new Set<string>()
  for (let i = 0; i < 4; i++) seen.add(await get(`http://${vip}:8080/`))
  assert.deepEqual(seen, new Set(['a', 'b']))

  // The amphora is recorded on the local agent, and it is a haproxy under ./var/agent.
  const amphorae = ((await (await fetch(`${up.endpoint}/v2/octavia/amphorae?loadbalancer_id=${lbId}`)).json()) as {
    amphorae: Array<{ id: string; status: string; compute_id: string; ha_ip: string; role: string }>
  }).amphorae
  assert.equal(amphorae.length, 1)
  assert.deepEqual([amphorae[0]!.status, amphorae[0]!.role, amphorae[0]!.ha_ip], ['ALLOCATED', 'STANDALONE', vip])
  const dir = join(up.cwd, 'var/agent/amphorae', amphorae[0]!.id)
  const pid = Number(readFileSync(join(dir, 'haproxy.pid'), 'utf8').trim())
  assert.ok(isAlive(pid))

  const deleted = await fetch(`${base}/loadbalancers/${lbId}?cascade=true`, { method: 'DELETE' })
  assert.equal(deleted.status, 204)
  await until('the load balancer gone', async () => ((await fetch(`${base}/loadbalancers/${lbId}`)).status === 404 ? true : undefined), WAIT)
  await until('its haproxy stopped', async () => (isAlive(pid) ? undefined : true), WAIT)
  assert.equal(existsSync(dir), false)
  assert.deepEqual(readdirSync(join(up.cwd, 'var/agent/amphorae')), [])
  await assert.rejects(get(`http://${vip}:8080/`), /ECONNREFUSED/)
})
