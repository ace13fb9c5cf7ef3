import { test } from 'node:test'
import assert from 'node:assert/strict'
import { DEFAULT_SUBNET_ID } from '../../../src/config/defaults.ts'
import { startApi } from '../../helpers/api-harness.ts'
import { call, ok, refused, WITH_NOOP, type Json } from '../../helpers/catalog-calls.ts'
import { ENGINES } from '../../helpers/test-database.ts'

// Availability zone profiles and availability zones over HTTP (spec/api-v2.md §16.4, §16.5) on
// each database engine. Zones are known by name; their profiles are the flavor profiles' twin.

const AZP = '/v2/lbaas/availabilityzoneprofiles'
const AZ = '/v2/lbaas/availabilityzones'
const NIL = '00000000-0000-0000-0000-000000000000'
const UNKNOWN = '6f2c1d1e-8a7b-4c1d-9e0f-123456789abc'
const AMPHORA_NO = "Provider 'amphora' does not support a requested option: "

for (const engine of ENGINES) {
  test(`availability zone profiles and availability zones on ${engine}`, async (t) => {
    const api = await startApi(t, { engine, sets: WITH_NOOP })
    const profile = (fields: Json) => ok(api, 'POST', AZP, 'availability_zone_profile',
      { availability_zone_profile: { name: 'p', provider_name: 'amphora', availability_zone_data: '{}', ...fields } })
    const zone = (fields: Json) => ok(api, 'POST', AZ, 'availability_zone', { availability_zone: fields })

    const east = await profile({ name: 'east', availability_zone_data: '{"compute_zone": "nova-east", "valid_vip_networks": ["n1"]}' })
    const lab = await profile({ name: 'lab', provider_name: 'noop_driver', availability_zone_data: '{"rack": 4}' })

    await t.test('profile create: 201 with its four fields; refusals name availability_zone_data', async () => {
      assert.deepEqual(Object.keys(east), ['id', 'name', 'provider_name', 'availability_zone_data'])
      assert.deepEqual([east.name, east.provider_name, east.availability_zone_data], ['east', 'amphora', '{"compute_zone": "nova-east", "valid_vip_networks": ["n1"]}'])
      const post = (fields: Json) => refused(api, 'POST', AZP, { availability_zone_profile: { name: 'p', provider_name: 'amphora', availability_zone_data: '{}', ...fields } })
      assert.deepEqual(await post({ availability_zone_data: 'zone?' }), [400, 'zone? is not a valid option for availability_zone_data'])
      assert.deepEqual(await post({ provider_name: null }), [400, "Invalid input for field/attribute provider_name. Value: 'None'. Mandatory field missing."])
      assert.deepEqual(await post({ provider_name: 'octavia', availability_zone_data: '{"region": "r"}' }),
        [501, `${AMPHORA_NO}Additional properties are not allowed ('region' was unexpected)`])
      assert.deepEqual(await post({ availability_zone_data: '{"valid_vip_networks": "n1"}' }), [501, `${AMPHORA_NO}valid_vip_networks 'n1' is not of type 'array'`])
      assert.deepEqual(await post({ provider_name: 'nope' }), [400, "Provider 'nope' is not enabled."])
      assert.deepEqual(await post({ flavor_data: '{}' }), [400, 'Unknown attribute for argument availability_zone_profile_.availability_zone_profile: flavor_data'])
    })

    let a: Json = {}
    let b: Json = {}
    await t.test('zone create: 201 without id, defaults, by-name lookups; refusals', async () => {
      b = await zone({ name: 'zone b', availability_zone_profile_id: lab.id, description: 'second', enabled: false })
      a = await zone({ name: 'zone-a', availability_zone_profile_id: east.id })
      assert.deepEqual(a, { name: 'zone-a', description: '', enabled: true, availability_zone_profile_id: east.id })
      assert.deepEqual(b, { name: 'zone b', description: 'second', enabled: false, availability_zone_profile_id: lab.id })
      assert.deepEqual(await ok(api, 'GET', `${AZ}/zone%20b`, 'availability_zone'), b)
      const post = (fields: Json) => refused(api, 'POST', AZ, { availability_zone: { name: 'c', availability_zone_profile_id: east.id, ...fields } })
      assert.deepEqual(await post({ name: 'zone-a' }), [409, 'A availability zone of zone-a already exists.'])
      // Names compare exactly, on every engine.
      assert.deepEqual((await call(api, 'GET', `${AZ}/ZONE-A`)).status, 404)
      assert.deepEqual(await post({ availability_zone_profile_id: UNKNOWN }), [400, 'Validation failure: Invalid availability_zone_profile_id.'])
      assert.deepEqual(await post({ availability_zone_profile_id: undefined }),
        [400, "Invalid input for field/attribute availability_zone_profile_id. Value: 'None'. Mandatory field missing."])
      assert.deepEqual(await post({ id: UNKNOWN }), [400, 'Unknown attribute for argument availability_zone_.availability_zone: id'])
      assert.deepEqual(await post({ name: 7 }), [400, "Invalid input for field/attribute name. Value: '7'. Value should be string"])
    })

    await t.test('zone show and list: 404s, filters, key order, paging by name, fields', async () => {
      assert.deepEqual(await refused(api, 'GET', `${AZ}/nowhere`), [404, 'Availability Zone nowhere not found.'])
      assert.deepEqual(await refused(api, 'GET', `${AZ}/${NIL}`), [404, `Availability Zone ${NIL} not found.`])
      // By name, code point order (' ' before '-').
      assert.deepEqual((await call(api, 'GET', AZ)).body, { availability_zones: [b, a], availability_zones_links: [] })
      assert.deepEqual((await call(api, 'GET', `${AZ}?enabled=true`)).body.availability_zones, [a])
      assert.deepEqual((await call(api, 'GET', `${AZ}?availability_zone_profile_id=${String(lab.id)}`)).body.availability_zones, [b])
      assert.deepEqual((await call(api, 'GET', `${AZ}?sort=description:desc&fields=name`)).body.availability_zones, [{ name: 'zone b' }, { name: 'zone-a' }])
      const page = await call(api, 'GET', `${AZ}?limit=1`)
      assert.deepEqual(page.body, { availability_zones: [b], availability_zones_links: [{ href: `http://localhost:80${AZ}?limit=1&marker=zone b`, rel: 'next' }] })
      assert.deepEqual((await call(api, 'GET', `${AZ}?limit=1&marker=zone%20b`)).body.availability_zones, [a])
      assert.deepEqual(await refused(api, 'GET', `${AZ}?id=x`), [400, 'One or more arguments are either duplicate or invalid'])
      assert.deepEqual(await ok(api, 'GET', `${AZ}/zone-a?fields=enabled`, 'availability_zone'), { enabled: true })
    })

    await t.test('zone update: description and enabled only; 404s', async () => {
      const url = `${AZ}/zone%20b`
      b = await ok(api, 'PUT', url, 'availability_zone', { availability_zone: { description: null, enabled: true } })
      assert.deepEqual(b, { name: 'zone b', description: '', enabled: true, availability_zone_profile_id: lab.id })
      assert.deepEqual(await refused(api, 'PUT', url, { availability_zone: { name: 'zone c' } }), [400, 'Unknown attribute for argument availability_zone_.availability_zone: name'])
      assert.deepEqual(await refused(api, 'PUT', url, { availability_zone: { availability_zone_profile_id: east.id } }),
        [400, 'Unknown attribute for argument availability_zone_.availability_zone: availability_zone_profile_id'])
      assert.deepEqual(await refused(api, 'PUT', `${AZ}/nowhere`, { availability_zone: { enabled: false } }), [404, 'Availability Zone nowhere not found.'])
      assert.deepEqual(await ok(api, 'PUT', url, 'availability_zone', { availability_zone: {} }), b)
    })

    await t.test('profile show, list and update: messages say Availability Zone Profile; the update\'s JSON check says flavor_data', async () => {
      assert.deepEqual(await refused(api, 'GET', `${AZP}/${UNKNOWN}`), [404, `Availability Zone Profile ${UNKNOWN} not found.`])
      const byId = [east, lab].sort((x, y) => String(x.id).localeCompare(String(y.id)))
      assert.deepEqual((await call(api, 'GET', AZP)).body, { availability_zone_profiles: byId, availability_zone_profile_links: [] })
      assert.deepEqual((await call(api, 'GET', `${AZP}?name=lab`)).body.availability_zone_profiles, [lab])
      const url = `${AZP}/${String(lab.id)}`
      const inUse = `Availability Zone Profile ${String(lab.id)} is in use and cannot be modified.`
      assert.deepEqual(await refused(api, 'PUT', url, { availability_zone_profile: { availability_zone_data: '{}' } }), [409, inUse])
      assert.deepEqual(await refused(api, 'PUT', url, { availability_zone_profile: { availability_zone_data: null } }), [400, 'None is not a valid option for availability_zone_data'])
      assert.deepEqual(await ok(api, 'PUT', url, 'availability_zone_profile', { availability_zone_profile: { name: 'lab 2' } }), { ...lab, name: 'lab 2' })
      const spare = await profile({ name: 'spare' })
      const spareUrl = `${AZP}/${String(spare.id)}`
      assert.deepEqual(await refused(api, 'PUT', spareUrl, { availability_zone_profile: { availability_zone_data: '{' } }), [400, '{ is not a valid option for flavor_data'])
      assert.deepEqual(await refused(api, 'PUT', spareUrl, { availability_zone_profile: { availability_zone_data: '{"volume_zone": 1}' } }),
        [501, `${AMPHORA_NO}volume_zone 1 is not of type 'string'`])
      assert.deepEqual(await ok(api, 'PUT', spareUrl, 'availability_zone_profile', { availability_zone_profile: { availability_zone_data: '{"volume_zone": "v"}' } }),
        { ...spare, availability_zone_data: '{"volume_zone": "v"}' })
      assert.deepEqual(await refused(api, 'PUT', `${AZP}/${NIL}`, { availability_zone_profile: { name: 'n' } }), [404, `Availability Zone Profile ${NIL} not found.`])
      assert.equal((await call(api, 'DELETE', spareUrl)).status, 204)
      assert.deepEqual(await refused(api, 'DELETE', spareUrl), [404, `Availability Zone Profile ${String(spare.id)} not found.`])
    })

    await t.test('zone delete: 409 while a load balancer that is not DELETED uses it; profile delete 409 while a zone uses it', async () => {
      const lb = await ok(api, 'POST', '/v2/lbaas/loadbalancers', 'loadbalancer',
        { loadbalancer: { vip_subnet_id: DEFAULT_SUBNET_ID, availability_zone: 'zone b', provider: 'noop_driver', project_id: 'p1' } })
      assert.equal(lb.availability_zone, 'zone b')
      const url = `${AZ}/zone%20b`
      assert.deepEqual(await refused(api, 'DELETE', url), [409, 'Availability Zone zone b is in use and cannot be modified.'])
      await api.until(`/v2/lbaas/loadbalancers/${String(lb.id)}`, (body) => (body.loadbalancer as Json).provisioning_status === 'ACTIVE')
      await api.deps.db.kysely.updateTable('load_balancer').set({ provisioning_status: 'DELETED' }).where('id', '=', String(lb.id)).execute()
      assert.deepEqual(await refused(api, 'DELETE', `${AZP}/${String(lab.id)}`), [409, `Availability Zone Profile ${String(lab.id)} is in use and cannot be modified.`])
      assert.deepEqual(await refused(api, 'DELETE', `${AZ}/nowhere`), [404, 'Availability Zone nowhere not found.'])
      assert.equal((await call(api, 'DELETE', url)).status, 204)
      const row = await api.deps.db.kysely.selectFrom('load_balancer').select('availability_zone').where('id', '=', String(lb.id)).executeTakeFirstOrThrow()
      assert.equal(row.availability_zone, null)
      assert.equal((await call(api, 'DELETE', `${AZP}/${String(lab.id)}`)).status, 204)
      assert.deepEqual((await call(api, 'GET', AZ)).body.availability_zones, [a])
    })
  })
}
