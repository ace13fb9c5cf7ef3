import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { httpBackend, settledMasterStatus } from '../agent/agent-harness.ts'
import { createWebLoadBalancer, lbaas, startUpWithDataPlane, type DataPlaneUp } from '../helpers/data-plane-up.ts'
import { startVipLoad } from '../helpers/vip-load.ts'
import { until, isAlive } from '../helpers/wait.ts'

/** How long and how often the waits below probe. */
const WAIT = { timeoutMs: 30_000, intervalMs: 25 }

const MEMBER_UPDATES = 100

/** A load balancer with an HTTP listener on port 8080 and a pool of the given backends, ACTIVE; its VIP URL and amphora directory. */
async function webLoadBalancer(up: DataPlaneUp, backends: Array<{ address: string; port: number }>) {
  const api = lbaas(up)
  const lb = await createWebLoadBalancer(up, backends)
  await api.active(lb.id, WAIT)
  const amphorae = ((await (await fetch(`${up.endpoint}/v2/octavia/amphorae?loadbalancer_id=${lb.id}`)).json()) as { amphorae: Array<{ id: string }> }).amphorae
  assert.equal(amphorae.length, 1)
  const dir = join(up.cwd, 'var/agent/amphorae', amphorae[0]!.id)
  return { id: lb.id, poolId: lb.pools[0]!.id, amphoraId: amphorae[0]!.id, url: `http://${lb.vip_address}:8080/`, dir, pid: () => Number(readFileSync(join(dir, 'haproxy.pid'), 'utf8').trim()) }
}

test('the data plane outlives `octavia up`: after kill -9 the VIP keeps serving, and a restarted `octavia up` adopts the same haproxy and reloads it hitlessly', async (t) => {
  const up = await startUpWithDataPlane(t)
  const a = await httpBackend(t, '127.0.0.2', 'a')
  const b = await httpBackend(t, '127.0.0.3', 'b')
  const c = await httpBackend(t, '127.0.0.4', 'c')
  const lb = await webLoadBalancer(up, [{ address: '127.0.0.2', port: a.port }, { address: '127.0.0.3', port: b.port }])
  const pid = lb.pid()
  assert.ok(isAlive(pid))

  const load = startVipLoad(lb.url)
  try {
    await until('requests through the VIP', () => (load.ok() >= 50 ? true : undefined), WAIT)

    // API, worker, health manager and agent go at once, with no chance to clean up.
    await up.service.stop('SIGKILL')
    const atKill = load.ok()
    await until('requests answered with no `octavia up`', () => (load.ok() >= atKill + 200 ? true : undefined), WAIT)
    assert.ok(isAlive(pid), 'haproxy outlived octavia up')

    const again = await up.restart()
    const adopted = await again.service.waitForLog((l) => l.msg === 'amphora adopted' && l.amphora_id === lb.amphoraId)
    assert.equal(adopted.pid, pid)
    await again.service.waitForLog((l) => l.msg === 'local agent registered')
    assert.equal(lb.pid(), pid)
    const reloads = (await settledMasterStatus(lb.dir)).reloads

    // A change made through the restarted API reaches the same haproxy, by a reload.
    const api = lbaas(again)
    await api.post(`pools/${lb.poolId}/members`, { member: { address: '127.0.0.4', protocol_port: c.port } })
    await api.active(lb.id, WAIT)
    await until('the new member answering through the VIP', () => (load.tally.answered.has('c') ? true : undefined), WAIT)
    assert.equal(lb.pid(), pid)
    assert.ok(isAlive(pid))
    assert.ok((await settledMasterStatus(lb.dir)).reloads > reloads, 'the new member came by a reload of the same master')
  } finally {
    await load.stop()
  }
  assert.deepEqual(load.tally.failed, [])
  assert.deepEqual([...load.tally.answered.keys()].sort(), ['a', 'b', 'c'])
  t.diagnostic(`${load.ok()} requests answered, ${load.tally.retried} keep-alive retries on a closed idle connection`)
})

test(`${MEMBER_UPDATES} member updates through the API under continuous load lose no request`, async (t) => {
  const up = await startUpWithDataPlane(t)
  const backends = await Promise.all(['a', 'b', 'c'].map(async (name, i) => ({ address: `127.0.0.${i + 2}`, port: (await httpBackend(t, `127.0.0.${i + 2}`, name)).port })))
  const lb = await webLoadBalancer(up, backends)
  const api = lbaas(up)
  const members = ((await (await fetch(`${up.endpoint}/v2/lbaas/pools/${lb.poolId}/members`)).json()) as { members: Array<{ id: string; address: string }> }).members
  const third = members.find((m) => m.address === '127.0.0.4')!
  const pid = lb.pid()
  const reloads = (await settledMasterStatus(lb.dir)).reloads

  const load = startVipLoad(lb.url)
  try {
    await until('requests through the VIP', () => (load.ok() >= 50 ? true : undefined), WAIT)
    for (let i = 1; i <= MEMBER_UPDATES; i++) {
      // The third member goes out of rotation and back, and its weight changes.
      await api.put(`pools/${lb.poolId}/members/${third.id}`, { member: { admin_state_up: i % 2 === 0, weight: 1 + (i % 7) } })
      await api.active(lb.id, WAIT)
    }
  } finally {
    await load.stop()
  }
  assert.deepEqual(load.tally.failed, [])
  assert.ok(load.ok() > 0)
  assert.equal(lb.pid(), pid)
  assert.ok((await settledMasterStatus(lb.dir)).reloads - reloads >= MEMBER_UPDATES, 'every update reached haproxy by a reload')
  t.diagnostic(`${load.ok()} requests answered, ${load.tally.retried} keep-alive retries on a closed idle connection`)
})
