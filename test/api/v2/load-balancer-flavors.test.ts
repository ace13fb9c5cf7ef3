import { test } from 'node:test'
import assert from 'node:assert/strict'
import { DEFAULT_NETWORK_ID, DEFAULT_SUBNET_ID } from '../../../src/config/defaults.ts'
import { startApi, type ApiHarness } from '../../helpers/api-harness.ts'
import { call, catalogSnapshot, ok, WITH_NOOP, type Json } from '../../helpers/catalog-calls.ts'

// What a flavor and an availability zone do to a load balancer create (spec/api-v2.md §8.2
// steps 4–10): they must exist and be enabled, the flavor picks the provider, the provider
// validates both again, and their metadata shapes the new load balancer.

const LBS = '/v2/lbaas/loadbalancers'
const UNKNOWN = '6f2c1d1e-8a7b-4c1d-9e0f-123456789abc'

async function flavorOf(api: ApiHarness, name: string, provider: string, data: Json, enabled = true): Promise<string> {
  const profile = await ok(api, 'POST', '/v2/lbaas/flavorprofiles', 'flavorprofile', { flavorprofile: { name, provider_name: provider, flavor_data: JSON.stringify(data) } })
  const flavor = await ok(api, 'POST', '/v2/lbaas/flavors', 'flavor', { flavor: { name, enabled, flavor_profile_id: profile.id } })
  return String(flavor.id)
}

async function zoneOf(api: ApiHarness, name: string, provider: string, data: Json, enabled = true): Promise<string> {
  const profile = await ok(api, 'POST', '/v2/lbaas/availabilityzoneprofiles', 'availability_zone_profile',
    { availability_zone_profile: { name, provider_name: provider, availability_zone_data: JSON.stringify(data) } })
  await ok(api, 'POST', '/v2/lbaas/availabilityzones', 'availability_zone', { availability_zone: { name, enabled, availability_zone_profile_id: profile.id } })
  return name
}

/** The stored topology, which the API does not show. */
async function topologyOf(api: ApiHarness, id: unknown): Promise<string | null> {
  const row = await api.deps.db.kysely.selectFrom('load_balancer').select('topology').where('id', '=', String(id)).executeTakeFirstOrThrow()
  return row.topology
}

test('load balancer create with a flavor and an availability zone', async (t) => {
  const api = await startApi(t, { sets: WITH_NOOP })
  const create = (fields: Json) => call(api, 'POST', LBS, { loadbalancer: { vip_subnet_id: DEFAULT_SUBNET_ID, project_id: 'p1', ...fields } })
  const created = async (fields: Json) => {
    const answer = await create(fields)
    assert.equal(answer.status, 201, JSON.stringify(answer.body))
    return answer.body.loadbalancer as Json
  }
  /** A refused create: its status and message, and nothing written anywhere. */
  const refusedCreate = async (fields: Json): Promise<[number, string]> => {
    const before = [await api.counts(), await catalogSnapshot(api)]
    const answer = await create(fields)
    assert.deepEqual([await api.counts(), await catalogSnapshot(api)], before)
    return [answer.status, String(answer.body.faultstring)]
  }

  const standby = await flavorOf(api, 'standby', 'noop_driver', { loadbalancer_topology: 'ACTIVE_STANDBY', sriov_vip: true })
  const single = await flavorOf(api, 'single', 'amphora', { loadbalancer_topology: 'SINGLE' })
  const plain = await flavorOf(api, 'plain', 'amphora', {})
  const off = await flavorOf(api, 'off', 'amphora', {}, false)
  const lab = await zoneOf(api, 'lab', 'noop_driver', { rack: 4 })
  const east = await zoneOf(api, 'east', 'amphora', { compute_zone: 'nova-east', valid_vip_networks: [DEFAULT_NETWORK_ID] })
  const west = await zoneOf(api, 'west', 'amphora', { valid_vip_networks: ['5d4b0ab8-0000-4000-8000-000000000001'] })
  const closed = await zoneOf(api, 'closed', 'amphora', {}, false)

  await t.test('the flavor picks the provider and its metadata applies: topology, SR-IOV VIP', async () => {
    const lb = await created({ flavor_id: standby })
    assert.deepEqual([lb.provider, lb.flavor_id, lb.vip_vnic_type, lb.availability_zone], ['noop_driver', standby, 'direct', null])
    assert.equal(await topologyOf(api, lb.id), 'ACTIVE_STANDBY')
    const shown = await ok(api, 'GET', `${LBS}/${String(lb.id)}`, 'loadbalancer')
    assert.deepEqual([shown.flavor_id, shown.vip_vnic_type], [standby, 'direct'])
    const amphora = await created({ flavor_id: single, provider: 'amphora' })
    assert.deepEqual([amphora.provider, amphora.vip_vnic_type], ['amphora', 'normal'])
    assert.equal(await topologyOf(api, amphora.id), 'SINGLE')
    // Without a topology in the flavor, the configured default.
    assert.equal(await topologyOf(api, (await created({ flavor_id: plain })).id), 'SINGLE')
    assert.deepEqual((await call(api, 'GET', `${LBS}?flavor_id=${standby}&fields=id`)).body.loadbalancers, [{ id: lb.id }])
  })

  await t.test('the flavor must exist, be enabled and agree with a named provider', async () => {
    assert.deepEqual(await refusedCreate({ flavor_id: UNKNOWN }), [400, 'Validation failure: Invalid flavor_id.'])
    assert.deepEqual(await refusedCreate({ flavor_id: off }), [400, `The selected flavor is not allowed in this deployment: ${off}`])
    assert.deepEqual(await refusedCreate({ flavor_id: single, provider: 'octavia' }), [400, `Flavor '${single}' is not compatible with provider 'octavia'`])
    assert.deepEqual(await refusedCreate({ flavor_id: standby, provider: 'amphora' }), [400, `Flavor '${standby}' is not compatible with provider 'amphora'`])
    // The flavor is checked before the zone.
    assert.deepEqual(await refusedCreate({ flavor_id: UNKNOWN, availability_zone: 'nowhere' }), [400, 'Validation failure: Invalid flavor_id.'])
  })

  await t.test('the zone must exist by exact name and be enabled', async () => {
    assert.deepEqual(await refusedCreate({ availability_zone: 'nowhere' }), [400, 'Validation failure: Invalid availability zone.'])
    assert.deepEqual(await refusedCreate({ availability_zone: '' }), [400, 'Validation failure: Invalid availability zone.'])
    assert.deepEqual(await refusedCreate({ availability_zone: 'LAB' }), [400, 'Validation failure: Invalid availability zone.'])
    assert.deepEqual(await refusedCreate({ availability_zone: closed }), [400, 'The selected availability_zone is not allowed in this deployment: closed'])
  })

  await t.test('the load balancer\'s provider validates the zone\'s metadata; valid_vip_networks limits the VIP network', async () => {
    const noop = await created({ availability_zone: lab, provider: 'noop_driver' })
    assert.deepEqual([noop.availability_zone, noop.provider], ['lab', 'noop_driver'])
    assert.deepEqual(await refusedCreate({ availability_zone: lab }),
      [501, "Provider 'amphora' does not support a requested option: Additional properties are not allowed ('rack' was unexpected)"])
    assert.deepEqual(await refusedCreate({ availability_zone: west }),
      [400, 'Validation failure: Supplied VIP network_id is not allowed by the configuration of this deployment.'])
    const inEast = await created({ availability_zone: east, flavor_id: plain })
    assert.deepEqual([inEast.availability_zone, inEast.flavor_id, inEast.provider], ['east', plain, 'amphora'])
    assert.deepEqual((await call(api, 'GET', `${LBS}?availability_zone=east&fields=id`)).body.loadbalancers, [{ id: inEast.id }])
  })

  await t.test('stored metadata the provider no longer accepts refuses the create (501)', async () => {
    // As if the driver had tightened its schema since the profile was written.
    const row = await api.deps.db.kysely.selectFrom('flavor').select('flavor_profile_id').where('id', '=', single).executeTakeFirstOrThrow()
    await api.deps.db.kysely.updateTable('flavor_profile').set({ flavor_data: '{"loadbalancer_topology": "TRIPLE"}' }).where('id', '=', row.flavor_profile_id).execute()
    assert.deepEqual(await refusedCreate({ flavor_id: single }),
      [501, "Provider 'amphora' does not support a requested option: loadbalancer_topology 'TRIPLE' is not one of ['ACTIVE_STANDBY', 'SINGLE']"])
  })
})
