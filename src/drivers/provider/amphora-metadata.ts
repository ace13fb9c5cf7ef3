import type { MetadataSchema } from './metadata-schema.ts'

// The metadata the amphora provider understands (spec/api-v2.md §7), in its capability order.

export const AMPHORA_FLAVOR_SCHEMA: MetadataSchema = {
  loadbalancer_topology: {
    type: 'string',
    description: 'The load balancer topology. One of: SINGLE - One amphora per load balancer. ACTIVE_STANDBY - Two amphora per load balancer.',
    enum: ['ACTIVE_STANDBY', 'SINGLE'],
  },
  compute_flavor: { type: 'string', description: 'The compute driver flavor ID.' },
  amp_image_tag: { type: 'string', description: 'The amphora image tag.' },
  sriov_vip: { type: 'boolean', description: 'When true, the VIP port will be created using an SR-IOV VF port.' },
  allow_member_sriov: {
    type: 'boolean',
    description: 'When true, users can request a member port be SR-IOV enabled at member creation time.',
  },
}

export const AMPHORA_AVAILABILITY_ZONE_SCHEMA: MetadataSchema = {
  compute_zone: { type: 'string', description: 'The compute availability zone.' },
  volume_zone: { type: 'string', description: 'The volume availability zone.' },
  management_network: { type: 'string', description: 'The management network ID for the amphora.' },
  valid_vip_networks: {
    type: 'array',
    description: 'List of network IDs that are allowed for VIP use. This overrides/replaces the list of allowed networks configured in `octavia.conf`.',
  },
}
