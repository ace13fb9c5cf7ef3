import { test } from 'node:test'
import assert from 'node:assert/strict'
import { DEFAULT_SUBNET_ID } from '../../../src/config/defaults.ts'
import { startApi } from '../../helpers/api-harness.ts'
import { call, ok, refused, WITH_NOOP, type Json } from '../../helpers/catalog-calls.ts'
import { ENGINES } from '../../helpers/test-database.ts'

// Flavor profiles and flavors over HTTP (spec/api-v2.md §16.2, §16.3) on each database engine:
// every field, default and refusal, a refusal changing nothing.

const FP = '/v2/lbaas/flavorprofiles'
const FL = '/v2/lbaas/flavors'
const NIL = '00000000-0000-0000-0000-000000000000'
const UNKNOWN = '6f2c1d1e-8a7b-4c1d-9e0f-123456789abc'
const AMPHORA_NO = "Provider 'amphora' does not support a requested option: "

for (const engine of ENGINES) {
  test(`flavor profiles and flavors on ${engine}`, async (t) => {
    const api = await startApi(t, { engine, sets: WITH_NOOP })
    const profile = (fields: Json) => ok(api, 'POST', FP, 'flavorprofile', { flavorprofile: { name: 'p', provider_name: 'amphora', flavor_data: '{}', ...fields } })
    const flavor = (fields: Json) => ok(api, 'POST', FL, 'flavor', { flavor: fields })

    const single = await profile({ name: 'single', flavor_data: '{"loadbalancer_topology": "SINGLE",  "compute_flavor": "c1"}' })
    const spare = await profile({ name: 'spare', provider_name: 'noop_driver', flavor_data: '{"anything": [1, {"x": null}]}' })

    await t.test('profile create: 201 with the four fields, flavor_data kept exactly as sent', async () => {
      assert.deepEqual(Object.keys(single), ['id', 'name', 'provider_name', 'flavor_data'])
      assert.match(String(single.id), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
      assert.deepEqual([single.name, single.provider_name, single.flavor_data], ['single', 'amphora', '{"loadbalancer_topology": "SINGLE",  "compute_flavor": "c1"}'])
      assert.deepEqual(await ok(api, 'GET', `${FP}/${String(single.id)}`, 'flavorprofile'), single)
      assert.equal(spare.flavor_data, '{"anything": [1, {"x": null}]}')
    })

    await t.test('profile create refusals', async () => {
      const post = (fields: Json) => refused(api, 'POST', FP, { flavorprofile: { name: 'p', provider_name: 'amphora', flavor_data: '{}', ...fields } })
      assert.deepEqual(await refused(api, 'POST', FP, { flavorprofile: { provider_name: 'amphora', flavor_data: '{}' } }),
        [400, "Invalid input for field/attribute name. Value: 'None'. Mandatory field missing."])
      assert.deepEqual(await post({ flavor_data: null }), [400, "Invalid input for field/attribute flavor_data. Value: 'None'. Mandatory field missing."])
      assert.deepEqual(await post({ id: UNKNOWN }), [400, 'Unknown attribute for argument flavor_profile_.flavorprofile: id'])
      assert.deepEqual(await refused(api, 'POST', FP, { flavor_profile: {} }), [400, 'Unknown attribute for argument flavor_profile_: flavor_profile'])
      assert.deepEqual(await post({ flavor_data: { loadbalancer_topology: 'SINGLE' } }),
        [400, "Invalid input for field/attribute flavor_data. Value: '{'loadbalancer_topology': 'SINGLE'}'. Value should be string"])
      const [status, message] = await post({ flavor_data: `"${'x'.repeat(4095)}"` })
      assert.equal(status, 400)
      assert.match(message, /^Invalid input for field\/attribute flavor_data\. Value: '"x+"'\. Value should have a maximum character requirement of 4096$/)
      assert.deepEqual(await post({ name: 'n'.repeat(256) }), [400, `Invalid input for field/attribute name. Value: '${'n'.repeat(256)}'. Value should have a maximum character requirement of 255`])
      assert.deepEqual(await post({ flavor_data: '{not json' }), [400, '{not json is not a valid option for flavor_data'])
      // JSON is checked before the provider; the provider before its metadata.
      assert.deepEqual(await post({ provider_name: 'bogus', flavor_data: 'nope' }), [400, 'nope is not a valid option for flavor_data'])
      assert.deepEqual(await post({ provider_name: 'bogus', flavor_data: '{"foo": 1}' }), [400, "Provider 'bogus' is not enabled."])
      assert.deepEqual(await post({ flavor_data: '{"foo": 1}' }), [501, `${AMPHORA_NO}Additional properties are not allowed ('foo' was unexpected)`])
      assert.deepEqual(await post({ flavor_data: '{"loadbalancer_topology": "X"}' }), [501, `${AMPHORA_NO}loadbalancer_topology 'X' is not one of ['ACTIVE_STANDBY', 'SINGLE']`])
      assert.deepEqual(await post({ flavor_data: '{"sriov_vip": "yes"}' }), [501, `${AMPHORA_NO}sriov_vip 'yes' is not of type 'boolean'`])
      assert.deepEqual(await post({ flavor_data: '[]' }), [501, `${AMPHORA_NO}[] is not of type 'object'`])
    })

    await t.test('profile show: 404 for unknown ids and the nil UUID; fields', async () => {
      assert.deepEqual(await refused(api, 'GET', `${FP}/${UNKNOWN}`), [404, `Flavor Profile ${UNKNOWN} not found.`])
      assert.deepEqual(await refused(api, 'GET', `${FP}/${NIL}`), [404, `Flavor profile ${NIL} not found.`])
      assert.deepEqual(await ok(api, 'GET', `${FP}/${String(single.id)}?fields=provider_name&fields=name`, 'flavorprofile'), { name: 'single', provider_name: 'amphora' })
    })

    let gold: Json = {}
    let silver: Json = {}
    await t.test('flavor create: 201 with defaults (description "", enabled true); description, enabled false, enabled null', async () => {
      gold = await flavor({ name: 'gold', flavor_profile_id: String(single.id).toUpperCase() })
      assert.deepEqual(Object.keys(gold), ['id', 'name', 'description', 'enabled', 'flavor_profile_id'])
      assert.deepEqual([gold.name, gold.description, gold.enabled, gold.flavor_profile_id], ['gold', '', true, single.id])
      silver = await flavor({ name: 'silver', description: 'for tests', enabled: false, flavor_profile_id: spare.id })
      assert.deepEqual([silver.description, silver.enabled], ['for tests', false])
      const bronze = await flavor({ name: 'bronze', enabled: null, flavor_profile_id: spare.id })
      assert.equal(bronze.enabled, false)
      assert.deepEqual(await ok(api, 'GET', `${FL}/${String(bronze.id)}`, 'flavor'), bronze)
      assert.equal((await call(api, 'DELETE', `${FL}/${String(bronze.id)}`)).status, 204)
    })

    await t.test('flavor create refusals', async () => {
      const post = (fields: Json) => refused(api, 'POST', FL, { flavor: { name: 'new', flavor_profile_id: single.id, ...fields } })
      assert.deepEqual(await post({ name: 'gold' }), [409, 'A flavor of gold already exists.'])
      assert.deepEqual(await post({ flavor_profile_id: UNKNOWN }), [400, 'Validation failure: Invalid flavor_profile_id.'])
      assert.deepEqual(await post({ flavor_profile_id: 'abc' }), [400, "Invalid input for field/attribute flavor_profile_id. Value: 'abc'. Value should be UUID format"])
      assert.deepEqual(await post({ flavor_profile_id: null }), [400, "Invalid input for field/attribute flavor_profile_id. Value: 'None'. Mandatory field missing."])
      assert.deepEqual(await post({ name: null }), [400, "Invalid input for field/attribute name. Value: 'None'. Mandatory field missing."])
      assert.deepEqual(await post({ enabled: 'maybe' }), [400, "Invalid input for field/attribute enabled. Value: 'maybe'. Value not an unambiguous boolean: maybe"])
      assert.deepEqual(await post({ description: 'd'.repeat(256) }), [400, `Invalid input for field/attribute description. Value: '${'d'.repeat(256)}'. Value should have a maximum character requirement of 255`])
      assert.deepEqual(await post({ id: UNKNOWN }), [400, 'Unknown attribute for argument flavor_.flavor: id'])
      assert.deepEqual(await refused(api, 'POST', FL, {}), [400, "Invalid input for field/attribute flavor. Value: 'None'. Mandatory field missing."])
    })

    await t.test('flavor show and list: 404s, filters, sorting, paging, fields', async () => {
      assert.deepEqual(await refused(api, 'GET', `${FL}/${UNKNOWN}`), [404, `Flavor ${UNKNOWN} not found.`])
      assert.deepEqual(await refused(api, 'GET', `${FL}/${NIL}`), [404, `Flavor ${NIL} not found.`])
      const all = await call(api, 'GET', FL)
      const byId = [gold, silver].sort((a, b) => String(a.id).localeCompare(String(b.id)))
      assert.deepEqual(all.body, { flavors: byId, flavors_links: [] })
      assert.deepEqual((await call(api, 'GET', `${FL}?enabled=false`)).body.flavors, [silver])
      assert.deepEqual((await call(api, 'GET', `${FL}?name=gold&flavor_profile_id=${String(single.id)}`)).body.flavors, [gold])
      assert.deepEqual((await call(api, 'GET', `${FL}?sort=name:desc&fields=name`)).body.flavors, [{ name: 'silver' }, { name: 'gold' }])
      const page = await call(api, 'GET', `${FL}?limit=1&sort_key=name`)
      assert.deepEqual(page.body.flavors, [gold])
      assert.deepEqual(page.body.flavors_links, [{ href: `http://localhost:80${FL}?limit=1&sort_key=name&marker=${String(gold.id)}`, rel: 'next' }])
      assert.deepEqual((await call(api, 'GET', `${FL}?limit=1&sort_key=name&marker=${String(gold.id)}`)).body.flavors, [silver])
      assert.deepEqual(await refused(api, 'GET', `${FL}?color=red`), [400, 'One or more arguments are either duplicate or invalid'])
      assert.deepEqual(await refused(api, 'GET', `${FL}?sort=created_at`), [400, "Supplied sort key 'created_at' is not valid."])
    })

    await t.test('profile list: default order by id, filters, singular links key', async () => {
      const all = await call(api, 'GET', FP)
      const byId = [single, spare].sort((a, b) => String(a.id).localeCompare(String(b.id)))
      assert.deepEqual(all.body, { flavorprofiles: byId, flavorprofile_links: [] })
      assert.deepEqual((await call(api, 'GET', `${FP}?provider_name=noop_driver`)).body.flavorprofiles, [spare])
      const page = await call(api, 'GET', `${FP}?limit=1`)
      assert.deepEqual(page.body.flavorprofiles, [byId[0]])
      assert.equal((page.body.flavorprofile_links as Json[])[0]!.rel, 'next')
    })

    await t.test('flavor update: name, description (null shows ""), enabled; {} changes nothing; refusals', async () => {
      const url = `${FL}/${String(silver.id)}`
      const updated = await ok(api, 'PUT', url, 'flavor', { flavor: { name: 'platinum', description: null, enabled: true } })
      assert.deepEqual(updated, { ...silver, name: 'platinum', description: '', enabled: true })
      assert.deepEqual(await ok(api, 'PUT', url, 'flavor', { flavor: {} }), updated)
      assert.deepEqual(await refused(api, 'PUT', url, { flavor: { flavor_profile_id: single.id } }), [400, 'Unknown attribute for argument flavor_.flavor: flavor_profile_id'])
      assert.deepEqual(await refused(api, 'PUT', url, { flavor: { name: 'gold' } }), [409, 'A flavor of gold already exists.'])
      assert.deepEqual(await refused(api, 'PUT', url, { flavor: { name: null } }), [400, 'None is not a valid option for name'])
      assert.deepEqual(await refused(api, 'PUT', `${FL}/${UNKNOWN}`, { flavor: { name: 'x' } }), [404, `Flavor ${UNKNOWN} not found.`])
      assert.deepEqual(await refused(api, 'PUT', `${FL}/${NIL}`, { flavor: {} }), [404, `Flavor ${NIL} not found.`])
      assert.deepEqual(await refused(api, 'PUT', `${url}?x=1`, { flavor: {} }), [400, 'Unknown argument: "x"'])
      silver = await ok(api, 'PUT', url, 'flavor', { flavor: { name: 'silver', enabled: false } })
    })

    await t.test('profile update: name while in use; data or provider refused while a flavor uses it, even unchanged', async () => {
      const url = `${FP}/${String(single.id)}`
      assert.deepEqual(await ok(api, 'PUT', url, 'flavorprofile', { flavorprofile: { name: 'renamed' } }), { ...single, name: 'renamed' })
      const inUse = `Flavor profile ${String(single.id)} is in use and cannot be modified.`
      assert.deepEqual(await refused(api, 'PUT', url, { flavorprofile: { flavor_data: String(single.flavor_data) } }), [409, inUse])
      assert.deepEqual(await refused(api, 'PUT', url, { flavorprofile: { provider_name: 'amphora' } }), [409, inUse])
      // Nulls are refused before anything else.
      for (const field of ['name', 'provider_name', 'flavor_data']) {
        assert.deepEqual(await refused(api, 'PUT', url, { flavorprofile: { [field]: null } }), [400, `None is not a valid option for ${field}`])
      }
      assert.deepEqual(await refused(api, 'PUT', url, { flavorprofile: { flavor_data: 5 } }), [400, "Invalid input for field/attribute flavor_data. Value: '5'. Value should be string"])
    })

    await t.test('profile update of an unused profile: data and provider validated together, 404s', async () => {
      const free = await profile({ name: 'free', provider_name: 'noop_driver', flavor_data: '{"foo": 1}' })
      const url = `${FP}/${String(free.id)}`
      assert.deepEqual(await refused(api, 'PUT', url, { flavorprofile: { flavor_data: 'oops' } }), [400, 'oops is not a valid option for flavor_data'])
      // The stored metadata must suit a new provider, new metadata the stored provider.
      assert.deepEqual(await refused(api, 'PUT', url, { flavorprofile: { provider_name: 'amphora' } }), [501, `${AMPHORA_NO}Additional properties are not allowed ('foo' was unexpected)`])
      assert.deepEqual(await refused(api, 'PUT', url, { flavorprofile: { provider_name: 'bogus' } }), [400, "Provider 'bogus' is not enabled."])
      const moved = await ok(api, 'PUT', url, 'flavorprofile', { flavorprofile: { provider_name: 'amphora', flavor_data: '{"sriov_vip": true}' } })
      assert.deepEqual(moved, { ...free, provider_name: 'amphora', flavor_data: '{"sriov_vip": true}' })
      assert.deepEqual(await refused(api, 'PUT', url, { flavorprofile: { flavor_data: '{"foo": 1}' } }), [501, `${AMPHORA_NO}Additional properties are not allowed ('foo' was unexpected)`])
      assert.deepEqual(await ok(api, 'PUT', url, 'flavorprofile', { flavorprofile: {} }), moved)
      assert.deepEqual(await refused(api, 'PUT', `${FP}/${UNKNOWN}`, { flavorprofile: { flavor_data: '{}' } }), [404, `Flavor Profile ${UNKNOWN} not found.`])
      assert.deepEqual(await refused(api, 'PUT', `${FP}/${UNKNOWN}`, { flavorprofile: { name: 'x' } }), [404, `Flavor Profile ${UNKNOWN} not found.`])
      assert.deepEqual(await refused(api, 'PUT', `${FP}/${NIL}`, { flavorprofile: { name: 'x' } }), [404, `Flavor profile ${NIL} not found.`])
      assert.equal((await call(api, 'DELETE', url)).status, 204)
      assert.deepEqual(await refused(api, 'GET', url), [404, `Flavor Profile ${String(free.id)} not found.`])
    })

    await t.test('flavor delete: 409 while a load balancer that is not DELETED uses it; a DELETED one loses the reference', async () => {
      const lb = await ok(api, 'POST', '/v2/lbaas/loadbalancers', 'loadbalancer', { loadbalancer: { vip_subnet_id: DEFAULT_SUBNET_ID, flavor_id: gold.id, project_id: 'p1' } })
      assert.equal(lb.flavor_id, gold.id)
      const url = `${FL}/${String(gold.id)}`
      assert.deepEqual(await refused(api, 'DELETE', url), [409, `Flavor ${String(gold.id)} is in use and cannot be modified.`])
      await api.until(`/v2/lbaas/loadbalancers/${String(lb.id)}`, (b) => (b.loadbalancer as Json).provisioning_status === 'ACTIVE')
      await api.deps.db.kysely.updateTable('load_balancer').set({ provisioning_status: 'PENDING_DELETE' }).where('id', '=', String(lb.id)).execute()
      assert.deepEqual(await refused(api, 'DELETE', url), [409, `Flavor ${String(gold.id)} is in use and cannot be modified.`])
      await api.deps.db.kysely.updateTable('load_balancer').set({ provisioning_status: 'DELETED' }).where('id', '=', String(lb.id)).execute()
      assert.deepEqual(await refused(api, 'DELETE', `${FL}/${UNKNOWN}`), [404, `Flavor ${UNKNOWN} not found.`])
      assert.deepEqual(await refused(api, 'DELETE', `${FL}/${NIL}`), [404, `Flavor ${NIL} not found.`])
      // A profile used by a flavor cannot go.
      assert.deepEqual(await refused(api, 'DELETE', `${FP}/${String(single.id)}`), [409, `Flavor profile ${String(single.id)} is in use and cannot be modified.`])
      assert.equal((await call(api, 'DELETE', url)).status, 204)
      assert.deepEqual(await refused(api, 'GET', url), [404, `Flavor ${String(gold.id)} not found.`])
      const row = await api.deps.db.kysely.selectFrom('load_balancer').select('flavor_id').where('id', '=', String(lb.id)).executeTakeFirstOrThrow()
      assert.equal(row.flavor_id, null)
      assert.equal((await call(api, 'DELETE', `${FP}/${String(single.id)}`)).status, 204)
      assert.deepEqual(await refused(api, 'DELETE', `${FP}/${String(single.id)}`), [404, `Flavor profile ${String(single.id)} not found.`])
      assert.deepEqual(await refused(api, 'DELETE', `${FP}/${NIL}`), [404, `Flavor profile ${NIL} not found.`])
    })
  })
}
