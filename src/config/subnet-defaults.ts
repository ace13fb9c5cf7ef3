import { createHash } from 'node:crypto'
import { DEFAULT_NETWORK_ID } from './defaults.ts'
import { contains, formatIp, parseCidr, parseIp, type IpAddress } from './ip-address.ts'

// Values a subnet in `networks` gets when the operator leaves them out.

/**
 * network_id of a subnet that names none: a name-based (v5) UUID of the subnet id, so it is the
 * same on every host and after every restart, and differs per subnet.
 */
export function networkIdFor(subnetId: string): string {
  const namespace = Buffer.from(DEFAULT_NETWORK_ID.replaceAll('-', ''), 'hex')
  const bytes = createHash('sha1').update(namespace).update(subnetId).digest().subarray(0, 16)
  bytes[6] = (bytes[6]! & 0x0f) | 0x50
  bytes[8] = (bytes[8]! & 0x3f) | 0x80
  const hex = bytes.toString('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

export interface AllocationPool {
  readonly start: string
  readonly end: string
}

/**
 * Neutron's default: every address of the subnet except the first and, for IPv4, the last (both
 * kept for /31, /32, /127, /128), and except the gateway, which splits the range.
 */
export function defaultAllocationPools(cidrText: string, gatewayIp: string | null): AllocationPool[] {
  const parsed = parseCidr(cidrText)
  if (!parsed.ok) return []
  const { family, first, last, prefix } = parsed.network
  // IPv6 keeps its last address but not its first (the subnet-router anycast address).
  const small = prefix >= (family === 4 ? 31 : 127)
  let ranges: [bigint, bigint][] = [[small ? first : first + 1n, small || family === 6 ? last : last - 1n]]
  const gateway = gatewayIp === null ? null : parseIp(gatewayIp)
  if (gateway !== null && contains(parsed.network, gateway)) {
    ranges = ranges.flatMap(([start, end]): [bigint, bigint][] =>
      gateway.value < start || gateway.value > end ? [[start, end]] : [[start, gateway.value - 1n], [gateway.value + 1n, end]])
  }
  const at = (value: bigint): string => formatIp({ family, value } satisfies IpAddress)
  return ranges.filter(([start, end]) => start <= end).map(([start, end]) => ({ start: at(start), end: at(end) }))
}
