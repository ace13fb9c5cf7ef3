import { ProviderError } from '../../common/errors.ts'
import { AMPHORA_AVAILABILITY_ZONE_SCHEMA, AMPHORA_FLAVOR_SCHEMA } from './amphora-metadata.ts'
import { capabilitiesOf, metadataProblem, type MetadataSchema } from './metadata-schema.ts'
import type { ProviderDriver } from './provider-driver.ts'

/** spec/api-v2.md §4.4: the amphora provider refusing an option. */
function unsupportedOption(message: string): ProviderError {
  return new ProviderError(`Provider 'amphora' does not support a requested option: ${message}`, 501)
}

function checkMetadata(schema: MetadataSchema, metadata: unknown): void {
  const problem = metadataProblem(schema, metadata)
  if (problem !== undefined) throw unsupportedOption(problem)
}

/**
 * What our amphora data plane cannot build yet (a deviation listed in the README): refused when
 * the object is created, with a 501 naming the option, rather than accepted for a flow that could
 * not realise it. The noop provider accepts them all.
 */
function refuseUnbuilt(value: string, unbuilt: readonly string[], what: string): void {
  if (unbuilt.includes(value)) throw unsupportedOption(`Amphora provider does not support ${what.replace('%s', value)} yet.`)
}

const FLAVOR_CAPABILITIES = capabilitiesOf(AMPHORA_FLAVOR_SCHEMA)
const AVAILABILITY_ZONE_CAPABILITIES = capabilitiesOf(AMPHORA_AVAILABILITY_ZONE_SCHEMA)

/**
 * The amphora provider's API-time restrictions (spec/api-v2.md §7). Its data-plane flows arrive
 * with the amphora provider issue; until then its jobs complete as the noop provider's do.
 */
export const amphoraProvider: ProviderDriver = {
  driver: 'amphora',
  checkPoolAlgorithm: (algorithm) => {
    if (algorithm === 'SOURCE_IP_PORT') throw unsupportedOption('Amphora provider does not support SOURCE_IP_PORT algorithm.')
  },
  checkTopology: (topology) => refuseUnbuilt(topology, ['ACTIVE_STANDBY'], 'the %s loadbalancer_topology'),
  checkListenerProtocol: (protocol) => refuseUnbuilt(protocol, ['TERMINATED_HTTPS', 'UDP', 'SCTP'], '%s listeners'),
  checkPoolProtocol: (protocol) => refuseUnbuilt(protocol, ['UDP', 'SCTP'], '%s pools'),
  checkHealthMonitorType: (type) => refuseUnbuilt(type, ['UDP-CONNECT', 'SCTP'], '%s health monitors'),
  flavorCapabilities: () => FLAVOR_CAPABILITIES,
  availabilityZoneCapabilities: () => AVAILABILITY_ZONE_CAPABILITIES,
  validateFlavor: (metadata) => checkMetadata(AMPHORA_FLAVOR_SCHEMA, metadata),
  validateAvailabilityZone: (metadata) => checkMetadata(AMPHORA_AVAILABILITY_ZONE_SCHEMA, metadata),
  // HAProxy matches L7 rules in HTTP mode only (spec/api-v2.md §7).
  checkL7PolicyListener: (protocol) => {
    if (protocol !== 'HTTP' && protocol !== 'TERMINATED_HTTPS') throw unsupportedOption(`${protocol} protocol listeners do not support L7 policies`)
  },
}
