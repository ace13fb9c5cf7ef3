import { formatIp, parseIp, type IpAddress, type IpFamily } from '../../config/ip-address.ts'
import { ok, rejected, scalar, type FieldType } from './field-type.ts'

const BITS: Record<IpFamily, number> = { 4: 32, 6: 128 }

/**
 * Octavia's IPAddressType: an IPv4 or IPv6 address, returned as sent (spec/api-v2.md §11.1:
 * member addresses are stored as given; compare with normaliseIp). Scoped IPv6 addresses
 * (`fe80::1%eth0`) are refused: a zone means nothing to a remote amphora.
 */
export function ipAddress(): FieldType<string> {
  return scalar('ipaddress', (value) =>
    typeof value === 'string' && parseIp(value) !== null ? ok(value) : rejected('Value should be IPv4 or IPv6 format'))
}

/** The compact form of a valid address (`2001:DB8:0:0::1` → `2001:db8::1`). */
export function normaliseIp(text: string): string {
  const address = parseIp(text)
  if (address === null) throw new TypeError(`not an IP address: ${text}`)
  return formatIp(address)
}

/**
 * Octavia's CidrType, as netaddr.IPNetwork accepts it: `addr/prefix`, a bare address (a host
 * network), or for IPv4 `addr/netmask` and `addr/hostmask`. Host bits may be set; the value is
 * returned as sent (normaliseCidr gives the network).
 */
export function cidr(): FieldType<string> {
  return scalar('cidr', (value) =>
    typeof value === 'string' && parseNetwork(value) !== null ? ok(value) : rejected('Value should be IPv4 or IPv6 CIDR format'))
}

/** The network of a valid CIDR, as upstream stores it: `192.0.2.5/24` → `192.0.2.0/24`, `192.0.2.5` → `192.0.2.5/32`. */
export function normaliseCidr(text: string): string {
  const network = parseNetwork(text)
  if (network === null) throw new TypeError(`not a CIDR: ${text}`)
  const hostBits = BigInt(BITS[network.address.family] - network.prefix)
  const first = (network.address.value >> hostBits) << hostBits
  return `${formatIp({ family: network.address.family, value: first })}/${network.prefix}`
}

function parseNetwork(text: string): { address: IpAddress; prefix: number } | null {
  const slash = text.indexOf('/')
  const address = parseIp(slash < 0 ? text : text.slice(0, slash))
  if (address === null) return null
  const bits = BITS[address.family]
  if (slash < 0) return { address, prefix: bits }
  const suffix = text.slice(slash + 1)
  if (/^[0-9]+$/.test(suffix)) {
    const prefix = Number(suffix)
    return prefix <= bits ? { address, prefix } : null
  }
  const mask = address.family === 4 ? parseIp(suffix) : null
  if (mask === null || mask.family !== 4) return null
  const ones = mask.value.toString(2).padStart(32, '0')
  if (/^1*0*$/.test(ones)) return { address, prefix: ones.indexOf('0') < 0 ? 32 : ones.indexOf('0') }
  if (/^0*1*$/.test(ones)) return { address, prefix: ones.indexOf('1') < 0 ? 32 : ones.indexOf('1') }
  return null
}
