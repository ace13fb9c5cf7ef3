import { NOOP_AVAILABILITY_ZONE_CAPABILITIES, NOOP_FLAVOR_CAPABILITIES } from './noop-metadata.ts'
import type { ProviderDriver } from './provider-driver.ts'

/**
 * The test provider: accepts everything. Unlike upstream's, whose objects stay PENDING_* for ever,
 * its jobs complete through the same worker path the amphora provider uses.
 */
export const noopProvider: ProviderDriver = {
  driver: 'noop_driver',
  checkPoolAlgorithm: () => {},
  checkTopology: () => {},
  checkListenerProtocol: () => {},
  checkPoolProtocol: () => {},
  checkHealthMonitorType: () => {},
  flavorCapabilities: () => NOOP_FLAVOR_CAPABILITIES,
  availabilityZoneCapabilities: () => NOOP_AVAILABILITY_ZONE_CAPABILITIES,
  validateFlavor: () => {},
  validateAvailabilityZone: () => {},
  checkL7PolicyListener: () => {},
}
