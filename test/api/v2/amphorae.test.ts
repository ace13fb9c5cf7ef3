import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import type { FastifyRequest } from 'fastify'
import { Forbidden, noauthAccess, type PolicyAction } from '../../../src/api/access/access.ts'
import { DEFAULT_SUBNET_ID } from '../../../src/config/defaults.ts'
import type { DatabaseEngine } from '../../../src/db/database-options.ts'
import { AmphoraRepository, type Amphora } from '../../../src/db/repositories/amphora-repository.ts'
import { startApi, type ApiHarness } from '../../helpers/api-harness.ts'
import { countRows, seedListener } from '../../helpers/db-seed.ts'
import { TestClock } from '../../helpers/test-clock.ts'
import { ENGINES } from '../../helpers/test-database.ts'

// The amphora admin API (spec/api-v2.md §15). There is no amphora provider yet, so amphorae
// are rows inserted here, on load balancers created through the API.

const LBS = '/v2/lbaas/loadbalancers'
const AMPS = '/v2/octavia/amphorae'
const IMAGE_ID = '5d1e0d5e-3f0c-4a44-9c0b-2b0f3b7a9e11'
const VRRP_PORT_ID = '0b8f0c0e-2a7f-4d8e-9d55-0e4e8f1a2b3c'
const HA_PORT_ID = '7c6d5e4f-3a2b-4c1d-8e9f-a0b1c2d3e4f5'

type Json = Record<string, unknown>

interface Fleet {
  api: ApiHarness
  amphorae: AmphoraRepository
  lbId: string
  otherLbId: string
  /** ALLOCATED MASTER of `lbId` with every field set. */
  master: Amphora
  backup: Amphora
  /** The STANDALONE of `otherLbId` (project "other"). */
  other: Amphora
  /** READY, no load balancer. */
  spare: Amphora
  /** ERROR, on `lbId`. */
  broken: Amphora
  /** DELETED, on `lbId`: never shown. */
  gone: Amphora
}

async function activeLoadBalancer(api: ApiHarness, project: string): Promise<string> {
  const res = await api.app.inject({ method: 'POST', url: LBS, headers: { 'x-project-id': project }, payload: { loadbalancer: { vip_subnet_id: DEFAULT_SUBNET_ID } } })
  assert.equal(res.statusCode, 201, res.body)
  const id = String((res.json() as { loadbalancer: Json }).loadbalancer.id)
  await lbStatus(api, id, 'ACTIVE')
  return id
}

/** Waits until the load balancer shows `status`. */
async function lbStatus(api: ApiHarness, id: string, status: string): Promise<void> {
  await api.until(`${LBS}/${id}`, (b) => (b.loadbalancer as Json).provisioning_status === status)
}

/** Two load balancers of two projects and six amphorae, one per state of interest, a second apart. */
async function fleet(t: TestContext, engine: DatabaseEngine = 'sqlite'): Promise<Fleet> {
  const api = await startApi(t, { engine })
  const [lbId, otherLbId] = [await activeLoadBalancer(api, 'owner'), await activeLoadBalancer(api, 'other')]
  const clock = new TestClock('2024-05-06T07:00:00.000Z')
  const amphorae = new AmphoraRepository(api.deps.db, clock)
  const next = () => clock.advance(1000)
  const created = await amphorae.create({
    load_balancer_id: lbId, compute_id: 'agent-1', lb_network_ip: '127.0.0.1', vrrp_ip: '127.64.0.10', ha_ip: '127.64.0.2',
    vrrp_port_id: VRRP_PORT_ID, ha_port_id: HA_PORT_ID, cert_expiration: new Date('2026-01-02T03:04:05.678Z'), role: 'MASTER',
    status: 'ALLOCATED', vrrp_interface: 'eth1', vrrp_id: 1, vrrp_priority: 100, cached_zone: 'zone-a', image_id: IMAGE_ID,
    compute_flavor: 'small',
  })
  next()
  const backup = await amphorae.create({ load_balancer_id: lbId, compute_id: 'agent-2', role: 'BACKUP', status: 'ALLOCATED', vrrp_priority: 90 })
  next()
  const other = await amphorae.create({ load_balancer_id: otherLbId, role: 'STANDALONE', status: 'ALLOCATED' })
  next()
  const spare = await amphorae.create({ status: 'READY' })
  next()
  const broken = await amphorae.create({ load_balancer_id: lbId, role: 'STANDALONE', status: 'ERROR' })
  next()
  const gone = await amphorae.create({ load_balancer_id: lbId, role: 'STANDALONE', status: 'DELETED' })
  clock.set('2024-05-06T07:00:10.250Z')
  await amphorae.update(created.id, { cert_busy: true })
  const master = await amphorae.get(created.id)
  assert.ok(master)
  return { api, amphorae, lbId, otherLbId, master, backup, other, spare, broken, gone }
}

async function get(api: ApiHarness, url: string): Promise<Json> {
  const res = await api.app.inject({ method: 'GET', url })
  assert.equal(res.statusCode, 200, `${url}: ${res.body}`)
  return res.json() as Json
}

/** The ids of a list, in order. */
async function listed(api: ApiHarness, query: string): Promise<string[]> {
  return ((await get(api, `${AMPS}${query}`)).amphorae as Json[]).map((a) => String(a.id))
}

function fault(res: { statusCode: number; json(): unknown }): { status: number; faultstring: string } {
  return { status: res.statusCode, faultstring: (res.json() as { faultstring: string }).faultstring }
}

async function statusOf(f: Fleet, id: string): Promise<string | undefined> {
  return (await f.amphorae.get(id))?.status
}

async function lbProvisioning(f: Fleet, id: string): Promise<string | undefined> {
  return (await f.api.deps.loadBalancers.get(id))?.provisioning_status
}

const MASTER_KEYS = [
  'id', 'loadbalancer_id', 'compute_id', 'lb_network_ip', 'vrrp_ip', 'ha_ip', 'vrrp_port_id', 'ha_port_id', 'cert_expiration',
  'cert_busy', 'role', 'status', 'vrrp_interface', 'vrrp_id', 'vrrp_priority', 'cached_zone', 'created_at', 'updated_at',
  'image_id', 'compute_flavor',
]

for (const engine of ENGINES) {
  test(`${engine}: list and show render every field; filters (project_id through the LB), sorting, pages, fields; DELETED never shown`, async (t) => {
    const f = await fleet(t, engine)
    const { api, master, backup, other, spare, broken, gone } = f
    const shownMaster = {
      id: master.id, loadbalancer_id: f.lbId, compute_id: 'agent-1', lb_network_ip: '127.0.0.1', vrrp_ip: '127.64.0.10',
      ha_ip: '127.64.0.2', vrrp_port_id: VRRP_PORT_ID, ha_port_id: HA_PORT_ID, cert_expiration: '2026-01-02T03:04:05', cert_busy: true,
      role: 'MASTER', status: 'ALLOCATED', vrrp_interface: 'eth1', vrrp_id: 1, vrrp_priority: 100, cached_zone: 'zone-a',
      created_at: '2024-05-06T07:00:00', updated_at: '2024-05-06T07:00:10', image_id: IMAGE_ID, compute_flavor: 'small',
    }
    const all = await get(api, AMPS)
    assert.deepEqual(Object.keys(all), ['amphorae', 'amphorae_links'])
    assert.deepEqual(all.amphorae_links, [])
    const rows = all.amphorae as Json[]
    assert.deepEqual(rows.map((a) => a.id), [master.id, backup.id, other.id, spare.id, broken.id])
    assert.deepEqual(Object.keys(rows[0]!), MASTER_KEYS)
    assert.deepEqual(rows[0], shownMaster)
    assert.deepEqual(rows[3], {
      id: spare.id, loadbalancer_id: null, compute_id: null, lb_network_ip: null, vrrp_ip: null, ha_ip: null, vrrp_port_id: null,
      ha_port_id: null, cert_expiration: null, cert_busy: false, role: null, status: 'READY', vrrp_interface: null, vrrp_id: null,
      vrrp_priority: null, cached_zone: null, created_at: '2024-05-06T07:00:03', updated_at: null, image_id: null, compute_flavor: null,
    })

    // Show, on every alias of the path; a DELETED or unknown amphora is 404.
    assert.deepEqual(await get(api, `${AMPS}/${master.id}`), { amphora: shownMaster })
    assert.deepEqual(await get(api, `/v2.0/octavia/amphorae/${master.id}.json`), { amphora: shownMaster })
    assert.deepEqual(await get(api, `${AMPS}/${master.id}?fields=id&fields=status&fields=nope`), { amphora: { id: master.id, status: 'ALLOCATED' } })
    for (const id of [gone.id, 'no-such-amphora']) {
      assert.deepEqual(fault(await api.app.inject({ method: 'GET', url: `${AMPS}/${id}` })), { status: 404, faultstring: `Amphora ${id} not found.` })
    }
    for (const url of ['/v2/lbaas/amphorae', '/v2/amphorae', `/v2/lbaas/amphorae/${master.id}`]) {
      assert.equal((await api.app.inject({ method: 'GET', url })).statusCode, 404, url)
    }

    // Filters: exact matches, ANDed; project_id is the owning load balancer's.
    assert.deepEqual(await listed(api, '?project_id=other'), [other.id])
    assert.deepEqual(await listed(api, '?project_id=owner'), [master.id, backup.id, broken.id])
    assert.deepEqual(await listed(api, `?loadbalancer_id=${f.lbId}&role=BACKUP`), [backup.id])
    assert.deepEqual(await listed(api, '?status=READY'), [spare.id])
    assert.deepEqual(await listed(api, '?status=DELETED'), [])
    assert.deepEqual(await listed(api, '?compute_id=agent-2'), [backup.id])
    assert.deepEqual(await listed(api, '?cert_busy=true'), [master.id])
    assert.deepEqual(await listed(api, '?cert_expiration=2026-01-02T03:04:05'), [master.id])
    assert.deepEqual(await listed(api, '?vrrp_priority=90'), [backup.id])
    assert.deepEqual(await listed(api, `/?ha_ip=127.64.0.2`), [master.id])
    for (const query of ['?name=x', '?project_id=a&project_id=b', '?listeners=x']) {
      assert.deepEqual(fault(await api.app.inject({ method: 'GET', url: `${AMPS}${query}` })), { status: 400, faultstring: 'One or more arguments are either duplicate or invalid' })
    }

    // Sorting, then pages in that order.
    assert.deepEqual(await listed(api, '?sort=vrrp_priority:desc'), [master.id, backup.id, other.id, spare.id, broken.id])
    assert.deepEqual(await listed(api, '?sort_key=status&sort_dir=desc'), [spare.id, broken.id, master.id, backup.id, other.id])
    const page = await get(api, `${AMPS}?limit=2`)
    assert.deepEqual((page.amphorae as Json[]).map((a) => a.id), [master.id, backup.id])
    assert.deepEqual(page.amphorae_links, [{ href: `http://localhost:80${AMPS}?limit=2&marker=${backup.id}`, rel: 'next' }])
    const second = await get(api, `${AMPS}?limit=2&marker=${backup.id}&fields=id&fields=role`)
    assert.deepEqual(second.amphorae, [{ id: other.id, role: 'STANDALONE' }, { id: spare.id, role: null }])
    assert.deepEqual((second.amphorae_links as Json[]).map((l) => l.rel), ['previous', 'next'])
  })
}

test('stats: one entry per listener the amphora reports on; none → 404; no query arguments', async (t) => {
  const f = await fleet(t)
  const { api, master, spare } = f
  const db = api.deps.db.kysely
  const [first, second] = [await seedListener(db, f.lbId, { protocol_port: 80 }), await seedListener(db, f.lbId, { protocol_port: 81 })]
  const [low, high] = [first, second].sort()
  await db.insertInto('listener_statistics').values([
    { listener_id: high!, amphora_id: master.id, bytes_in: 10, bytes_out: 20, active_connections: 3, total_connections: 40, request_errors: 5 },
    { listener_id: low!, amphora_id: master.id, bytes_in: 2 ** 40, bytes_out: 7, active_connections: 0, total_connections: 1, request_errors: 0 },
    { listener_id: low!, amphora_id: f.backup.id, bytes_in: 99, bytes_out: 99, active_connections: 9, total_connections: 99, request_errors: 9 },
  ]).execute()
  const stats = await get(api, `${AMPS}/${master.id}/stats`)
  assert.deepEqual(stats, {
    amphora_stats: [
      { id: master.id, loadbalancer_id: f.lbId, listener_id: low, active_connections: 0, bytes_in: 2 ** 40, bytes_out: 7, request_errors: 0, total_connections: 1 },
      { id: master.id, loadbalancer_id: f.lbId, listener_id: high, active_connections: 3, bytes_in: 10, bytes_out: 20, request_errors: 5, total_connections: 40 },
    ],
  })
  assert.deepEqual(Object.keys((stats.amphora_stats as Json[])[0]!), [
    'id', 'loadbalancer_id', 'listener_id', 'active_connections', 'bytes_in', 'bytes_out', 'request_errors', 'total_connections',
  ])
  for (const id of [spare.id, 'no-such-amphora']) {
    assert.deepEqual(fault(await api.app.inject({ method: 'GET', url: `${AMPS}/${id}/stats` })), { status: 404, faultstring: `Amphora stats for ${id} not found.` })
  }
  assert.deepEqual(fault(await api.app.inject({ method: 'GET', url: `${AMPS}/${master.id}/stats?fields=id` })), { status: 400, faultstring: 'Unknown argument: "fields"' })
})

test('delete: only an ERROR amphora, 409 otherwise (a spare too); PENDING_DELETE, then the worker deletes it, its ports and health', async (t) => {
  const f = await fleet(t)
  const { api, amphorae, master, broken, spare, gone } = f
  const db = api.deps.db.kysely
  const del = (id: string, query = '') => api.app.inject({ method: 'DELETE', url: `${AMPS}/${id}${query}` })

  for (const status of ['READY', 'ALLOCATED', 'PENDING_CREATE', 'BOOTING', 'PENDING_UPDATE', 'PENDING_DELETE', 'FAILOVER_STOPPED'] as const) {
    await amphorae.setStatus(master.id, status)
    assert.deepEqual(fault(await del(master.id)), { status: 409, faultstring: `amphora ${master.id} is immutable and cannot be updated.` }, status)
    assert.equal(await statusOf(f, master.id), status)
  }
  await amphorae.setStatus(master.id, 'ALLOCATED')
  for (const id of [gone.id, 'no-such-amphora']) assert.deepEqual(fault(await del(id)), { status: 404, faultstring: `Amphora ${id} not found.` })
  assert.deepEqual(fault(await del(broken.id, '?cascade=true')), { status: 400, faultstring: 'Unknown argument: "cascade"' })
  assert.equal(await countRows(db, 'jobs'), 2) // the two load balancer creates

  // What the delete flow removes: member ports, the health record, the amphora's own ports.
  await db.insertInto('amphora_member_port').values({ port_id: 'member-port-1', amphora_id: broken.id, created_at: new Date() }).execute()
  await amphorae.recordHeartbeat(broken.id)
  const port = await api.deps.ports.allocate({ subnet: api.deps.inventory.subnet(DEFAULT_SUBNET_ID)!, device_id: broken.id, device_owner: 'octavia:amphora' })

  const res = await del(broken.id)
  assert.equal(res.statusCode, 204)
  assert.equal(res.body, '')
  // The API's own write is visible at once (unless the worker was quicker).
  assert.ok(['PENDING_DELETE', 'DELETED'].includes(String(await statusOf(f, broken.id))))
  await api.until(`${AMPS}/${broken.id}`, (_b, status) => status === 404)
  assert.equal(await statusOf(f, broken.id), 'DELETED')
  assert.equal(await amphorae.getHealth(broken.id), undefined)
  assert.equal(await countRows(db, 'amphora_member_port'), 0)
  assert.equal(await api.deps.ports.get(port.id), undefined)
  const [job] = (await db.selectFrom('jobs').selectAll().where('kind', '=', 'amphora.delete').execute())
  assert.deepEqual([job?.target_type, job?.target_id, job?.load_balancer_id, job?.state], ['amphora', broken.id, f.lbId, 'succeeded'])
  // The load balancer was never locked.
  assert.equal(await lbProvisioning(f, f.lbId), 'ACTIVE')

  assert.deepEqual(fault(await del(spare.id)), { status: 409, faultstring: `amphora ${spare.id} is immutable and cannot be updated.` })
  assert.equal(await statusOf(f, spare.id), 'READY')
})

test('failover: 404, 409 without a load balancer or on a busy one, else 202 with the LB PENDING_UPDATE until the worker is done', async (t) => {
  const f = await fleet(t)
  const { api, master, spare, gone } = f
  const failover = (id: string, query = '') => api.app.inject({ method: 'PUT', url: `${AMPS}/${id}/failover${query}` })

  for (const id of [gone.id, 'no-such-amphora']) assert.deepEqual(fault(await failover(id)), { status: 404, faultstring: `Amphora ${id} not found.` })
  assert.deepEqual(fault(await failover(spare.id)), { status: 409, faultstring: `amphora ${spare.id} is immutable and cannot be updated.` })
  assert.deepEqual(fault(await failover(master.id, '?force=1')), { status: 400, faultstring: 'Unknown argument: "force"' })
  for (const status of ['ERROR', 'PENDING_UPDATE'] as const) {
    await api.deps.loadBalancers.setProvisioningStatus(f.lbId, status)
    assert.deepEqual(fault(await failover(master.id)), { status: 409, faultstring: `Load Balancer ${f.lbId} is immutable and cannot be updated.` })
    assert.equal(await lbProvisioning(f, f.lbId), status)
  }
  await api.deps.loadBalancers.setProvisioningStatus(f.lbId, 'ACTIVE')
  assert.equal(await countRows(api.deps.db.kysely, 'jobs'), 2)

  const res = await api.app.inject({ method: 'PUT', url: `/v2.0/octavia/amphorae/${master.id}/failover`, payload: { ignored: true } })
  assert.equal(res.statusCode, 202)
  assert.equal(res.body, '')
  // The API's own write is visible at once (unless the worker was quicker).
  assert.ok(['PENDING_UPDATE', 'ACTIVE'].includes(String(await lbProvisioning(f, f.lbId))))
  await lbStatus(api, f.lbId, 'ACTIVE')
  const jobs = await api.deps.db.kysely.selectFrom('jobs').selectAll().where('kind', '=', 'amphora.failover').execute()
  assert.deepEqual(jobs.map((j) => [j.target_type, j.target_id, j.load_balancer_id, j.state]), [['amphora', master.id, f.lbId, 'succeeded']])
  assert.equal(await statusOf(f, master.id), 'ALLOCATED')
  assert.equal(await lbProvisioning(f, f.otherLbId), 'ACTIVE')
})

test('config: 202 with no status change, an agent-configuration job; 404 and 409 as for failover', async (t) => {
  const f = await fleet(t)
  const { api, master, spare, gone } = f
  const configure = (id: string, query = '') => api.app.inject({ method: 'PUT', url: `${AMPS}/${id}/config${query}` })

  for (const id of [gone.id, 'no-such-amphora']) assert.deepEqual(fault(await configure(id)), { status: 404, faultstring: `Amphora ${id} not found.` })
  assert.deepEqual(fault(await configure(spare.id)), { status: 409, faultstring: `amphora ${spare.id} is immutable and cannot be updated.` })
  assert.deepEqual(fault(await configure(master.id, '?x=1')), { status: 400, faultstring: 'Unknown argument: "x"' })

  const res = await configure(master.id)
  assert.equal(res.statusCode, 202)
  assert.equal(res.body, '')
  assert.equal(await lbProvisioning(f, f.lbId), 'ACTIVE')
  const done = async () => (await api.deps.db.kysely.selectFrom('jobs').selectAll().where('kind', '=', 'amphora.update_agent_config').execute())
  for (let i = 0; i < 500 && (await done())[0]?.state !== 'succeeded'; i++) await new Promise((r) => setTimeout(r, 10))
  const [job] = await done()
  assert.deepEqual([job?.target_type, job?.target_id, job?.load_balancer_id, job?.state], ['amphora', master.id, f.lbId, 'succeeded'])
  assert.equal(await statusOf(f, master.id), 'ALLOCATED')
  assert.equal(await lbProvisioning(f, f.lbId), 'ACTIVE')
  // An ERROR load balancer does not stop a configuration refresh (no test-and-set).
  await api.deps.loadBalancers.setProvisioningStatus(f.lbId, 'ERROR')
  assert.equal((await configure(f.backup.id)).statusCode, 202)
})

test('policy: list, delete and stats are checked before any lookup, show/failover/config after it; failover and config against the LB project', async (t) => {
  const f = await fleet(t)
  const { api, master } = f
  const calls: Array<[PolicyAction, string | null]> = []
  let refuse = false
  api.deps.access = {
    ...noauthAccess,
    enforce: (_req: FastifyRequest, action: PolicyAction, target: string | null) => {
      calls.push([action, target])
      if (refuse) throw new Forbidden()
    },
  }
  const call = (method: 'GET' | 'PUT' | 'DELETE', url: string) => api.app.inject({ method, url, headers: { 'x-project-id': 'admin-project' } })
  const forbidden = { status: 403, faultstring: 'Policy does not allow this request to be performed.' }

  // Allowed: which policy, against which project.
  assert.equal((await call('GET', AMPS)).statusCode, 200)
  assert.equal((await call('GET', `${AMPS}/${master.id}`)).statusCode, 200)
  assert.equal((await call('PUT', `${AMPS}/${master.id}/config`)).statusCode, 202)
  assert.equal((await call('PUT', `${AMPS}/${f.other.id}/failover`)).statusCode, 202)
  assert.deepEqual(calls, [
    ['amphora:get_all', 'admin-project'], ['amphora:get_one', 'admin-project'], ['amphora:put_config', 'owner'], ['amphora:put_failover', 'other'],
  ])
  await lbStatus(api, f.otherLbId, 'ACTIVE')

  refuse = true
  calls.length = 0
  // Policy first: even an unknown amphora is 403.
  assert.deepEqual(fault(await call('GET', AMPS)), forbidden)
  assert.deepEqual(fault(await call('DELETE', `${AMPS}/no-such-amphora`)), forbidden)
  assert.deepEqual(fault(await call('GET', `${AMPS}/no-such-amphora/stats`)), forbidden)
  // Lookup first: unknown is 404 for everybody, an existing one is 403.
  for (const [method, suffix] of [['GET', ''], ['PUT', '/failover'], ['PUT', '/config']] as const) {
    assert.deepEqual(fault(await call(method, `${AMPS}/no-such-amphora${suffix}`)), { status: 404, faultstring: 'Amphora no-such-amphora not found.' })
    assert.deepEqual(fault(await call(method, `${AMPS}/${master.id}${suffix}`)), forbidden)
  }
  assert.deepEqual(fault(await call('DELETE', `${AMPS}/${f.broken.id}`)), forbidden)
  assert.deepEqual(calls.map(([action]) => action), [
    'amphora:get_all', 'amphora:delete', 'amphora:get_stats', 'amphora:get_one', 'amphora:put_failover', 'amphora:put_config', 'amphora:delete',
  ])
  // Nothing changed.
  assert.equal(await statusOf(f, f.broken.id), 'ERROR')
  assert.equal(await lbProvisioning(f, f.lbId), 'ACTIVE')
})
