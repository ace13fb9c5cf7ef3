import type { ProviderCapability } from './metadata-schema.ts'

export type { ProviderCapability }

/**
 * A provider driver: the back end that realises load balancers (spec/api-v2.md §7).
 * The API calls `check*` and `validate*` before it commits (a refusal rolls the change back);
 * the worker runs the job the API queued with the flow the driver names.
 */
export interface ProviderDriver {
  /** The implementation's own name ('amphora' serves both `amphora` and `octavia`). */
  readonly driver: string
  /** Throws ProviderError (501) for a pool algorithm the driver cannot serve. */
  checkPoolAlgorithm(algorithm: string): void
  /**
   * Throws ProviderError (501) for a load balancer topology (SINGLE, ACTIVE_STANDBY) it cannot
   * build. Called on load balancer create with the topology the LB gets: its flavor's
   * `loadbalancer_topology`, else `controller_worker.loadbalancer_topology`.
   */
  checkTopology(topology: string): void
  /** Throws ProviderError (501) for a listener protocol it cannot serve (listener and full-graph creates). */
  checkListenerProtocol(protocol: string): void
  /** Throws ProviderError (501) for a pool protocol it cannot serve (pool and full-graph creates). */
  checkPoolProtocol(protocol: string): void
  /** Throws ProviderError (501) for a health monitor type it cannot run (monitor and full-graph creates). */
  checkHealthMonitorType(type: string): void
  /** The flavor metadata keys it understands (spec/api-v2.md §16.1); ProviderError 501 when it has none. */
  flavorCapabilities(): readonly ProviderCapability[]
  /** The availability zone metadata keys it understands; ProviderError 501 when it has none. */
  availabilityZoneCapabilities(): readonly ProviderCapability[]
  /**
   * Throws ProviderError (501) for flavor metadata it cannot serve. Called with the parsed
   * `flavor_data` (any JSON value) on flavor profile create/update and again on each load
   * balancer create with that flavor (spec/api-v2.md §8.2 step 8, §16.3).
   */
  validateFlavor(metadata: unknown): void
  /** The same for `availability_zone_data` (spec/api-v2.md §8.2 step 8, §16.5). */
  validateAvailabilityZone(metadata: unknown): void
  /** Throws ProviderError (501) when the driver cannot apply L7 policies to a listener of this protocol. */
  checkL7PolicyListener(listenerProtocol: string): void
}
