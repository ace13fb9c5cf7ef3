import { test } from 'node:test'
import assert from 'node:assert/strict'
import { DEFAULT_NETWORK_ID, DEFAULT_SUBNET_ID } from '../../../src/config/defaults.ts'
import { startApi, type ApiHarness } from '../../helpers/api-harness.ts'

// Replays of what real clients do with the API, in the order they do it (spec/clients.md):
// Kubernetes cloud-provider-openstack (CPO), terraform-provider-openstack, gophercloud and the
// habits every client shares. The rules behind each call are tested per resource elsewhere.

const LBS = '/v2/lbaas/loadbalancers'

type Json = Record<string, unknown>
type Method = 'GET' | 'POST' | 'PUT' | 'DELETE'
interface Reply { status: number; body: Json }

async function call(api: ApiHarness, method: Method, url: string, payload?: Json): Promise<Reply> {
  const res = await api.app.inject({ method, url, ...(payload ? { payload } : {}) })
  return { status: res.statusCode, body: res.body === '' ? {} : res.json() as Json }
}

/** `call`, asserting the status; returns the body's `key` object (or the whole body without a key). */
async function ok(api: ApiHarness, method: Method, url: string, status: number, payload?: Json, key?: string): Promise<Json> {
  const reply = await call(api, method, url, payload)
  assert.equal(reply.status, status, `${method} ${url}: ${JSON.stringify(reply.body)}`)
  return key ? reply.body[key] as Json : reply.body
}

/**
 * CPO's WaitActiveAndGetLoadBalancer: GET the LB until ACTIVE; ERROR is fatal, anything else
 * means keep waiting (pkg/util/openstack/loadbalancer.go).
 */
async function waitActive(api: ApiHarness, lbId: string): Promise<Json> {
  const body = await api.until(`${LBS}/${lbId}`, (b, status) => status !== 200 || ['ACTIVE', 'ERROR'].includes(String((b.loadbalancer as Json).provisioning_status)))
  const lb = body.loadbalancer as Json | undefined
  assert.equal(lb?.provisioning_status, 'ACTIVE', `load balancer ${lbId}: ${JSON.stringify(body)}`)
  return lb!
}

/**
 * Terraform's create/update/delete: 409 (LB busy) is retried until the call goes through; any
 * other answer is final. `onConflict` runs after each 409.
 */
async function retry409(api: ApiHarness, method: Method, url: string, payload?: Json, onConflict = async () => {}): Promise<Reply & { conflicts: number }> {
  for (let conflicts = 0; conflicts < 500; conflicts++) {
    const reply = await call(api, method, url, payload)
    if (reply.status !== 409) return { ...reply, conflicts }
    assert.match(String(reply.body.faultstring), /is immutable and cannot be updated/)
    await onConflict()
    await new Promise((r) => setTimeout(r, 10))
  }
  throw new Error(`${method} ${url} was still 409 after 500 tries`)
}

type Tree = Json & { listeners: Array<Json & { pools: Array<Json & { members: Json[]; health_monitor?: Json }> }> }

/** Terraform's wait for a child object: the LB's status tree until `done` holds. */
async function waitTree(api: ApiHarness, lbId: string, done: (tree: Tree) => boolean): Promise<Tree> {
  const body = await api.until(`${LBS}/${lbId}/status`, (b) => done((b.statuses as { loadbalancer: Tree }).loadbalancer))
  return (body.statuses as { loadbalancer: Tree }).loadbalancer
}

async function createLoadBalancer(api: ApiHarness, body: Json): Promise<Json> {
  const lb = await ok(api, 'POST', LBS, 201, { loadbalancer: { vip_subnet_id: DEFAULT_SUBNET_ID, ...body } }, 'loadbalancer')
  return waitActive(api, String(lb.id))
}

/** Creates a child through `url` and waits, as CPO does, until its LB is ACTIVE again. */
async function createChild(api: ApiHarness, lbId: string, url: string, key: string, body: Json): Promise<Json> {
  const created = await ok(api, 'POST', url, 201, { [key]: body }, key)
  await waitActive(api, lbId)
  return created
}

const ids = (list: unknown) => (list as Json[]).map((o) => o.id)

test('cloud-provider-openstack: GET / lists versions oldest first, so the last one (CURRENT) enables every feature CPO gates', async (t) => {
  const api = await startApi(t)
  const { versions } = await ok(api, 'GET', '/', 200) as { versions: Array<{ id: string; status: string }> }
  const numbers = versions.map((v) => v.id.slice(1).split('.').map(Number) as [number, number])
  const sorted = [...numbers].sort((a, b) => a[0] - b[0] || a[1] - b[1])
  assert.deepEqual(numbers, sorted, 'CPO takes the last entry as the current version')
  const last = versions.at(-1)!
  assert.deepEqual([last.id, last.status], ['v2.30', 'CURRENT'])
  // CPO's gates: timeouts, tags, flavors, allowed_cidrs, availability zones, HTTP monitors on UDP pools.
  const [major, minor] = numbers.at(-1)!
  for (const gate of [1, 5, 6, 12, 14, 16]) assert.ok(major > 2 || (major === 2 && minor >= gate), `v2.${gate}`)
})

test('cloud-provider-openstack: one POST creates the listeners, pools, members and monitors of a service, then the LB is polled until ACTIVE', async (t) => {
  const api = await startApi(t)
  const name = 'kube_service_kubernetes_default_web'
  const pool = (i: number, port: number) => ({
    name: `pool_${i}_${name}`, protocol: 'TCP', lb_algorithm: 'ROUND_ROBIN',
    members: [
      { name: 'node-1', address: '127.0.0.11', protocol_port: port, subnet_id: DEFAULT_SUBNET_ID },
      { name: 'node-2', address: '127.0.0.12', protocol_port: port, subnet_id: DEFAULT_SUBNET_ID },
    ],
    healthmonitor: { name: `monitor_${i}_${name}`, type: 'TCP', delay: 5, timeout: 3, max_retries: 1, max_retries_down: 3 },
  })
  const reply = await call(api, 'POST', LBS, {
    loadbalancer: {
      name, description: 'Kubernetes external service default/web from cluster kubernetes',
      vip_subnet_id: DEFAULT_SUBNET_ID, provider: 'amphora', tags: [name],
      listeners: [
        { name: `listener_0_${name}`, protocol: 'TCP', protocol_port: 80, connection_limit: -1, timeout_client_data: 50000,
          timeout_member_data: 50000, timeout_member_connect: 5000, timeout_tcp_inspect: 0, allowed_cidrs: ['127.0.0.0/8'], tags: [name],
          default_pool: pool(0, 30080) },
        { name: `listener_1_${name}`, protocol: 'TCP', protocol_port: 443, connection_limit: -1, tags: [name], default_pool: pool(1, 30443) },
      ],
    },
  })
  assert.equal(reply.status, 201, `the full-graph create (spec/api-v2.md §8.3): ${JSON.stringify(reply.body)}`)
  const lb = reply.body.loadbalancer as Json & { listeners: Json[]; pools: Array<Json & { members: Json[]; healthmonitor: Json }> }
  assert.equal(lb.provisioning_status, 'PENDING_CREATE')
  assert.deepEqual(lb.listeners.map((l) => [l.name, l.protocol_port, l.provisioning_status]), [
    [`listener_0_${name}`, 80, 'PENDING_CREATE'], [`listener_1_${name}`, 443, 'PENDING_CREATE'],
  ])
  const poolByName = new Map(lb.pools.map((p) => [p.name, p]))
  assert.deepEqual(lb.listeners.map((l) => l.default_pool_id), [poolByName.get(`pool_0_${name}`)?.id, poolByName.get(`pool_1_${name}`)?.id])
  for (const p of lb.pools) {
    assert.deepEqual(p.members.map((m) => [m.address, m.provisioning_status]), [['127.0.0.11', 'PENDING_CREATE'], ['127.0.0.12', 'PENDING_CREATE']])
    assert.equal(p.healthmonitor.provisioning_status, 'PENDING_CREATE')
  }

  const lbId = String(lb.id)
  await waitActive(api, lbId)
  const tree = await waitTree(api, lbId, () => true)
  assert.equal(tree.listeners.length, 2)
  for (const listener of tree.listeners) {
    assert.equal(listener.provisioning_status, 'ACTIVE')
    for (const p of listener.pools) {
      assert.equal(p.provisioning_status, 'ACTIVE')
      assert.equal(p.health_monitor?.provisioning_status, 'ACTIVE')
      assert.deepEqual(p.members.map((m) => m.provisioning_status), ['ACTIVE', 'ACTIVE'])
    }
  }
  // CPO finds the LB again by its tag on the next sync.
  const found = await ok(api, 'GET', `${LBS}?tags=${name}`, 200, undefined, 'loadbalancers') as unknown as Json[]
  assert.deepEqual(ids(found), [lbId])
})

test('cloud-provider-openstack: finds its load balancer by tag (or name), and on a shared LB its listeners by listener tag', async (t) => {
  const api = await startApi(t)
  const name = 'kube_service_kubernetes_default_shared'
  const lb = await createLoadBalancer(api, { name, tags: [name] })
  await createLoadBalancer(api, { name: 'other', tags: ['kube_service_kubernetes_default_other'] })
  const lbId = String(lb.id)

  const list = async (url: string) => ids(await ok(api, 'GET', url, 200, undefined, url.startsWith(LBS) ? 'loadbalancers' : 'listeners'))
  assert.deepEqual(await list(`${LBS}?tags=${name}`), [lbId])
  assert.deepEqual(await list(`${LBS}?name=${name}`), [lbId])
  assert.deepEqual(await list(`${LBS}?tags=kube_service_kubernetes_default_gone`), [])

  // Two services share the LB; each marks the listener it owns with its own tag.
  const a = await createChild(api, lbId, '/v2/lbaas/listeners', 'listener', { loadbalancer_id: lbId, name: 'listener_a', protocol: 'TCP', protocol_port: 80, tags: ['svc-a'] })
  const b = await createChild(api, lbId, '/v2/lbaas/listeners', 'listener', { loadbalancer_id: lbId, name: 'listener_b', protocol: 'TCP', protocol_port: 81, tags: ['svc-b'] })
  assert.deepEqual(new Set(await list(`/v2/lbaas/listeners?loadbalancer_id=${lbId}`)), new Set([a.id, b.id]))
  assert.deepEqual(await list(`/v2/lbaas/listeners?loadbalancer_id=${lbId}&tags=svc-b`), [b.id])
  // A second service adopts listener_a: CPO rewrites its tags, then waits for the LB.
  const updated = await ok(api, 'PUT', `/v2/lbaas/listeners/${String(a.id)}`, 200, { listener: { tags: ['svc-a', 'svc-c'] } }, 'listener')
  assert.deepEqual(updated.tags, ['svc-a', 'svc-c'])
  await waitActive(api, lbId)
  assert.deepEqual(await list(`/v2/lbaas/listeners?tags=svc-c`), [a.id])
  // The LB's own tags are updated the same way (UpdateLoadBalancerTags).
  const retagged = await ok(api, 'PUT', `${LBS}/${lbId}`, 200, { loadbalancer: { tags: [name, 'svc-c'] } }, 'loadbalancer')
  assert.deepEqual(retagged.tags, [name, 'svc-c'])
  await waitActive(api, lbId)
  assert.deepEqual(await list(`${LBS}?tags=svc-c`), [lbId])
})

test('cloud-provider-openstack: members replaced with the batch PUT, each time followed by polling the LB until ACTIVE', async (t) => {
  const api = await startApi(t)
  const lbId = String((await createLoadBalancer(api, { name: 'kube_service_kubernetes_default_batch' })).id)
  const listener = await createChild(api, lbId, '/v2/lbaas/listeners', 'listener', { loadbalancer_id: lbId, protocol: 'TCP', protocol_port: 80 })
  const pool = await createChild(api, lbId, '/v2/lbaas/pools', 'pool', { listener_id: listener.id, protocol: 'TCP', lb_algorithm: 'ROUND_ROBIN', name: 'pool_0' })
  const url = `/v2/lbaas/pools/${String(pool.id)}/members`
  const node = (n: number, extra: Json = {}) => ({ name: `node-${n}`, address: `127.0.0.${n}`, protocol_port: 30080, subnet_id: DEFAULT_SUBNET_ID, ...extra })
  const members = async () => (await ok(api, 'GET', url, 200, undefined, 'members') as unknown as Json[])
    .map((m) => [m.address, m.weight, m.monitor_port, m.provisioning_status]).sort()

  await ok(api, 'PUT', url, 202, { members: [node(1), node(2)] })
  await waitActive(api, lbId)
  assert.deepEqual(await members(), [['127.0.0.1', 1, null, 'ACTIVE'], ['127.0.0.2', 1, null, 'ACTIVE']])
  // Members created in the same millisecond list in id order, so pick node 1 by its address.
  const first = (await ok(api, 'GET', url, 200, undefined, 'members') as unknown as Json[]).find((m) => m.address === '127.0.0.1')

  // A node leaves, another joins, one gets a health-check port: all in one call.
  await ok(api, 'PUT', url, 202, { members: [node(2, { monitor_port: 32000 }), node(3)] })
  await waitActive(api, lbId)
  assert.deepEqual(await members(), [['127.0.0.2', 1, 32000, 'ACTIVE'], ['127.0.0.3', 1, null, 'ACTIVE']])
  assert.equal((await call(api, 'GET', `${url}/${String(first!.id)}`)).status, 404)

  // Every resync sends the same list again: accepted, and the LB comes back ACTIVE.
  await ok(api, 'PUT', url, 202, { members: [node(2, { monitor_port: 32000 }), node(3)] })
  await waitActive(api, lbId)
  assert.deepEqual(await members(), [['127.0.0.2', 1, 32000, 'ACTIVE'], ['127.0.0.3', 1, null, 'ACTIVE']])
  // The service scales to zero.
  await ok(api, 'PUT', url, 202, { members: [] })
  await waitActive(api, lbId)
  assert.deepEqual(await members(), [])
})

test('cloud-provider-openstack: listener allowed_cidrs, timeouts, connection_limit and insert_headers updates; PROXY and PROXYV2 pools', async (t) => {
  const api = await startApi(t)
  const lbId = String((await createLoadBalancer(api, { name: 'kube_service_kubernetes_default_http' })).id)
  const listener = await createChild(api, lbId, '/v2/lbaas/listeners', 'listener', { loadbalancer_id: lbId, protocol: 'HTTP', protocol_port: 80 })
  const url = `/v2/lbaas/listeners/${String(listener.id)}`
  const update = {
    connection_limit: 1000, timeout_client_data: 60000, timeout_member_data: 60000, timeout_member_connect: 3000, timeout_tcp_inspect: 10,
    allowed_cidrs: ['127.0.0.0/8', '127.1.2.3/16'], insert_headers: { 'X-Forwarded-For': 'true' },
  }
  const put = await ok(api, 'PUT', url, 200, { listener: update }, 'listener')
  assert.equal(put.provisioning_status, 'PENDING_UPDATE')
  await waitActive(api, lbId)
  const shown = await ok(api, 'GET', url, 200, undefined, 'listener')
  assert.deepEqual(
    [shown.provisioning_status, shown.connection_limit, shown.timeout_client_data, shown.timeout_member_data, shown.timeout_member_connect,
      shown.timeout_tcp_inspect, shown.allowed_cidrs, shown.insert_headers],
    ['ACTIVE', 1000, 60000, 60000, 3000, 10, ['127.0.0.0/8', '127.1.0.0/16'], { 'X-Forwarded-For': 'true' }])

  // Source ranges removed from the service: CPO sends an empty list.
  await ok(api, 'PUT', url, 200, { listener: { allowed_cidrs: [], insert_headers: {} } })
  await waitActive(api, lbId)
  const cleared = await ok(api, 'GET', url, 200, undefined, 'listener')
  assert.deepEqual([cleared.allowed_cidrs, cleared.insert_headers], [null, {}])

  // loadbalancer.openstack.org/proxy-protocol: the TCP listener's pool speaks PROXY or PROXYV2.
  for (const [port, protocol] of [[8080, 'PROXY'], [8081, 'PROXYV2']] as const) {
    const tcp = await createChild(api, lbId, '/v2/lbaas/listeners', 'listener', { loadbalancer_id: lbId, protocol: 'TCP', protocol_port: port })
    const pool = await createChild(api, lbId, '/v2/lbaas/pools', 'pool', { listener_id: tcp.id, protocol, lb_algorithm: 'ROUND_ROBIN', name: `pool_${protocol}` })
    assert.equal(pool.protocol, protocol)
    assert.equal((await ok(api, 'GET', `/v2/lbaas/listeners/${String(tcp.id)}`, 200, undefined, 'listener')).default_pool_id, pool.id)
  }
})

test('terraform: each child call is retried while it gets 409 and awaited on the status tree; the LB shows the fields terraform reads', async (t) => {
  const api = await startApi(t)
  const lbId = String((await createLoadBalancer(api, { name: 'tf', tags: ['tf-managed'] })).id)
  const statuses: number[] = []
  const create = async (url: string, key: string, body: Json, onConflict?: () => Promise<void>) => {
    const reply = await retry409(api, 'POST', url, { [key]: body }, onConflict)
    statuses.push(...Array<number>(reply.conflicts).fill(409), reply.status)
    assert.equal(reply.status, 201, JSON.stringify(reply.body))
    return reply.body[key] as Json
  }

  // Sibling resources are created in parallel (terraform's -parallelism): the LB takes one change
  // at a time, so any that finds it busy gets 409 and is retried until it goes through.
  const listeners = await Promise.all([80, 81, 82].map((port) =>
    create('/v2/lbaas/listeners', 'listener', { loadbalancer_id: lbId, protocol: 'HTTP', protocol_port: port })))
  const listener = listeners[0]!
  await waitTree(api, lbId, (tree) => tree.listeners.length === 3 && tree.listeners.every((l) => l.provisioning_status === 'ACTIVE'))

  // The in-process worker usually finishes before the next call arrives, so a change made
  // elsewhere is held in flight here (the LB PENDING_UPDATE) until terraform has seen its 409.
  await api.deps.loadBalancers.setProvisioningStatus(lbId, 'PENDING_UPDATE')
  const before = statuses.length
  const pool = await create('/v2/lbaas/pools', 'pool', { listener_id: listener.id, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' },
    async () => { await api.deps.loadBalancers.setProvisioningStatus(lbId, 'ACTIVE', { from: 'PENDING_UPDATE' }) })
  assert.deepEqual(statuses.slice(before), [409, 201])

  // A chain of dependent resources, created without waiting between the calls.
  const poolInTree = (tree: Tree) => tree.listeners.find((l) => l.id === listener.id)?.pools.find((p) => p.id === pool.id)
  assert.equal(poolInTree(await waitTree(api, lbId, (tree) => poolInTree(tree)?.provisioning_status === 'ACTIVE'))?.provisioning_status, 'ACTIVE')
  const member = await create(`/v2/lbaas/pools/${String(pool.id)}/members`, 'member', { address: '127.0.0.21', protocol_port: 8080 })
  const monitor = await create('/v2/lbaas/healthmonitors', 'healthmonitor', { pool_id: pool.id, type: 'HTTP', delay: 5, timeout: 3, max_retries: 3 })
  const tree = await waitTree(api, lbId, (tr) => poolInTree(tr)?.health_monitor?.provisioning_status === 'ACTIVE'
    && poolInTree(tr)?.members.find((m) => m.id === member.id)?.provisioning_status === 'ACTIVE')
  assert.equal(poolInTree(tree)?.health_monitor?.id, monitor.id)
  assert.ok(statuses.every((s) => s === 409 || s === 201), `only 409 before success: ${statuses.join(',')}`)
  assert.equal(statuses.filter((s) => s === 201).length, 6)

  // Updates in parallel are retried the same way.
  const updates = await Promise.all([
    retry409(api, 'PUT', `/v2/lbaas/listeners/${String(listener.id)}`, { listener: { name: 'web' } }),
    retry409(api, 'PUT', `/v2/lbaas/pools/${String(pool.id)}`, { pool: { name: 'backend' } }),
    retry409(api, 'PUT', `/v2/lbaas/pools/${String(pool.id)}/members/${String(member.id)}`, { member: { weight: 3 } }),
  ])
  assert.deepEqual(updates.map((u) => u.status), [200, 200, 200], JSON.stringify(updates.map((u) => u.body)))

  // What terraform reads back into its state.
  const lb = await waitActive(api, lbId)
  for (const key of ['vip_port_id', 'flavor_id', 'availability_zone', 'vip_qos_policy_id', 'tags'] as const) assert.ok(key in lb, key)
  assert.deepEqual([lb.flavor_id, lb.availability_zone, lb.vip_qos_policy_id, lb.tags], [null, null, null, ['tf-managed']])
  assert.match(String(lb.vip_port_id), /^[0-9a-f-]{36}$/)
  const port = await ok(api, 'GET', `/v2.0/ports/${String(lb.vip_port_id)}`, 200, undefined, 'port')
  assert.deepEqual(port.fixed_ips, [{ subnet_id: lb.vip_subnet_id, ip_address: lb.vip_address }])

  // Deletes, leaves first, each retried on 409 and awaited until gone from the tree.
  const gone = [
    [`/v2/lbaas/healthmonitors/${String(monitor.id)}`, (tr: Tree) => poolInTree(tr)?.health_monitor === undefined],
    [`/v2/lbaas/pools/${String(pool.id)}/members/${String(member.id)}`, (tr: Tree) => poolInTree(tr)?.members.length === 0],
    [`/v2/lbaas/pools/${String(pool.id)}`, (tr: Tree) => tr.listeners.every((l) => l.pools.length === 0)],
    ...listeners.map((l) => [`/v2/lbaas/listeners/${String(l.id)}`, (tr: Tree) => tr.listeners.every((x) => x.id !== l.id)] as const),
  ] as const
  for (const [url, done] of gone) {
    const reply = await retry409(api, 'DELETE', url)
    assert.equal(reply.status, 204, `${url}: ${JSON.stringify(reply.body)}`)
    await waitTree(api, lbId, done)
  }
})

test('everyone: a deleted object answers 404 as soon as its delete has completed, never a DELETED body', async (t) => {
  const api = await startApi(t)
  const lbId = String((await createLoadBalancer(api, {})).id)
  const listener = await createChild(api, lbId, '/v2/lbaas/listeners', 'listener', { loadbalancer_id: lbId, protocol: 'HTTP', protocol_port: 80 })
  const pool = await createChild(api, lbId, '/v2/lbaas/pools', 'pool', { listener_id: listener.id, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' })
  const members = `/v2/lbaas/pools/${String(pool.id)}/members`
  const member = await createChild(api, lbId, members, 'member', { address: '127.0.0.31', protocol_port: 80 })
  const monitor = await createChild(api, lbId, '/v2/lbaas/healthmonitors', 'healthmonitor', { pool_id: pool.id, type: 'TCP', delay: 5, timeout: 3, max_retries: 3 })

  const children = [
    [`/v2/lbaas/healthmonitors/${String(monitor.id)}`, '/v2/lbaas/healthmonitors', 'healthmonitors'],
    [`${members}/${String(member.id)}`, members, 'members'],
    [`/v2/lbaas/pools/${String(pool.id)}`, '/v2/lbaas/pools', 'pools'],
    [`/v2/lbaas/listeners/${String(listener.id)}`, '/v2/lbaas/listeners', 'listeners'],
  ] as const
  for (const [url, collection, key] of children) {
    await ok(api, 'DELETE', url, 204)
    // The delete has completed when the LB is handed back: from then on, 404 and out of lists.
    await waitActive(api, lbId)
    const after = await call(api, 'GET', url)
    assert.equal(after.status, 404, `${url}: ${JSON.stringify(after.body)}`)
    assert.match(String(after.body.faultstring), /not found/)
    assert.deepEqual(await ok(api, 'GET', collection, 200, undefined, key), [])
  }

  // The LB itself: PENDING_DELETE while the worker runs, then 404; never DELETED.
  await ok(api, 'DELETE', `${LBS}/${lbId}`, 204)
  const seen = new Set<string>()
  await api.until(`${LBS}/${lbId}`, (b, status) => {
    seen.add(status === 200 ? String((b.loadbalancer as Json).provisioning_status) : String(status))
    return status !== 200
  })
  assert.deepEqual([...seen].filter((s) => s !== 'PENDING_DELETE'), ['404'])
  assert.deepEqual(await ok(api, 'GET', LBS, 200, undefined, 'loadbalancers'), [])

  // A cascade delete takes every child with it.
  const lb2 = String((await createLoadBalancer(api, {})).id)
  const l2 = await createChild(api, lb2, '/v2/lbaas/listeners', 'listener', { loadbalancer_id: lb2, protocol: 'TCP', protocol_port: 80 })
  const p2 = await createChild(api, lb2, '/v2/lbaas/pools', 'pool', { listener_id: l2.id, protocol: 'TCP', lb_algorithm: 'ROUND_ROBIN' })
  await ok(api, 'DELETE', `${LBS}/${lb2}?cascade=true`, 204)
  await api.until(`${LBS}/${lb2}`, (_b, status) => status === 404)
  for (const url of [`/v2/lbaas/listeners/${String(l2.id)}`, `/v2/lbaas/pools/${String(p2.id)}`]) assert.equal((await call(api, 'GET', url)).status, 404, url)
})

test('everyone: a second VIP request for an address already taken gets 409 and writes nothing; the address is free again once its LB is gone', async (t) => {
  const api = await startApi(t)
  const address = '127.64.0.50'
  const first = await createLoadBalancer(api, { vip_address: address })
  assert.equal(first.vip_address, address)
  const before = await api.counts()

  for (const vip of [{ vip_subnet_id: DEFAULT_SUBNET_ID }, { vip_network_id: DEFAULT_NETWORK_ID }]) {
    const reply = await call(api, 'POST', LBS, { loadbalancer: { ...vip, vip_address: address } })
    assert.equal(reply.status, 409, JSON.stringify(reply.body))
    assert.match(String(reply.body.faultstring), /^The VIP IP address is already in use/)
  }
  assert.deepEqual(await api.counts(), before)

  await ok(api, 'DELETE', `${LBS}/${String(first.id)}`, 204)
  await api.until(`${LBS}/${String(first.id)}`, (_b, status) => status === 404)
  const again = await createLoadBalancer(api, { vip_address: address })
  assert.equal(again.vip_address, address)
})
