import { InvalidInput } from '../../common/errors.ts'
import type { ProviderDriver } from '../../drivers/provider/provider-driver.ts'
import type { ApiDeps } from './api-deps.ts'

/** What a load balancer create asks of the catalogue (spec/api-v2.md §8.1). */
export interface ProviderRequest {
  provider?: string | null
  flavor_id?: string | null
  availability_zone?: string | null
}

/** The provider a new load balancer goes to, and what its flavor and availability zone impose. */
export interface ProviderChoice {
  provider: string
  driver: ProviderDriver
  /** The flavor's loadbalancer_topology, else the configured default. */
  topology: string
  /** `direct` when the flavor asks for an SR-IOV VIP (sriov_vip: true). */
  vnicType: 'normal' | 'direct'
}

const validation = (detail: string) => new InvalidInput(`Validation failure: ${detail}`)

/**
 * spec/api-v2.md §8.2 steps 4–6 and 8–10: the flavor (exists, enabled) and the availability zone
 * (exists by name, enabled); the provider (the flavor's, which a differently named one in the
 * request contradicts; else the request's; else the default) enabled and loadable; the flavor
 * and zone metadata accepted by that provider's driver; the VIP network among the zone's
 * `valid_vip_networks` when it lists some.
 */
export async function resolveProvider(deps: ApiDeps, request: ProviderRequest, vipNetworkId: string): Promise<ProviderChoice> {
  const flavor = request.flavor_id == null ? undefined : await deps.catalog.flavor(request.flavor_id)
  if (request.flavor_id != null) {
    if (!flavor) throw validation('Invalid flavor_id.')
    if (!flavor.enabled) throw new InvalidInput(`The selected flavor is not allowed in this deployment: ${request.flavor_id}`)
  }
  const zone = request.availability_zone == null ? undefined : await deps.catalog.availabilityZone(request.availability_zone)
  if (request.availability_zone != null) {
    if (!zone) throw validation('Invalid availability zone.')
    if (!zone.enabled) throw new InvalidInput(`The selected availability_zone is not allowed in this deployment: ${request.availability_zone}`)
  }
  if (flavor && request.provider != null && request.provider !== flavor.provider_name) {
    throw new InvalidInput(`Flavor '${flavor.id}' is not compatible with provider '${request.provider}'`)
  }
  const provider = flavor?.provider_name ?? request.provider ?? deps.providers.defaultName
  const driver = deps.providers.load(provider)
  // The profiles were validated when written; the provider may have changed its mind since.
  if (flavor) driver.validateFlavor(flavor.data)
  if (zone) driver.validateAvailabilityZone(zone.data)
  const allowed = zone?.data.valid_vip_networks
  if (Array.isArray(allowed) && !allowed.includes(vipNetworkId)) {
    throw validation('Supplied VIP network_id is not allowed by the configuration of this deployment.')
  }
  const topology = flavor?.data.loadbalancer_topology
  return {
    provider, driver,
    topology: typeof topology === 'string' ? topology : deps.config.controller_worker.loadbalancer_topology,
    vnicType: flavor?.data.sriov_vip === true ? 'direct' : 'normal',
  }
}
