import { isIPv4, isIPv6 } from 'node:net'

// Address arithmetic for validating subnets, gateways and allocation pools in the config.

export type IpFamily = 4 | 6

export interface IpAddress {
  readonly family: IpFamily
  readonly value: bigint
}

export interface IpNetwork {
  readonly family: IpFamily
  /** The network address (host bits zero). */
  readonly first: bigint
  readonly last: bigint
  readonly prefix: number
}

const BITS: Record<IpFamily, number> = { 4: 32, 6: 128 }

export function parseIp(text: string): IpAddress | null {
  if (isIPv4(text)) {
    return { family: 4, value: text.split('.').reduce((acc, octet) => (acc << 8n) | BigInt(Number(octet)), 0n) }
  }
  if (!isIPv6(text) || text.includes('%')) return null
  let head = text
  let tail4: bigint[] = []
  const lastColon = head.lastIndexOf(':')
  if (head.slice(lastColon + 1).includes('.')) {
    // An embedded IPv4 tail (::ffff:192.0.2.1) counts as two groups.
    const v4 = parseIp(head.slice(lastColon + 1))!.value
    tail4 = [v4 >> 16n, v4 & 0xffffn]
    head = head.slice(0, lastColon + 1) + '0:0'
  }
  const [left, right] = head.includes('::') ? head.split('::') : [head, undefined]
  const groups = (part: string | undefined): bigint[] => (part ? part.split(':').map((g) => BigInt(`0x${g}`)) : [])
  const l = groups(left)
  const r = groups(right)
  const all = right === undefined ? l : [...l, ...new Array<bigint>(8 - l.length - r.length).fill(0n), ...r]
  if (tail4.length > 0) all.splice(6, 2, ...tail4)
  return { family: 6, value: all.reduce((acc, g) => (acc << 16n) | g, 0n) }
}

export function formatIp(address: IpAddress): string {
  if (address.family === 4) {
    return [24n, 16n, 8n, 0n].map((shift) => String((address.value >> shift) & 0xffn)).join('.')
  }
  const groups = Array.from({ length: 8 }, (_, i) => Number((address.value >> BigInt(112 - 16 * i)) & 0xffffn))
  // RFC 5952: compress the longest run (of two or more) of zero groups.
  let bestStart = -1
  let bestLength = 1
  for (let i = 0; i < 8; ) {
    let j = i
    while (j < 8 && groups[j] === 0) j++
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i]
    i = j === i ? i + 1 : j
  }
  const hex = groups.map((g) => g.toString(16))
  if (bestStart < 0) return hex.join(':')
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`
}

export type CidrParse = { ok: true; network: IpNetwork } | { ok: false; reason: string }

/** `192.0.2.0/24`; host bits must be zero (the reason then names the network meant). */
export function parseCidr(text: string): CidrParse {
  const slash = text.indexOf('/')
  if (slash < 0) return { ok: false, reason: 'a CIDR needs a prefix length, such as /24' }
  const address = parseIp(text.slice(0, slash))
  const prefixText = text.slice(slash + 1)
  if (address === null || !/^\d{1,3}$/.test(prefixText)) return { ok: false, reason: 'not a CIDR' }
  const prefix = Number(prefixText)
  const bits = BITS[address.family]
  if (prefix > bits) return { ok: false, reason: `prefix length must be at most ${bits}` }
  const hostMask = (1n << BigInt(bits - prefix)) - 1n
  const first = address.value & ~hostMask
  if (first !== address.value) {
    return { ok: false, reason: `host bits are set; did you mean ${formatIp({ family: address.family, value: first })}/${prefix}?` }
  }
  return { ok: true, network: { family: address.family, first, last: first | hostMask, prefix } }
}

export function contains(network: IpNetwork, address: IpAddress): boolean {
  return network.family === address.family && address.value >= network.first && address.value <= network.last
}

export function overlaps(a: IpNetwork, b: IpNetwork): boolean {
  return a.family === b.family && a.first <= b.last && b.first <= a.last
}

export function isLoopback(address: IpAddress): boolean {
  return address.family === 4 ? address.value >> 24n === 127n : address.value === 1n
}

export function isWildcard(address: IpAddress): boolean {
  return address.value === 0n
}

/** `192.0.2.10:5555` or `[2001:db8::1]:5555` (a bare IPv6 address takes the port after its last colon). */
export function parseHostPort(text: string): { host: string; port: number } | null {
  const match = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^(.+):(\d+)$/.exec(text)
  if (!match) return null
  const host = match[1]!
  const port = Number(match[2])
  const validHost = parseIp(host) !== null || /^[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*$/.test(host)
  if (!validHost || port < 1 || port > 65535) return null
  return { host, port }
}

/** The inverse of parseHostPort: brackets IPv6 addresses. */
export function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`
}
