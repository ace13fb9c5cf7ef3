// Octavia's status vocabularies (spec/api-v2.md §6.1). Literal unions, never bare strings.

export const PROVISIONING_STATUSES = [
  'ACTIVE', 'DELETED', 'ERROR', 'PENDING_CREATE', 'PENDING_UPDATE', 'PENDING_DELETE',
  // amphora-only values
  'BOOTING', 'ALLOCATED', 'READY', 'FAILOVER_STOPPED',
] as const
export type ProvisioningStatus = (typeof PROVISIONING_STATUSES)[number]

export const PENDING_STATUSES = ['PENDING_CREATE', 'PENDING_UPDATE', 'PENDING_DELETE'] as const
export type PendingStatus = (typeof PENDING_STATUSES)[number]

export const OPERATING_STATUSES = ['ONLINE', 'DRAINING', 'OFFLINE', 'DEGRADED', 'ERROR', 'NO_MONITOR'] as const
export type OperatingStatus = (typeof OPERATING_STATUSES)[number]

export function isPending(status: string): status is PendingStatus {
  return (PENDING_STATUSES as readonly string[]).includes(status)
}
