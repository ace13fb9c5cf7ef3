import type { ProviderCapability } from './metadata-schema.ts'

// What the noop provider lists as its metadata (spec/api-v2.md §7); it accepts any metadata.

export const NOOP_FLAVOR_CAPABILITIES: readonly ProviderCapability[] = [
  { name: 'amp_image_tag', description: 'The glance image tag to use for this load balancer.' },
]

export const NOOP_AVAILABILITY_ZONE_CAPABILITIES: readonly ProviderCapability[] = [
  { name: 'compute_zone', description: 'The compute availability zone to use for this loadbalancer.' },
  { name: 'volume_zone', description: 'The volume availability zone to use for this loadbalancer.' },
]
