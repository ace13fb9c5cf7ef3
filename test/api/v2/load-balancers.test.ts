import { test } from 'node:test'
import assert from 'node:assert/strict'
import { DEFAULT_NETWORK_ID, DEFAULT_PROJECT_ID, DEFAULT_SUBNET_ID } from '../../../src/config/defaults.ts'
import { startApi, type ApiHarness } from '../../helpers/api-harness.ts'

const LBS = '/v2/lbaas/loadbalancers'

type Json = Record<string, unknown>

async function create(api: ApiHarness, loadbalancer: Json, headers: Record<string, string> = {}) {
  return api.app.inject({ method: 'POST', url: LBS, payload: { loadbalancer }, headers })
}

async function createActive(api: ApiHarness, loadbalancer: Json = {}): Promise<Json> {
  const res = await create(api, { vip_subnet_id: DEFAULT_SUBNET_ID, ...loadbalancer })
  assert.equal(res.statusCode, 201, res.body)
  const id = (res.json() as { loadbalancer: { id: string } }).loadbalancer.id
  const body = await api.until(`${LBS}/${id}`, (b) => (b.loadbalancer as Json).provisioning_status === 'ACTIVE')
  return body.loadbalancer as Json
}

function fault(res: { statusCode: number; json(): unknown }): { status: number; faultstring: string } {
  return { status: res.statusCode, faultstring: (res.json() as { faultstring: string }).faultstring }
}

test('create answers 201 PENDING_CREATE with every field, and the worker makes it ACTIVE (OFFLINE until heartbeats)', async (t) => {
  const api = await startApi(t)
  const res = await create(api, { vip_subnet_id: DEFAULT_SUBNET_ID, name: 'web', tags: ['b', 'a', 'b'] }, { 'x-project-id': 'proj-1' })
  assert.equal(res.statusCode, 201)
  const lb = (res.json() as { loadbalancer: Json }).loadbalancer
  assert.deepEqual(Object.keys(lb).sort(), [
    'additional_vips', 'admin_state_up', 'availability_zone', 'created_at', 'description', 'flavor_id', 'id', 'listeners',
    'name', 'operating_status', 'pools', 'project_id', 'provider', 'provisioning_status', 'tags', 'tenant_id', 'updated_at',
    'vip_address', 'vip_network_id', 'vip_port_id', 'vip_qos_policy_id', 'vip_sg_ids', 'vip_subnet_id', 'vip_vnic_type',
  ])
  assert.equal(lb.provisioning_status, 'PENDING_CREATE')
  assert.equal(lb.operating_status, 'OFFLINE')
  assert.equal(lb.project_id, 'proj-1')
  assert.equal(lb.tenant_id, 'proj-1')
  assert.equal(lb.description, '')
  assert.equal(lb.provider, 'amphora')
  assert.equal(lb.vip_network_id, DEFAULT_NETWORK_ID)
  assert.match(String(lb.vip_address), /^127\.64\./)
  assert.deepEqual(lb.tags, ['a', 'b'])
  assert.deepEqual([lb.listeners, lb.pools, lb.additional_vips, lb.vip_sg_ids], [[], [], [], []])
  assert.match(String(lb.created_at), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/)
  assert.equal(lb.updated_at, null)
  const active = await api.until(`${LBS}/${String(lb.id)}`, (b) => (b.loadbalancer as Json).provisioning_status === 'ACTIVE')
  assert.equal((active.loadbalancer as Json).operating_status, 'OFFLINE')
})

test('the project comes from tenant_id, then project_id, then X-Project-Id, then the configured default', async (t) => {
  const api = await startApi(t)
  const project = async (body: Json, headers: Record<string, string> = {}) =>
    ((await create(api, { vip_subnet_id: DEFAULT_SUBNET_ID, ...body }, headers)).json() as { loadbalancer: Json }).loadbalancer.project_id
  assert.equal(await project({ tenant_id: 't', project_id: 'p' }, { 'x-project-id': 'h' }), 't')
  assert.equal(await project({ project_id: 'p' }, { 'x-project-id': 'h' }), 'p')
  assert.equal(await project({}, { 'x-tenant-id': 'h2' }), 'h2')
  assert.equal(await project({}), DEFAULT_PROJECT_ID)
})

test('without any project (no default configured) a create is refused with Octavia\'s message', async (t) => {
  const api = await startApi(t, { sets: ['octavia.identity.default_project_id='] })
  const before = await api.counts()
  assert.deepEqual(fault(await create(api, { vip_subnet_id: DEFAULT_SUBNET_ID })), {
    status: 400,
    faultstring: 'Validation failure: Missing project ID in request where one is required. An administrator should check the keystone settings in the Octavia configuration.',
  })
  assert.deepEqual(await api.counts(), before)
})

test('VIP placement: by network, by requested address, by port; taken address 409; bad placements 400; nothing written', async (t) => {
  const api = await startApi(t)
  const byNetwork = await createActive(api, { vip_subnet_id: undefined, vip_network_id: DEFAULT_NETWORK_ID })
  assert.equal(byNetwork.vip_subnet_id, DEFAULT_SUBNET_ID)
  const pinned = await createActive(api, { vip_address: '127.64.9.9' })
  assert.equal(pinned.vip_address, '127.64.9.9')

  const before = await api.counts()
  const cases: Array<[Json, number, string]> = [
    [{ vip_address: '127.64.9.9' }, 409, 'The VIP IP address is already in use: '],
    [{ vip_address: '10.0.0.1' }, 400, 'Validation failure: '],
    [{ vip_subnet_id: 'a2c8e0bb-0000-4000-8000-000000000001' }, 400, 'Subnet a2c8e0bb-0000-4000-8000-000000000001 not found.'],
    [{ vip_subnet_id: undefined }, 400, 'Validation failure: VIP must contain one of: vip_port_id, vip_network_id, vip_subnet_id.'],
    [{ vip_subnet_id: undefined, vip_network_id: 'a2c8e0bb-0000-4000-8000-000000000002' }, 400, 'Network a2c8e0bb-0000-4000-8000-000000000002 not found.'],
    [{ vip_subnet_id: undefined, vip_port_id: 'a2c8e0bb-0000-4000-8000-000000000003' }, 400, 'Port a2c8e0bb-0000-4000-8000-000000000003 not found.'],
    [{ vip_subnet_id: undefined, vip_port_id: String(pinned.vip_port_id) }, 400, `Validation failure: Port ${String(pinned.vip_port_id)} is already used by device ${String(pinned.id)} `],
    [{ vip_qos_policy_id: 'a2c8e0bb-0000-4000-8000-000000000004' }, 400, 'Validation failure: VIP QoS policy is not allowed in this deployment.'],
    [{ vip_sg_ids: ['a2c8e0bb-0000-4000-8000-000000000006'] }, 400, 'Security Group a2c8e0bb-0000-4000-8000-000000000006 not found.'],
    [{ provider: 'nope' }, 400, "Provider 'nope' is not enabled."],
    [{ flavor_id: 'a2c8e0bb-0000-4000-8000-000000000005' }, 400, 'Validation failure: Invalid flavor_id.'],
    [{ availability_zone: 'az9' }, 400, 'Validation failure: Invalid availability zone.'],
  ]
  for (const [body, status, message] of cases) {
    const res = await create(api, { vip_subnet_id: DEFAULT_SUBNET_ID, ...body })
    const got = fault(res)
    assert.equal(got.status, status, JSON.stringify(body))
    assert.ok(got.faultstring.startsWith(message), `${JSON.stringify(body)}: ${got.faultstring}`)
  }
  assert.deepEqual(await api.counts(), before, 'a refused create writes nothing')
})

test('bad bodies get 400 naming the field, and change nothing', async (t) => {
  const api = await startApi(t)
  const before = await api.counts()
  const cases: Array<[unknown, string]> = [
    [{ loadbalancer: { vip_subnet_id: DEFAULT_SUBNET_ID, operating_status: 'ONLINE' } }, 'Unknown attribute for argument load_balancer.loadbalancer: operating_status'],
    [{ loadbalancer: { vip_subnet_id: 'not-a-uuid' } }, "Invalid input for field/attribute vip_subnet_id. Value: 'not-a-uuid'. Value should be UUID format"],
    [{ loadbalancer: { vip_subnet_id: DEFAULT_SUBNET_ID, name: 'x'.repeat(256) } }, `Invalid input for field/attribute name. Value: '${'x'.repeat(256)}'. Value should have a maximum character requirement of 255`],
    [{ loadbalancer: { vip_subnet_id: DEFAULT_SUBNET_ID, admin_state_up: 'maybe' } }, 'Invalid input for field/attribute admin_state_up.'],
    [{ loadbalancer: { vip_subnet_id: DEFAULT_SUBNET_ID, vip_address: '999.1.1.1' } }, "Invalid input for field/attribute vip_address. Value: '999.1.1.1'. Value should be IPv4 or IPv6 format"],
    [{ lb: {} }, 'Unknown attribute for argument load_balancer: lb'],
  ]
  for (const [payload, message] of cases) {
    const res = await api.app.inject({ method: 'POST', url: LBS, payload: payload as Json })
    const got = fault(res)
    assert.equal(got.status, 400, JSON.stringify(payload))
    assert.ok(got.faultstring.startsWith(message), `${JSON.stringify(payload)}: ${got.faultstring}`)
  }
  assert.deepEqual(await api.counts(), before)
})

test('update stores the new values with PENDING_UPDATE, then ACTIVE; a busy LB is 409; create-only fields are 400', async (t) => {
  const api = await startApi(t)
  const lb = await createActive(api, { name: 'a', description: 'd', tags: ['x'] })
  const url = `${LBS}/${String(lb.id)}`
  const res = await api.app.inject({ method: 'PUT', url, payload: { loadbalancer: { name: 'b', description: null, admin_state_up: false, tags: ['y', 'z'] } } })
  assert.equal(res.statusCode, 200)
  const updated = (res.json() as { loadbalancer: Json }).loadbalancer
  assert.deepEqual([updated.name, updated.description, updated.admin_state_up, updated.tags, updated.provisioning_status], ['b', '', false, ['y', 'z'], 'PENDING_UPDATE'])
  assert.notEqual(updated.updated_at, null)
  // While the change is in flight, every other change is refused.
  const busy = fault(await api.app.inject({ method: 'PUT', url, payload: { loadbalancer: { name: 'c' } } }))
  if (busy.status !== 200) assert.deepEqual(busy, { status: 409, faultstring: `Invalid state PENDING_UPDATE of loadbalancer resource ${String(lb.id)}` })
  await api.until(url, (b) => (b.loadbalancer as Json).provisioning_status === 'ACTIVE')
  assert.deepEqual(fault(await api.app.inject({ method: 'PUT', url, payload: { loadbalancer: { vip_address: '127.64.0.77' } } })),
    { status: 400, faultstring: 'Unknown attribute for argument load_balancer.loadbalancer: vip_address' })
  assert.equal((await api.app.inject({ method: 'PUT', url: `${LBS}/a2c8e0bb-0000-4000-8000-00000000000f`, payload: { loadbalancer: {} } })).statusCode, 404)
})

test('delete: 204, PENDING_DELETE, then 404 and the VIP address is free again', async (t) => {
  const api = await startApi(t)
  const lb = await createActive(api, { vip_address: '127.64.3.3' })
  const url = `${LBS}/${String(lb.id)}`
  const res = await api.app.inject({ method: 'DELETE', url })
  assert.equal(res.statusCode, 204)
  assert.equal(res.body, '')
  await api.until(url, (_b, status) => status === 404)
  assert.deepEqual(fault(await api.app.inject({ method: 'GET', url })), { status: 404, faultstring: `Load Balancer ${String(lb.id)} not found.` })
  const list = (await api.app.inject({ method: 'GET', url: LBS })).json() as { loadbalancers: Json[] }
  assert.ok(!list.loadbalancers.some((l) => l.id === lb.id), 'DELETED load balancers are never listed')
  const again = await createActive(api, { vip_address: '127.64.3.3' })
  assert.equal(again.vip_address, '127.64.3.3')
})

test('stats, status tree, failover and the /v2.0 and /v2 aliases', async (t) => {
  const api = await startApi(t)
  const lb = await createActive(api, { name: 'tree' })
  const id = String(lb.id)
  assert.deepEqual((await api.app.inject({ method: 'GET', url: `/v2.0/lbaas/loadbalancers/${id}/stats` })).json(), {
    stats: { bytes_in: 0, bytes_out: 0, active_connections: 0, total_connections: 0, request_errors: 0 },
  })
  for (const url of [`${LBS}/${id}/status`, `/v2/loadbalancers/${id}/statuses`]) {
    assert.deepEqual((await api.app.inject({ method: 'GET', url })).json(), {
      statuses: { loadbalancer: { id, name: 'tree', provisioning_status: 'ACTIVE', operating_status: 'OFFLINE', listeners: [] } },
    })
  }
  const failover = await api.app.inject({ method: 'PUT', url: `${LBS}/${id}/failover` })
  assert.equal(failover.statusCode, 202)
  assert.equal(failover.body, '')
  await api.until(`${LBS}/${id}`, (b) => (b.loadbalancer as Json).provisioning_status === 'ACTIVE')
  assert.equal((await api.app.inject({ method: 'GET', url: `${LBS}/a2c8e0bb-0000-4000-8000-00000000000e/stats` })).statusCode, 404)
})

test('list: filters, tags, sorting, pagination links and fields; show honours fields', async (t) => {
  const api = await startApi(t)
  const a = await createActive(api, { name: 'a', tags: ['red'] })
  const b = await createActive(api, { name: 'b', tags: ['red', 'blue'] })
  const c = await createActive(api, { name: 'c', admin_state_up: false })
  const list = async (query: string) => (await api.app.inject({ method: 'GET', url: `${LBS}?${query}`, headers: { host: 'api.test' } })).json() as { loadbalancers: Json[]; loadbalancers_links: Json[] }
  const names = (body: { loadbalancers: Json[] }) => body.loadbalancers.map((l) => l.name)

  assert.deepEqual(names(await list('')), ['a', 'b', 'c'])
  assert.deepEqual(names(await list('name=b')), ['b'])
  assert.deepEqual(names(await list('admin_state_up=false')), ['c'])
  assert.deepEqual(names(await list(`vip_address=${String(a.vip_address)}`)), ['a'])
  assert.deepEqual(names(await list('tags=red')), ['a', 'b'])
  assert.deepEqual(names(await list('tags=red,blue')), ['b'])
  assert.deepEqual(names(await list('not-tags-any=red')), ['c'])
  assert.deepEqual(names(await list('sort=name:desc')), ['c', 'b', 'a'])
  assert.deepEqual((await list('fields=id&fields=name')).loadbalancers, [a, b, c].map((l) => ({ id: l.id, name: l.name })))

  const first = await list('limit=2')
  assert.deepEqual(names(first), ['a', 'b'])
  assert.deepEqual(first.loadbalancers_links, [{ href: `http://api.test${LBS}?limit=2&marker=${String(b.id)}`, rel: 'next' }])
  const second = await list(`limit=2&marker=${String(b.id)}`)
  assert.deepEqual(names(second), ['c'])
  assert.deepEqual(second.loadbalancers_links, [{ href: `http://api.test${LBS}?limit=2&marker=${String(c.id)}&page_reverse=True`, rel: 'previous' }])

  for (const [query, message] of [
    ['limit=x', "Supplied pagination limit 'x' is not valid."],
    ['sort=name:sideways', "Supplied sort direction 'sideways' is not valid."],
    ['colour=blue', 'One or more arguments are either duplicate or invalid'],
    ['marker=a2c8e0bb-0000-4000-8000-000000000001', "Supplied pagination marker 'a2c8e0bb-0000-4000-8000-000000000001' is not valid."],
  ]) {
    assert.deepEqual(fault(await api.app.inject({ method: 'GET', url: `${LBS}?${query}` })), { status: 400, faultstring: message })
  }
  const shown = (await api.app.inject({ method: 'GET', url: `${LBS}/${String(a.id)}?fields=name&fields=vip_address` })).json()
  assert.deepEqual(shown, { loadbalancer: { name: 'a', vip_address: a.vip_address } })
})

test('URL conventions: trailing slash, .json suffix, 405 for a method a path does not have', async (t) => {
  const api = await startApi(t)
  const lb = await createActive(api)
  assert.equal((await api.app.inject({ method: 'GET', url: `${LBS}/` })).statusCode, 200)
  assert.equal((await api.app.inject({ method: 'GET', url: `${LBS}.json` })).statusCode, 200)
  assert.equal((await api.app.inject({ method: 'GET', url: `${LBS}/${String(lb.id)}.json?fields=id` })).json().loadbalancer.id, lb.id)
  const patch = await api.app.inject({ method: 'PATCH', url: `${LBS}/${String(lb.id)}` })
  assert.deepEqual([patch.statusCode, patch.json()], [405, { code: 405, title: 'Method Not Allowed', description: null }])
  assert.equal((await api.app.inject({ method: 'DELETE', url: LBS })).statusCode, 405)
  assert.equal((await api.app.inject({ method: 'POST', url: '/' })).statusCode, 405)
})

test('undeclared query arguments: refused on POST, PUT, DELETE, stats and status; ignored on GETs', async (t) => {
  const api = await startApi(t)
  const lb = await createActive(api)
  const url = `${LBS}/${String(lb.id)}`
  const before = await api.counts()
  for (const [method, target] of [['POST', `${LBS}?x=1`], ['PUT', `${url}?x=1`], ['DELETE', `${url}?x=1`], ['GET', `${url}/stats?x=1`], ['GET', `${url}/status?x=1`], ['PUT', `${url}/failover?x=1`]] as const) {
    const res = await api.app.inject({ method, url: target, ...(method === 'GET' || method === 'DELETE' ? {} : { payload: { loadbalancer: {} } }) })
    assert.deepEqual(fault(res), { status: 400, faultstring: 'Unknown argument: "x"' }, `${method} ${target}`)
  }
  assert.deepEqual(await api.counts(), before)
  assert.equal((await api.app.inject({ method: 'GET', url: `${url}?x=1` })).statusCode, 200)
  const cascade = await api.app.inject({ method: 'DELETE', url: `${url}?cascade=true` })
  assert.equal(cascade.statusCode, 204)
})
