import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createDatabase } from '../../src/db/create-database.ts'
import { get, httpBackend } from '../agent/agent-harness.ts'
import { createWebLoadBalancer, lbaas, startUpWithDataPlane } from '../helpers/data-plane-up.ts'
import { until, isAlive } from '../helpers/wait.ts'

/** How long and how often the waits below probe. */
const WAIT = { timeoutMs: 60_000 }

// spec/operations.md §2 end to end: `octavia up` keeps two spare amphorae (haproxy running on
// its agent), a load balancer create takes one and its configuration arrives by a hitless
// reload of that haproxy, and the pool refills.

interface AmphoraView { id: string; status: string; loadbalancer_id: string | null; compute_id: string | null; role: string | null }

test('`octavia up` keeps spare amphorae running; a load balancer create takes one (same haproxy master) and the pool refills', async (t) => {
  const up = await startUpWithDataPlane(t, {
    sets: [
      'octavia.house_keeping.spare_amphora_pool_size=2', 'octavia.house_keeping.spare_check_interval=1',
      'octavia.health_manager.heartbeat_interval=1', 'octavia.health_manager.bind_port=0',
    ],
  })
  const amphoraDir = (id: string) => join(up.cwd, 'var/agent/amphorae', id)
  const masterPid = (id: string) => Number(readFileSync(join(amphoraDir(id), 'haproxy.pid'), 'utf8').trim())
  const spares = async (): Promise<AmphoraView[]> => {
    const body = (await (await fetch(`${up.endpoint}/v2/octavia/amphorae`)).json()) as { amphorae: AmphoraView[] }
    return body.amphorae.filter((a) => a.loadbalancer_id === null)
  }

  const first = await until('two READY spares', async () => {
    const found = await spares()
    return found.length === 2 && found.every((a) => a.status === 'READY') ? found : undefined
  }, WAIT)
  const pids = new Map(first.map((a) => [a.id, masterPid(a.id)]))
  for (const spare of first) {
    assert.equal(spare.role, null)
    assert.ok(isAlive(pids.get(spare.id)!), `spare ${spare.id} runs haproxy`)
    assert.match(readFileSync(join(amphoraDir(spare.id), 'haproxy.cfg'), 'utf8'), /spare amphora/)
  }

  // The spares' heartbeats refresh their health rows; the health manager does not reap them.
  const db = createDatabase({ engine: 'sqlite', path: join(up.cwd, 'var', 'octavia.sqlite') })
  t.after(() => db.close())
  const health = async () => db.kysely.selectFrom('amphora_health').select(['amphora_id', 'last_update']).where('amphora_id', 'in', [...pids.keys()]).execute()
  const heard = await until('heartbeats of both spares', async () => {
    const rows = await health()
    return rows.length === 2 ? new Map(rows.map((r) => [r.amphora_id, r.last_update.getTime()])) : undefined
  }, WAIT)
  await until('a later heartbeat of both spares', async () => {
    const rows = await health()
    return rows.every((r) => r.last_update.getTime() > heard.get(r.amphora_id)!) ? true : undefined
  }, WAIT)
  assert.deepEqual((await spares()).map((a) => [a.id, a.status]).sort(), first.map((a) => [a.id, 'READY']).sort())
  for (const [id, pid] of pids) assert.ok(isAlive(pid) && existsSync(amphoraDir(id)), `spare ${id} still runs`)

  // A load balancer create takes a spare: its configuration is a reload of the running master.
  const a = await httpBackend(t, '127.0.0.2', 'a')
  const b = await httpBackend(t, '127.0.0.3', 'b')
  const loadbalancer = await createWebLoadBalancer(up, [{ address: '127.0.0.2', port: a.port }, { address: '127.0.0.3', port: b.port }])
  await lbaas(up).active(loadbalancer.id, WAIT)
  const mine = ((await (await fetch(`${up.endpoint}/v2/octavia/amphorae?loadbalancer_id=${loadbalancer.id}`)).json()) as { amphorae: AmphoraView[] }).amphorae
  assert.equal(mine.length, 1)
  const taken = mine[0]!
  assert.ok(pids.has(taken.id), `the load balancer's amphora ${taken.id} is one of the spares`)
  assert.deepEqual([taken.status, taken.role], ['ALLOCATED', 'STANDALONE'])
  assert.equal(masterPid(taken.id), pids.get(taken.id), 'the same haproxy master: a hitless reload')
  assert.ok(isAlive(pids.get(taken.id)!))
  assert.match(readFileSync(join(amphoraDir(taken.id), 'haproxy.cfg'), 'utf8'), new RegExp(`load balancer ${loadbalancer.id}`))
  const record = JSON.parse(readFileSync(join(amphoraDir(taken.id), 'amphora.json'), 'utf8')) as { load_balancer_id: string }
  assert.equal(record.load_balancer_id, loadbalancer.id)
  const seen = new Set<string>()
  for (let i = 0; i < 4; i++) seen.add(await get(`http://${loadbalancer.vip_address}:8080/`))
  assert.deepEqual(seen, new Set(['a', 'b']))

  // The pool refills to two: the spare not taken and a new one.
  const refilled = await until('the pool back at two READY spares', async () => {
    const found = await spares()
    return found.length === 2 && found.every((s) => s.status === 'READY') ? found : undefined
  }, WAIT)
  const ids = refilled.map((s) => s.id)
  const left = first.find((s) => s.id !== taken.id)!.id
  assert.ok(ids.includes(left))
  assert.ok(!ids.includes(taken.id))
  const fresh = ids.find((id) => id !== left)!
  assert.ok(isAlive(masterPid(fresh)))
})
