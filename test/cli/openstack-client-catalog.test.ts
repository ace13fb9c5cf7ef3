import { test } from 'node:test'
import assert from 'node:assert/strict'
import { DEFAULT_SUBNET_ID } from '../../src/config/defaults.ts'
import { openstack, openstackJson } from '../helpers/openstack-client.ts'
import { scratchDir, startOctavia } from '../helpers/run-octavia.ts'

// The real `openstack loadbalancer` client (python3-octaviaclient 3.1) on providers, flavor
// profiles, flavors, availability zone profiles and availability zones, and a load balancer
// created with --flavor and --availability-zone, against one `octavia up` with noop_driver
// enabled next to the default providers. `set`, `unset` and `delete` print nothing, so their
// effect is read back; independent calls run in parallel to keep the file short.

type Json = Record<string, unknown>

const PROVIDERS = '{amphora: "The Octavia Amphora driver.", octavia: "Deprecated alias of the Octavia Amphora driver.", noop_driver: "The noop driver."}'

test('openstack loadbalancer provider/flavorprofile/flavor/availabilityzoneprofile/availabilityzone commands and create --flavor --availability-zone', async (t) => {
  const service = startOctavia(t, ['--set', 'octavia.api.bind.port=0', '--set', 'octavia.api.metrics.port=0',
    '--set', `octavia.api_settings.enabled_provider_drivers=${PROVIDERS}`, 'up'], { cwd: scratchDir(t) })
  const port = (await service.waitForLog((l) => l.msg === 'api listening')).port
  const endpoint = `http://127.0.0.1:${String(port)}`
  const cli = (args: string[]) => openstackJson(endpoint, ['loadbalancer', ...args])
  const cliList = (args: string[]) => openstackJson<Json[]>(endpoint, ['loadbalancer', ...args])
  const run = async (args: string[]) => {
    const res = await openstack(endpoint, ['loadbalancer', ...args])
    assert.equal(res.code, 0, `openstack loadbalancer ${args.join(' ')}: ${res.stderr}`)
  }
  const get = async (path: string, key: string): Promise<Json> => {
    const res = await fetch(`${endpoint}/v2/lbaas/${path}`)
    assert.equal(res.status, 200, path)
    return ((await res.json()) as Record<string, Json>)[key]!
  }

  // Providers and what they understand; two profiles, one per provider.
  const [providers, capabilities, zoneCapabilities, amphoraProfile, noopProfile, zoneProfile] = await Promise.all([
    cliList(['provider', 'list']),
    cliList(['provider', 'capability', 'list', 'amphora']),
    cliList(['provider', 'capability', 'list', '--availability-zone', 'noop_driver']),
    cli(['flavorprofile', 'create', '--name', 'amp-single', '--provider', 'amphora', '--flavor-data', '{"loadbalancer_topology": "SINGLE"}']),
    cli(['flavorprofile', 'create', '--name', 'noop-standby', '--provider', 'noop_driver', '--flavor-data', '{"loadbalancer_topology": "ACTIVE_STANDBY"}']),
    cli(['availabilityzoneprofile', 'create', '--name', 'rack-profile', '--provider', 'noop_driver', '--availability-zone-data', '{"compute_zone": "rack1"}']),
  ])
  assert.deepEqual(providers, [
    { name: 'amphora', description: 'The Octavia Amphora driver.' },
    { name: 'octavia', description: 'Deprecated alias of the Octavia Amphora driver.' },
    { name: 'noop_driver', description: 'The noop driver.' },
  ])
  assert.deepEqual(capabilities.map((c) => [c.type, c.name]), [
    ['flavor', 'loadbalancer_topology'], ['flavor', 'compute_flavor'], ['flavor', 'amp_image_tag'], ['flavor', 'sriov_vip'], ['flavor', 'allow_member_sriov'],
    ['availability_zone', 'compute_zone'], ['availability_zone', 'volume_zone'], ['availability_zone', 'management_network'], ['availability_zone', 'valid_vip_networks'],
  ])
  assert.equal(capabilities[2]!.description, 'The amphora image tag.')
  assert.deepEqual(zoneCapabilities.map((c) => [c.type, c.name]), [['availability_zone', 'compute_zone'], ['availability_zone', 'volume_zone']])
  assert.deepEqual([amphoraProfile.name, amphoraProfile.provider_name, amphoraProfile.flavor_data], ['amp-single', 'amphora', '{"loadbalancer_topology": "SINGLE"}'])
  assert.deepEqual([noopProfile.provider_name, zoneProfile.provider_name, zoneProfile.availability_zone_data], ['noop_driver', 'noop_driver', '{"compute_zone": "rack1"}'])

  // The amphora provider refuses what its schema does not know; the client shows the 501's message.
  const rejected = await openstack(endpoint, ['loadbalancer', 'flavorprofile', 'create', '--name', 'bad', '--provider', 'amphora', '--flavor-data', '{"colour": "red"}'])
  assert.notEqual(rejected.code, 0)
  assert.match(rejected.stderr, /Provider 'amphora' does not support a requested option: Additional properties are not allowed \('colour' was unexpected\)/)

  // Profiles by name; flavors and a zone on them.
  await Promise.all([
    run(['flavorprofile', 'set', '--name', 'amp-default', '--flavor-data', '{}', 'amp-single']),
    // Client 3.1 drops its own --availabilityzone-data (it maps a differently spelled option), so only the name changes.
    run(['availabilityzoneprofile', 'set', '--name', 'rack-zone', '--availabilityzone-data', '{"compute_zone": "rack2"}', 'rack-profile']),
  ])
  const [gold, zone] = await Promise.all([
    cli(['flavor', 'create', '--name', 'gold', '--flavorprofile', 'noop-standby', '--description', 'two of everything', '--enable']),
    cli(['availabilityzone', 'create', '--name', 'rack', '--availabilityzoneprofile', 'rack-zone', '--description', 'the lab rack']),
  ])
  assert.deepEqual([gold.name, gold.flavor_profile_id, gold.enabled, gold.description], ['gold', noopProfile.id, true, 'two of everything'])
  assert.deepEqual(zone, { name: 'rack', availability_zone_profile_id: zoneProfile.id, enabled: true, description: 'the lab rack' })
  const [profiles, profileShown, zoneProfiles, zoneProfileShown, flavors, flavorShown, zones, zoneShown] = await Promise.all([
    cliList(['flavorprofile', 'list']),
    cli(['flavorprofile', 'show', 'amp-default']),
    cliList(['availabilityzoneprofile', 'list']),
    cli(['availabilityzoneprofile', 'show', 'rack-zone']),
    cliList(['flavor', 'list']),
    cli(['flavor', 'show', 'gold']),
    cliList(['availabilityzone', 'list']),
    cli(['availabilityzone', 'show', 'rack']),
  ])
  assert.deepEqual(profiles.map((p) => [p.id, p.name, p.provider_name]).sort(), [
    [amphoraProfile.id, 'amp-default', 'amphora'], [noopProfile.id, 'noop-standby', 'noop_driver'],
  ].sort())
  assert.deepEqual(profileShown, { id: amphoraProfile.id, name: 'amp-default', provider_name: 'amphora', flavor_data: '{}' })
  assert.deepEqual(zoneProfiles, [{ id: zoneProfile.id, name: 'rack-zone', provider_name: 'noop_driver' }])
  assert.deepEqual(zoneProfileShown, { ...zoneProfile, name: 'rack-zone' })
  assert.deepEqual(flavors, [{ id: gold.id, name: 'gold', flavor_profile_id: noopProfile.id, enabled: true }])
  assert.deepEqual(flavorShown, gold)
  assert.deepEqual(zones, [{ name: 'rack', availability_zone_profile_id: zoneProfile.id, enabled: true }])
  assert.deepEqual(zoneShown, zone)

  await Promise.all([
    run(['flavor', 'set', '--name', 'platinum', '--disable', 'gold']),
    run(['availabilityzone', 'set', '--description', 'rack one', '--disable', 'rack']),
  ])
  assert.deepEqual([(await get(`flavors/${String(gold.id)}`, 'flavor')).name, (await get('availabilityzones/rack', 'availability_zone')).description], ['platinum', 'rack one'])
  // Disabled: not for new load balancers.
  const refusedCreate = await openstack(endpoint, ['loadbalancer', 'create', '--vip-subnet-id', DEFAULT_SUBNET_ID, '--flavor', 'platinum'])
  assert.notEqual(refusedCreate.code, 0)
  assert.match(refusedCreate.stderr, /The selected flavor is not allowed in this deployment/)
  await Promise.all([
    run(['flavor', 'unset', '--description', 'platinum']),
    run(['flavor', 'set', '--enable', 'platinum']),
    run(['availabilityzone', 'unset', '--description', 'rack']),
    run(['availabilityzone', 'set', '--enable', 'rack']),
  ])
  const [flavorNow, zoneNow] = await Promise.all([get(`flavors/${String(gold.id)}`, 'flavor'), get('availabilityzones/rack', 'availability_zone')])
  assert.deepEqual([flavorNow.description, flavorNow.enabled, zoneNow.description, zoneNow.enabled], ['', true, '', true])

  // A load balancer on the flavor's provider, in the zone.
  const lb = await cli(['create', '--name', 'lb-flavored', '--vip-subnet-id', DEFAULT_SUBNET_ID, '--flavor', 'platinum', '--availability-zone', 'rack', '--wait'])
  assert.deepEqual([lb.provider, lb.flavor_id, lb.availability_zone, lb.provisioning_status], ['noop_driver', gold.id, 'rack', 'ACTIVE'])
  const busy = await openstack(endpoint, ['loadbalancer', 'flavor', 'delete', 'platinum'])
  assert.notEqual(busy.code, 0)
  assert.match(busy.stderr, /is in use and cannot be modified/)

  // Deletes: the load balancer, then what it used, then the profiles.
  await run(['delete', '--wait', String(lb.id)])
  await Promise.all([run(['flavor', 'delete', 'platinum']), run(['availabilityzone', 'delete', 'rack'])])
  await Promise.all([
    run(['flavorprofile', 'delete', 'noop-standby']),
    run(['flavorprofile', 'delete', 'amp-default']),
    run(['availabilityzoneprofile', 'delete', 'rack-zone']),
  ])
  const [noFlavors, noProfiles, noZones] = await Promise.all([cliList(['flavor', 'list']), cliList(['flavorprofile', 'list']), cliList(['availabilityzone', 'list'])])
  assert.deepEqual([noFlavors, noProfiles, noZones], [[], [], []])
  assert.equal(await service.stop(), 0)
})
