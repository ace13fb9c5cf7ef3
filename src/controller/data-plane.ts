import type { HaproxySettings } from '../amphora/load-balancer-graph.ts'
import type { ComputeDriver } from '../drivers/compute/local-agent-compute.ts'

/** What the amphora provider's tasks need beyond the database: where amphorae run, and how they are configured. */
export interface DataPlane {
  compute: ComputeDriver
  /** [haproxy_amphora] options the HAProxy configuration depends on (the rest comes from each agent's details). */
  haproxy: Omit<HaproxySettings, 'max_connections' | 'ping_wrapper'>
  /** [controller_worker] amp_flavor_id and amp_image_tag, recorded on each amphora (agent-side profiles come later). */
  amp_flavor_id: string
  amp_image_tag: string
  /** [nova] availability_zone: the compute zone of a load balancer without an availability zone (spares are looked for there). */
  default_zone?: string | null
}
