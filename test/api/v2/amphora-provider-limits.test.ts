import { test } from 'node:test'
import assert from 'node:assert/strict'
import { newId } from '../../../src/common/ids.ts'
import { DEFAULT_SUBNET_ID } from '../../../src/config/defaults.ts'
import { startApi, type ApiHarness } from '../../helpers/api-harness.ts'
import { seedPool } from '../../helpers/db-seed.ts'

// What the amphora provider cannot build yet is refused when it is asked for, with a 501 naming
// the option (the provider's API-time validation, spec/api-v2.md §7, §6.6 step 5): the
// ACTIVE_STANDBY topology, TERMINATED_HTTPS/UDP/SCTP listeners, UDP/SCTP pools and UDP-CONNECT/SCTP
// health monitors. The 400s come first, nothing is written, and the noop provider accepts them.

const LBS = '/v2/lbaas/loadbalancers'
const WITH_NOOP = 'octavia.api_settings.enabled_provider_drivers={amphora: "The Octavia Amphora driver.", octavia: "Deprecated alias of the Octavia Amphora driver.", noop_driver: "The noop driver."}'
const REFUSED = "Provider 'amphora' does not support a requested option: Amphora provider does not support"

type Json = Record<string, unknown>

function fault(res: { statusCode: number; json(): unknown }): { status: number; faultstring: string } {
  return { status: res.statusCode, faultstring: (res.json() as { faultstring: string }).faultstring }
}

function postLoadBalancer(api: ApiHarness, loadbalancer: Json) {
  return api.app.inject({ method: 'POST', url: LBS, headers: { 'x-project-id': 'owner' }, payload: { loadbalancer: { vip_subnet_id: DEFAULT_SUBNET_ID, ...loadbalancer } } })
}

async function activeLoadBalancer(api: ApiHarness, loadbalancer: Json = {}): Promise<string> {
  const res = await postLoadBalancer(api, loadbalancer)
  assert.equal(res.statusCode, 201, res.body)
  const id = String((res.json() as { loadbalancer: Json }).loadbalancer.id)
  await settled(api, id)
  return id
}

async function settled(api: ApiHarness, id: string): Promise<void> {
  await api.until(`${LBS}/${id}`, (b) => (b.loadbalancer as Json).provisioning_status === 'ACTIVE')
}

async function topologyOf(api: ApiHarness, id: string): Promise<string | null | undefined> {
  return (await api.deps.loadBalancers.get(id))?.topology
}

/** A flavor of the amphora provider with this topology, straight into the catalog tables. */
async function flavor(api: ApiHarness, topology: string): Promise<string> {
  const db = api.deps.db.kysely
  const profileId = newId()
  const id = newId()
  await db.insertInto('flavor_profile').values({ id: profileId, name: topology, provider_name: 'amphora', flavor_data: JSON.stringify({ loadbalancer_topology: topology }) }).execute()
  await db.insertInto('flavor').values({ id, name: topology, description: null, enabled: true, flavor_profile_id: profileId }).execute()
  return id
}

test('ACTIVE_STANDBY, from the configuration or from a flavor: 501 for amphora load balancers, accepted by noop_driver', async (t) => {
  const api = await startApi(t, { sets: [WITH_NOOP, 'octavia.controller_worker.loadbalancer_topology=ACTIVE_STANDBY'] })
  const activeStandby = { status: 501, faultstring: `${REFUSED} the ACTIVE_STANDBY loadbalancer_topology yet.` }
  const before = await api.counts()
  assert.deepEqual(fault(await postLoadBalancer(api, {})), activeStandby)
  assert.deepEqual(fault(await postLoadBalancer(api, { provider: 'octavia', listeners: [{ protocol: 'HTTP', protocol_port: 80 }] })), activeStandby)
  // The flavor's topology wins over the configuration's, either way.
  const single = await flavor(api, 'SINGLE')
  const pair = await flavor(api, 'ACTIVE_STANDBY')
  assert.deepEqual(fault(await postLoadBalancer(api, { flavor_id: pair })), activeStandby)
  // A 400 still comes first.
  assert.deepEqual(fault(await postLoadBalancer(api, { vip_subnet_id: undefined })), {
    status: 400, faultstring: 'Validation failure: VIP must contain one of: vip_port_id, vip_network_id, vip_subnet_id.',
  })
  assert.deepEqual(await api.counts(), before)

  assert.equal(await topologyOf(api, await activeLoadBalancer(api, { flavor_id: single })), 'SINGLE')
  assert.equal(await topologyOf(api, await activeLoadBalancer(api, { provider: 'noop_driver' })), 'ACTIVE_STANDBY')
})

test('TERMINATED_HTTPS, UDP and SCTP listeners and UDP/SCTP pools: 501 on amphora (also inside a full graph), after the 400s; noop_driver takes them', async (t) => {
  const api = await startApi(t, { sets: [WITH_NOOP] })
  const lbId = await activeLoadBalancer(api)
  const noopId = await activeLoadBalancer(api, { provider: 'noop_driver' })
  const post = (url: string, body: Json) => api.app.inject({ method: 'POST', url: `/v2/lbaas/${url}`, payload: body })
  const listeners: Array<[string, Json]> = [
    ['TERMINATED_HTTPS', { protocol: 'TERMINATED_HTTPS', protocol_port: 443, default_tls_container_ref: 'cert' }],
    ['UDP', { protocol: 'UDP', protocol_port: 53 }],
    ['SCTP', { protocol: 'SCTP', protocol_port: 9 }],
  ]
  const pools = ['UDP', 'SCTP'].map((protocol) => [protocol, { protocol, lb_algorithm: 'ROUND_ROBIN' }] as [string, Json])

  const before = await api.counts()
  for (const [protocol, listener] of listeners) {
    assert.deepEqual(fault(await post('listeners', { listener: { ...listener, loadbalancer_id: lbId } })), { status: 501, faultstring: `${REFUSED} ${protocol} listeners yet.` })
    assert.deepEqual(fault(await postLoadBalancer(api, { listeners: [listener] })), { status: 501, faultstring: `${REFUSED} ${protocol} listeners yet.` })
  }
  for (const [protocol, pool] of pools) {
    assert.deepEqual(fault(await post('pools', { pool: { ...pool, loadbalancer_id: lbId } })), { status: 501, faultstring: `${REFUSED} ${protocol} pools yet.` })
    assert.deepEqual(fault(await postLoadBalancer(api, { pools: [{ ...pool, name: 'p' }] })), { status: 501, faultstring: `${REFUSED} ${protocol} pools yet.` })
  }
  // The 400s of the request itself come before the provider's refusal.
  assert.deepEqual(fault(await post('listeners', { listener: { protocol: 'UDP', protocol_port: 53, loadbalancer_id: lbId, insert_headers: { 'X-Forwarded-For': 'true' } } })),
    { status: 400, faultstring: 'insert-headers is not a valid option for a UDP protocol listener.' })
  assert.deepEqual(fault(await post('pools', { pool: { protocol: 'UDP', lb_algorithm: 'ROUND_ROBIN', loadbalancer_id: lbId, session_persistence: { type: 'HTTP_COOKIE' } } })),
    { status: 400, faultstring: 'Validation failure: Session persistence of type HTTP_COOKIE is not supported for UDP/SCTP protocol pools.' })
  assert.deepEqual(await api.counts(), before)
  assert.equal((await api.deps.loadBalancers.get(lbId))?.provisioning_status, 'ACTIVE')

  for (const [, listener] of listeners) {
    assert.equal((await post('listeners', { listener: { ...listener, loadbalancer_id: noopId } })).statusCode, 201)
    await settled(api, noopId)
  }
  for (const [, pool] of pools) {
    assert.equal((await post('pools', { pool: { ...pool, loadbalancer_id: noopId } })).statusCode, 201)
    await settled(api, noopId)
  }
  assert.equal((await postLoadBalancer(api, { provider: 'noop_driver', listeners: listeners.map(([, l]) => l), pools: pools.map(([name, p]) => ({ ...p, name })) })).statusCode, 201)
})

test('UDP-CONNECT and SCTP health monitors: 501 on amphora after the type/pool 400s; accepted by noop_driver', async (t) => {
  const api = await startApi(t, { sets: [WITH_NOOP] })
  const lbId = await activeLoadBalancer(api)
  const noopId = await activeLoadBalancer(api, { provider: 'noop_driver' })
  const db = api.deps.db.kysely
  // Pools the amphora provider would refuse, as they could exist from before this release.
  const udpPool = await seedPool(db, lbId, { project_id: 'owner', protocol: 'UDP' })
  const httpPool = await seedPool(db, lbId, { project_id: 'owner', protocol: 'HTTP' })
  const post = (poolId: string, type: string) => api.app.inject({ method: 'POST', url: '/v2/lbaas/healthmonitors', payload: { healthmonitor: { pool_id: poolId, type, delay: 5, timeout: 3, max_retries: 2 } } })

  const before = await api.counts()
  for (const type of ['UDP-CONNECT', 'SCTP']) {
    assert.deepEqual(fault(await post(udpPool, type)), { status: 501, faultstring: `${REFUSED} ${type} health monitors yet.` })
    assert.deepEqual(fault(await post(httpPool, type)), { status: 400, faultstring: `Validation failure: The ${type} type is only supported for pools of type UDP/SCTP.` })
  }
  assert.deepEqual(await api.counts(), before)
  assert.equal((await api.deps.loadBalancers.get(lbId))?.provisioning_status, 'ACTIVE')
  // Other types on such a pool are not the provider's concern.
  assert.equal((await post(udpPool, 'TCP')).statusCode, 201)

  for (const type of ['UDP-CONNECT', 'SCTP']) {
    const pool = await seedPool(db, noopId, { project_id: 'owner', protocol: type === 'SCTP' ? 'SCTP' : 'UDP' })
    assert.equal((await post(pool, type)).statusCode, 201)
    await settled(api, noopId)
  }
})
