// The JSON document inside a heartbeat (spec/heartbeat.md §3), every version the receiver must
// accept (§3.3). Shared by the agent (sender) and the health manager (receiver): no database here.

/** The version our agent sends: top-level pools, delta statistics. */
export const HEARTBEAT_VERSION = 3

/** One listener's counters (spec/heartbeat.md §3.1); deltas from version 3 on, absolute before. */
export interface HeartbeatListenerStats {
  tx: number
  rx: number
  conns: number
  totconns: number
  ereq: number
}

/** `pools[<pool_key>]` (spec/heartbeat.md §3.2): member id → status text (`UP`, `DOWN 1/2`, `no check`, ...). */
export interface HeartbeatPool {
  status: string
  members: Record<string, string>
}

export interface HeartbeatListener {
  /** `OPEN`, `FULL`; anything else is unknown to the receiver. */
  status: string
  /** Absent or unusable counters leave the listener out of the statistics, not out of health. */
  stats?: HeartbeatListenerStats
  /** Versions absent/0/1 only: the listener's pools, keyed `<pool_id>` or `<pool_id>:<listener_id>`. */
  pools?: Record<string, HeartbeatPool>
}

export interface HeartbeatDocument {
  /** The amphora's id. */
  id: string
  /** Sender sequence number: 0 at agent start, +1 per message. */
  seq?: number
  /** Absent on the oldest amphorae (spec/heartbeat.md §3.3). */
  ver?: number
  listeners: Record<string, HeartbeatListener>
  /** Versions 2 and 3: keyed `<pool_id>:<listener_id>` (HAProxy) or `<pool_id>` (LVS). */
  pools?: Record<string, HeartbeatPool>
}

/** The datagram was authentic (or legacy-authentic) but its document is not a heartbeat. */
export class MalformedHeartbeat extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'MalformedHeartbeat'
  }
}

/** For health processing an absent `ver` is 0 (spec/heartbeat.md §3.3). */
export function healthVersion(document: HeartbeatDocument): number {
  return document.ver ?? 0
}

/** For statistics an absent `ver` is 2: absolute counters (spec/heartbeat.md §3.3). */
export function statsVersion(document: HeartbeatDocument): number {
  return document.ver ?? 2
}

/** Whether the counters `tx`, `rx`, `totconns`, `ereq` are deltas since the previous heartbeat (version 3 on). */
export function hasDeltaStats(document: HeartbeatDocument): boolean {
  return statsVersion(document) >= 3
}

/**
 * The document's pools whatever its version: top-level `pools` from version 2 on, else the pools
 * nested in each reported listener. A key seen twice keeps its first occurrence (§3.2: the same
 * pool under two listeners is processed once).
 */
export function heartbeatPools(document: HeartbeatDocument): Map<string, HeartbeatPool> {
  const pools = new Map<string, HeartbeatPool>()
  const add = (from: Record<string, HeartbeatPool> | undefined) => {
    for (const key in from) if (!pools.has(key)) pools.set(key, from[key]!)
  }
  if (healthVersion(document) >= 2) add(document.pools)
  else for (const listener of Object.values(document.listeners)) add(listener.pools)
  return pools
}

/** A pool key's pool id: the key cut at its last `:`, or the whole key (spec/heartbeat.md §5.4). */
export function poolIdOfKey(key: string): string {
  const colon = key.lastIndexOf(':')
  return colon < 0 ? key : key.slice(0, colon)
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function parsePools(value: unknown, where: string): Record<string, HeartbeatPool> {
  if (!isRecord(value)) throw new MalformedHeartbeat(`${where} is not an object`)
  const pools: Record<string, HeartbeatPool> = {}
  // for-in over JSON.parse's plain objects: their own keys, without Object.entries' arrays.
  for (const key in value) {
    const pool = value[key]
    if (!isRecord(pool)) throw new MalformedHeartbeat(`${where}.${key} is not an object`)
    if (typeof pool.status !== 'string') throw new MalformedHeartbeat(`${where}.${key}.status is not a string`)
    const members = pool.members ?? {}
    if (!isRecord(members)) throw new MalformedHeartbeat(`${where}.${key}.members is not an object`)
    for (const member in members) {
      if (typeof members[member] !== 'string') throw new MalformedHeartbeat(`${where}.${key}.members.${member} is not a string`)
    }
    pools[key] = { status: pool.status, members: members as Record<string, string> }
  }
  return pools
}

const STAT_FIELDS = ['tx', 'rx', 'conns', 'totconns', 'ereq'] as const

/** Counters that are all non-negative integers, or undefined (the statistics skip that listener, as Octavia's model refuses them). */
function parseStats(value: unknown): HeartbeatListenerStats | undefined {
  if (!isRecord(value)) return undefined
  for (const field of STAT_FIELDS) {
    const n = value[field]
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) return undefined
  }
  const { tx, rx, conns, totconns, ereq } = value as unknown as HeartbeatListenerStats
  return { tx, rx, conns, totconns, ereq }
}

/**
 * Checks a parsed JSON value against the heartbeat document of any version and returns it typed.
 * Unknown fields are ignored; a wrong type where the receiver needs a value is MalformedHeartbeat.
 */
export function parseHeartbeatDocument(value: unknown): HeartbeatDocument {
  if (!isRecord(value)) throw new MalformedHeartbeat('the document is not an object')
  const { id, seq, ver } = value
  if (typeof id !== 'string' || id === '') throw new MalformedHeartbeat('id is not a non-empty string')
  if (seq !== undefined && (typeof seq !== 'number' || !Number.isSafeInteger(seq))) throw new MalformedHeartbeat('seq is not an integer')
  if (ver !== undefined && (typeof ver !== 'number' || !Number.isSafeInteger(ver))) throw new MalformedHeartbeat('ver is not an integer')
  const rawListeners = value.listeners ?? {}
  if (!isRecord(rawListeners)) throw new MalformedHeartbeat('listeners is not an object')
  const nested = (ver ?? 0) < 2
  const listeners: Record<string, HeartbeatListener> = {}
  for (const listenerId in rawListeners) {
    const listener = rawListeners[listenerId]
    if (!isRecord(listener)) throw new MalformedHeartbeat(`listeners.${listenerId} is not an object`)
    if (typeof listener.status !== 'string') throw new MalformedHeartbeat(`listeners.${listenerId}.status is not a string`)
    const parsed: HeartbeatListener = { status: listener.status }
    const stats = parseStats(listener.stats)
    if (stats) parsed.stats = stats
    if (nested && listener.pools !== undefined) parsed.pools = parsePools(listener.pools, `listeners.${listenerId}.pools`)
    listeners[listenerId] = parsed
  }
  const document: HeartbeatDocument = { id, listeners }
  if (seq !== undefined) document.seq = seq
  if (ver !== undefined) document.ver = ver
  if (!nested) document.pools = parsePools(value.pools ?? {}, 'pools')
  return document
}
