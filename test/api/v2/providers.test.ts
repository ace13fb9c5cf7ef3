import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { FastifyRequest } from 'fastify'
import { Forbidden, type Access } from '../../../src/api/access/access.ts'
import { startApi } from '../../helpers/api-harness.ts'
import { call, ok, refused, WITH_NOOP, type Json } from '../../helpers/catalog-calls.ts'

// Providers and their capabilities (spec/api-v2.md §16.1), and the policies every catalogue call
// checks, before any lookup (rbac.md §3, §5).

const AMPHORA_FLAVOR = [
  ['loadbalancer_topology', 'The load balancer topology. One of: SINGLE - One amphora per load balancer. ACTIVE_STANDBY - Two amphora per load balancer.'],
  ['compute_flavor', 'The compute driver flavor ID.'],
  ['amp_image_tag', 'The amphora image tag.'],
  ['sriov_vip', 'When true, the VIP port will be created using an SR-IOV VF port.'],
  ['allow_member_sriov', 'When true, users can request a member port be SR-IOV enabled at member creation time.'],
].map(([name, description]) => ({ name, description }))

const AMPHORA_ZONE = [
  ['compute_zone', 'The compute availability zone.'],
  ['volume_zone', 'The volume availability zone.'],
  ['management_network', 'The management network ID for the amphora.'],
  ['valid_vip_networks', 'List of network IDs that are allowed for VIP use. This overrides/replaces the list of allowed networks configured in `octavia.conf`.'],
].map(([name, description]) => ({ name, description }))

test('provider list: the enabled providers from the configuration, no links, fields kept, filters ignored, every alias', async (t) => {
  const api = await startApi(t, { sets: WITH_NOOP })
  const expected = [
    { name: 'amphora', description: 'The Octavia Amphora driver.' },
    { name: 'octavia', description: 'Deprecated alias of the Octavia Amphora driver.' },
    { name: 'noop_driver', description: 'The noop driver.' },
  ]
  for (const url of ['/v2/lbaas/providers', '/v2.0/lbaas/providers', '/v2/providers', '/v2.0/providers.json', '/v2/lbaas/providers/']) {
    assert.deepEqual(await call(api, 'GET', url), { status: 200, body: { providers: expected } }, url)
  }
  assert.deepEqual((await call(api, 'GET', '/v2/lbaas/providers?name=amphora&limit=1&fields=name')).body, { providers: expected.map(({ name }) => ({ name })) })
  assert.equal((await call(api, 'POST', '/v2/lbaas/providers', { provider: {} })).status, 405)

  const defaults = await startApi(t)
  assert.deepEqual((await call(defaults, 'GET', '/v2/lbaas/providers')).body, { providers: expected.slice(0, 2) })
})

test('capabilities: the amphora and noop lists, octavia as amphora; name and description filters; fields; 400 and 501', async (t) => {
  const api = await startApi(t, { sets: [`${WITH_NOOP[0]!.slice(0, -1)}, mystery: "Not installed."}`] })
  const flavor = (provider: string, query = '') => ok(api, 'GET', `/v2/lbaas/providers/${provider}/flavor_capabilities${query}`, 'flavor_capabilities')
  const zone = (provider: string, query = '') => ok(api, 'GET', `/v2/lbaas/providers/${provider}/availability_zone_capabilities${query}`, 'availability_zone_capabilities')
  assert.deepEqual(await flavor('amphora'), AMPHORA_FLAVOR)
  assert.deepEqual(await flavor('octavia'), AMPHORA_FLAVOR)
  assert.deepEqual(await zone('amphora'), AMPHORA_ZONE)
  assert.deepEqual(await flavor('noop_driver'), [{ name: 'amp_image_tag', description: 'The glance image tag to use for this load balancer.' }])
  assert.deepEqual(await zone('noop_driver'), [
    { name: 'compute_zone', description: 'The compute availability zone to use for this loadbalancer.' },
    { name: 'volume_zone', description: 'The volume availability zone to use for this loadbalancer.' },
  ])
  const whole = await call(api, 'GET', '/v2/providers/amphora/flavor_capabilities')
  assert.deepEqual(Object.keys(whole.body), ['flavor_capabilities'])
  assert.deepEqual(await flavor('amphora', '?name=sriov_vip'), [AMPHORA_FLAVOR[3]])
  assert.deepEqual(await flavor('amphora', `?description=${encodeURIComponent('The amphora image tag.')}`), [AMPHORA_FLAVOR[2]])
  assert.deepEqual(await flavor('amphora', '?name=sriov_vip&description=other'), [])
  assert.deepEqual(await zone('amphora', '?name=&sort=name:desc&colour=blue&fields=name'), AMPHORA_ZONE.map(({ name }) => ({ name })))
  assert.deepEqual(await refused(api, 'GET', '/v2/lbaas/providers/bogus/flavor_capabilities'), [400, "Provider 'bogus' is not enabled."])
  assert.deepEqual(await refused(api, 'GET', '/v2/lbaas/providers/mystery/availability_zone_capabilities'), [501, "Provider 'mystery' was not found."])
  assert.equal((await call(api, 'GET', '/v2/lbaas/providers/amphora/colours')).status, 404)
})

/** An Access that records every decision and refuses all of them while `refuse` is set. */
function recordingAccess(): { access: Access; calls: Array<[string, string | null]>; refuse: boolean } {
  const state = {
    calls: [] as Array<[string, string | null]>,
    refuse: false,
    access: {
      enforce(_req: FastifyRequest, action: string, target: string | null) {
        state.calls.push([action, target])
        if (state.refuse) throw new Forbidden()
      },
      allows: () => true,
      listScope: () => null,
    } satisfies Access,
  }
  return state
}

test('policies: each catalogue call checks its rbac.md §3 rule against the caller\'s project, before any lookup', async (t) => {
  const api = await startApi(t, { sets: WITH_NOOP })
  const recorder = recordingAccess()
  api.deps.access = recorder.access
  const as = async (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown) => {
    const res = await api.app.inject({ method, url, headers: { 'x-project-id': 'tenant-1' }, ...(payload !== undefined && { payload: payload as object }) })
    return { status: res.statusCode, body: res.body === '' ? {} : res.json() as Json }
  }
  const fp = (await as('POST', '/v2/lbaas/flavorprofiles', { flavorprofile: { name: 'p', provider_name: 'noop_driver', flavor_data: '{}' } })).body.flavorprofile as Json
  const azp = (await as('POST', '/v2/lbaas/availabilityzoneprofiles', { availability_zone_profile: { name: 'p', provider_name: 'noop_driver', availability_zone_data: '{}' } })).body.availability_zone_profile as Json
  const unknown = '6f2c1d1e-8a7b-4c1d-9e0f-123456789abc'
  const calls: Array<[string, 'GET' | 'POST' | 'PUT' | 'DELETE', string, unknown?]> = [
    ['provider:get_all', 'GET', '/v2/lbaas/providers'],
    ['provider-flavor:get_all', 'GET', '/v2/lbaas/providers/bogus/flavor_capabilities'],
    ['provider-availability-zone:get_all', 'GET', '/v2/lbaas/providers/bogus/availability_zone_capabilities'],
    ['flavor:get_all', 'GET', '/v2/lbaas/flavors?bogus=1'],
    ['flavor:get_one', 'GET', `/v2/lbaas/flavors/${unknown}`],
    ['flavor:post', 'POST', '/v2/lbaas/flavors', { flavor: { name: 'f', flavor_profile_id: unknown } }],
    ['flavor:put', 'PUT', `/v2/lbaas/flavors/${unknown}`, { flavor: {} }],
    ['flavor:delete', 'DELETE', `/v2/lbaas/flavors/${unknown}`],
    ['flavor-profile:get_all', 'GET', '/v2/lbaas/flavorprofiles'],
    ['flavor-profile:get_one', 'GET', `/v2/lbaas/flavorprofiles/${unknown}`],
    ['flavor-profile:post', 'POST', '/v2/lbaas/flavorprofiles', { flavorprofile: { name: 'p', provider_name: 'bogus', flavor_data: 'not json' } }],
    ['flavor-profile:put', 'PUT', `/v2/lbaas/flavorprofiles/${String(fp.id)}`, { flavorprofile: { name: null } }],
    ['flavor-profile:delete', 'DELETE', `/v2/lbaas/flavorprofiles/${unknown}`],
    ['availability-zone:get_all', 'GET', '/v2/lbaas/availabilityzones'],
    ['availability-zone:get_one', 'GET', '/v2/lbaas/availabilityzones/nowhere'],
    ['availability-zone:post', 'POST', '/v2/lbaas/availabilityzones', { availability_zone: { name: 'z', availability_zone_profile_id: unknown } }],
    ['availability-zone:put', 'PUT', '/v2/lbaas/availabilityzones/nowhere', { availability_zone: {} }],
    ['availability-zone:delete', 'DELETE', '/v2/lbaas/availabilityzones/nowhere'],
    ['availability-zone-profile:get_all', 'GET', '/v2/lbaas/availabilityzoneprofiles'],
    ['availability-zone-profile:get_one', 'GET', `/v2/lbaas/availabilityzoneprofiles/${unknown}`],
    ['availability-zone-profile:post', 'POST', '/v2/lbaas/availabilityzoneprofiles', { availability_zone_profile: { name: 'p', provider_name: 'x', availability_zone_data: '{' } }],
    ['availability-zone-profile:put', 'PUT', `/v2/lbaas/availabilityzoneprofiles/${String(azp.id)}`, { availability_zone_profile: { availability_zone_data: '{' } }],
    ['availability-zone-profile:delete', 'DELETE', `/v2/lbaas/availabilityzoneprofiles/${String(azp.id)}`],
  ]
  recorder.refuse = true
  for (const [policy, method, url, payload] of calls) {
    recorder.calls.length = 0
    const answer = await as(method, url, payload)
    // Refused before the lookup (404), the provider (400/501), the handler's own checks (400) or the write.
    assert.deepEqual([answer.status, answer.body.faultstring], [403, 'Policy does not allow this request to be performed.'], `${method} ${url}`)
    assert.deepEqual(recorder.calls, [[policy, 'tenant-1']], `${method} ${url}`)
  }
  // The body's own types are checked first (spec/api-v2.md §6.6 step 1).
  assert.equal((await as('POST', '/v2/lbaas/flavors', { flavor: { name: 5 } })).status, 400)
  assert.equal((await as('PUT', '/v2/lbaas/availabilityzones/nowhere', { availability_zone: { name: 'x' } })).status, 400)
  recorder.refuse = false
  assert.equal((await as('GET', `/v2/lbaas/flavorprofiles/${String(fp.id)}`)).status, 200)
  assert.equal((await as('DELETE', `/v2/lbaas/availabilityzoneprofiles/${String(azp.id)}`)).status, 204)
})
