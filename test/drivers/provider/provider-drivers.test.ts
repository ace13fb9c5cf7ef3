import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ProviderError } from '../../../src/common/errors.ts'
import { amphoraProvider } from '../../../src/drivers/provider/amphora-provider.ts'
import { noopProvider } from '../../../src/drivers/provider/noop-provider.ts'
import { ProviderRegistry } from '../../../src/drivers/provider/provider-registry.ts'
import type { ProviderDriver } from '../../../src/drivers/provider/provider-driver.ts'

// The provider contract every implementation passes, then each driver's own metadata rules
// (spec/api-v2.md §7).

const DRIVERS: readonly ProviderDriver[] = [amphoraProvider, noopProvider]

function refusal(fn: () => void): { status: number; message: string } {
  try {
    fn()
  } catch (err) {
    assert.ok(err instanceof ProviderError, String(err))
    return { status: err.status, message: err.message }
  }
  assert.fail('expected a refusal')
}

for (const driver of DRIVERS) {
  test(`${driver.driver}: lists named, described capabilities and accepts empty metadata and each capability's own kind of value`, () => {
    for (const list of [driver.flavorCapabilities(), driver.availabilityZoneCapabilities()]) {
      assert.ok(list.length > 0)
      for (const capability of list) {
        assert.deepEqual(Object.keys(capability), ['name', 'description'])
        assert.ok(capability.name !== '' && capability.description !== '')
      }
      assert.equal(new Set(list.map((c) => c.name)).size, list.length)
    }
    driver.validateFlavor({})
    driver.validateAvailabilityZone({})
    driver.validateFlavor({ amp_image_tag: 'blue' })
    driver.validateAvailabilityZone({ compute_zone: 'az1', volume_zone: 'az1' })
  })
}

for (const driver of DRIVERS) {
  test(`${driver.driver}: serves the SINGLE topology and the HTTP/TCP family's listeners, pools and monitors`, () => {
    driver.checkTopology('SINGLE')
    for (const protocol of ['HTTP', 'HTTPS', 'TCP', 'PROMETHEUS']) driver.checkListenerProtocol(protocol)
    for (const protocol of ['HTTP', 'HTTPS', 'TCP', 'PROXY', 'PROXYV2']) driver.checkPoolProtocol(protocol)
    for (const type of ['HTTP', 'HTTPS', 'PING', 'TCP', 'TLS-HELLO']) driver.checkHealthMonitorType(type)
  })
}

test('amphora: 501 naming each option its data plane cannot build yet; noop accepts them all', () => {
  const prefix = "Provider 'amphora' does not support a requested option: Amphora provider does not support "
  const cases: Array<[(driver: ProviderDriver) => void, string]> = [
    [(d) => d.checkTopology('ACTIVE_STANDBY'), 'the ACTIVE_STANDBY loadbalancer_topology yet.'],
    [(d) => d.checkListenerProtocol('TERMINATED_HTTPS'), 'TERMINATED_HTTPS listeners yet.'],
    [(d) => d.checkListenerProtocol('UDP'), 'UDP listeners yet.'],
    [(d) => d.checkListenerProtocol('SCTP'), 'SCTP listeners yet.'],
    [(d) => d.checkPoolProtocol('UDP'), 'UDP pools yet.'],
    [(d) => d.checkPoolProtocol('SCTP'), 'SCTP pools yet.'],
    [(d) => d.checkHealthMonitorType('UDP-CONNECT'), 'UDP-CONNECT health monitors yet.'],
    [(d) => d.checkHealthMonitorType('SCTP'), 'SCTP health monitors yet.'],
  ]
  for (const [check, message] of cases) {
    assert.deepEqual(refusal(() => check(amphoraProvider)), { status: 501, message: prefix + message })
    check(noopProvider)
  }
})

test('amphora: its capability lists, in the order and words of spec/api-v2.md §7', () => {
  assert.deepEqual(amphoraProvider.flavorCapabilities().map((c) => c.name),
    ['loadbalancer_topology', 'compute_flavor', 'amp_image_tag', 'sriov_vip', 'allow_member_sriov'])
  assert.equal(amphoraProvider.flavorCapabilities()[0]!.description,
    'The load balancer topology. One of: SINGLE - One amphora per load balancer. ACTIVE_STANDBY - Two amphora per load balancer.')
  assert.deepEqual(amphoraProvider.availabilityZoneCapabilities().map((c) => c.name),
    ['compute_zone', 'volume_zone', 'management_network', 'valid_vip_networks'])
  assert.equal(amphoraProvider.availabilityZoneCapabilities()[3]!.description,
    'List of network IDs that are allowed for VIP use. This overrides/replaces the list of allowed networks configured in `octavia.conf`.')
})

test('amphora: flavor metadata outside its schema is refused with 501 and jsonschema\'s message', () => {
  const prefix = "Provider 'amphora' does not support a requested option: "
  const cases: Array<[unknown, string]> = [
    [{ foo: 1 }, "Additional properties are not allowed ('foo' was unexpected)"],
    [{ zz: 1, aa: 2, compute_flavor: 'x' }, "Additional properties are not allowed ('aa', 'zz' were unexpected)"],
    [{ loadbalancer_topology: 'X' }, "loadbalancer_topology 'X' is not one of ['ACTIVE_STANDBY', 'SINGLE']"],
    [{ loadbalancer_topology: 5 }, "loadbalancer_topology 5 is not of type 'string'"],
    [{ sriov_vip: 'yes' }, "sriov_vip 'yes' is not of type 'boolean'"],
    // The schema's order decides between two bad keys, not the request's.
    [{ allow_member_sriov: 1, compute_flavor: null }, "compute_flavor None is not of type 'string'"],
    [[1, 2], "[1, 2] is not of type 'object'"],
    [null, "None is not of type 'object'"],
  ]
  for (const [metadata, message] of cases) {
    assert.deepEqual(refusal(() => amphoraProvider.validateFlavor(metadata)), { status: 501, message: prefix + message })
  }
  amphoraProvider.validateFlavor({ loadbalancer_topology: 'SINGLE', compute_flavor: 'c1', amp_image_tag: 't', sriov_vip: false, allow_member_sriov: true })
})

test('amphora: availability zone metadata outside its schema is refused with 501', () => {
  const prefix = "Provider 'amphora' does not support a requested option: "
  assert.deepEqual(refusal(() => amphoraProvider.validateAvailabilityZone({ valid_vip_networks: 'net' })),
    { status: 501, message: `${prefix}valid_vip_networks 'net' is not of type 'array'` })
  assert.deepEqual(refusal(() => amphoraProvider.validateAvailabilityZone({ region: 'r' })),
    { status: 501, message: `${prefix}Additional properties are not allowed ('region' was unexpected)` })
  amphoraProvider.validateAvailabilityZone({ compute_zone: 'a', volume_zone: 'b', management_network: 'n', valid_vip_networks: ['n1'] })
})

test('noop: accepts any metadata, even what is not an object', () => {
  for (const metadata of [{ anything: [1] }, [1], 'text', null]) {
    noopProvider.validateFlavor(metadata)
    noopProvider.validateAvailabilityZone(metadata)
  }
})

test('registry: not enabled is 400, enabled but unknown is 501, octavia loads the amphora driver', () => {
  const registry = new ProviderRegistry({ amphora: 'A', octavia: 'O', mystery: 'M' }, 'amphora')
  assert.equal(registry.load('octavia'), amphoraProvider)
  assert.throws(() => registry.load('noop_driver'), { message: "Provider 'noop_driver' is not enabled." })
  assert.deepEqual(refusal(() => registry.load('mystery')), { status: 501, message: "Provider 'mystery' was not found." })
  assert.deepEqual(registry.list(), [{ name: 'amphora', description: 'A' }, { name: 'octavia', description: 'O' }, { name: 'mystery', description: 'M' }])
})
