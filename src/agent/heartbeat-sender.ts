import { createSocket, type Socket } from 'node:dgram'
import { lookup } from 'node:dns/promises'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import type { Logger } from '../common/logger.ts'
import { encodeHeartbeat } from '../health/heartbeat-codec.ts'
import { HEARTBEAT_VERSION, type HeartbeatDocument } from '../health/heartbeat-document.ts'
import { haproxyCommand } from './haproxy-cli.ts'
import { amphoraStats, parseShowStat, type ListenerCounters } from './haproxy-stats.ts'

/** An amphora to report on. */
export interface HeartbeatTarget {
  id: string
  /** Its HAProxy stats socket while its haproxy runs; null when it does not (it still reports, with nothing). */
  stats_socket: string | null
  /** Where its last absolute counters are kept across agent restarts. */
  counters_file: string
}

export interface HeartbeatSenderOptions {
  /** agent.controllers (= health_manager.controller_ip_port_list): `host:port`, IPv6 in brackets. */
  controllers: readonly string[]
  /** health_manager.heartbeat_key. */
  key: string
  /** health_manager.heartbeat_interval (s). */
  interval: number
  targets: () => HeartbeatTarget[]
  log: Logger
}

export interface HeartbeatSender {
  /** Heartbeats sent so far. */
  readonly sent: number
  stop(): Promise<void>
}

interface Destination { address: string; port: number; family: 4 | 6 }

/** `host:port` split at the last colon, brackets stripped (spec/heartbeat.md §1). */
function splitHostPort(entry: string): { host: string; port: number } | null {
  const colon = entry.lastIndexOf(':')
  if (colon <= 0) return null
  const port = Number(entry.slice(colon + 1))
  if (!Number.isInteger(port) || port < 1 || port > 65535) return null
  return { host: entry.slice(0, colon).replace(/^\[(.*)\]$/, '$1'), port }
}

/**
 * The amphorae's heartbeat sender (spec/heartbeat.md §1), one loop for every amphora of this host:
 * at start and then every interval, for each amphora a version 3 heartbeat (its own `seq` from 0,
 * listener statistics as deltas against the counters kept in its directory) goes to one
 * controller, the next in the list for that amphora. Send errors are ignored: the health manager
 * notices silence, which is the point.
 */
export function startHeartbeatSender(options: HeartbeatSenderOptions): HeartbeatSender {
  const { log } = options
  const sockets: Partial<Record<4 | 6, Socket>> = {}
  const seqs = new Map<string, number>()
  const turns = new Map<string, number>()
  const counters = new Map<string, Record<string, ListenerCounters>>()
  let destinations: Destination[] = []
  let sent = 0
  let stopped = false
  let timer: NodeJS.Timeout | undefined
  let wake: (() => void) | undefined

  const resolveDestinations = async (): Promise<Destination[]> => {
    const out: Destination[] = []
    for (const entry of options.controllers) {
      const parsed = splitHostPort(entry)
      if (!parsed) {
        log.warn({ controller: entry }, 'heartbeat destination is not host:port; skipped')
        continue
      }
      try {
        const found = await lookup(parsed.host)
        out.push({ address: found.address, port: parsed.port, family: found.family === 6 ? 6 : 4 })
      } catch (err) {
        log.warn({ err, controller: entry }, 'heartbeat destination does not resolve; tried again next time')
      }
    }
    return out
  }

  const socketFor = (family: 4 | 6): Socket => {
    let socket = sockets[family]
    if (!socket) {
      socket = createSocket(family === 6 ? 'udp6' : 'udp4')
      // Send errors (network unreachable while booting, ...) are ignored, as upstream.
      socket.on('error', () => undefined)
      sockets[family] = socket
    }
    return socket
  }

  const lastCounters = (target: HeartbeatTarget): Record<string, ListenerCounters> => {
    let known = counters.get(target.id)
    if (!known) {
      try {
        known = existsSync(target.counters_file) ? JSON.parse(readFileSync(target.counters_file, 'utf8')) as Record<string, ListenerCounters> : {}
      } catch {
        known = {} // unreadable: deltas restart from the current counters
      }
      counters.set(target.id, known)
    }
    return known
  }

  const build = async (target: HeartbeatTarget): Promise<HeartbeatDocument> => {
    const seq = seqs.get(target.id) ?? 0
    seqs.set(target.id, seq + 1)
    const document: HeartbeatDocument = { id: target.id, seq, ver: HEARTBEAT_VERSION, listeners: {}, pools: {} }
    if (target.stats_socket === null) return document
    const csv = await haproxyCommand(target.stats_socket, 'show stat -1 -1 -1', 2000).catch(() => null)
    // A stats socket that does not answer contributes nothing; the heartbeat still goes.
    if (csv === null) return document
    const stats = amphoraStats(parseShowStat(csv), lastCounters(target))
    counters.set(target.id, stats.counters)
    try {
      writeFileSync(target.counters_file, JSON.stringify(stats.counters))
    } catch (err) {
      log.warn({ err, amphora_id: target.id }, 'cannot keep the listener counters; deltas restart after an agent restart')
    }
    return { ...document, listeners: stats.listeners, pools: stats.pools }
  }

  const round = async () => {
    if (destinations.length < options.controllers.length) destinations = await resolveDestinations()
    if (destinations.length === 0) return
    const targets = options.targets()
    await Promise.all(targets.map(async (target) => {
      const document = await build(target)
      const turn = turns.get(target.id) ?? 0
      turns.set(target.id, turn + 1)
      const destination = destinations[turn % destinations.length]!
      socketFor(destination.family).send(encodeHeartbeat(document, options.key), destination.port, destination.address, (err) => {
        if (!err) sent++
      })
    }))
    // Amphorae deleted since: their sequence starts again if one with the same id comes back.
    const current = new Set(targets.map((t) => t.id))
    for (const id of [...seqs.keys()]) {
      if (current.has(id)) continue
      seqs.delete(id)
      turns.delete(id)
      counters.delete(id)
    }
  }

  const loop = async () => {
    while (!stopped) {
      try {
        await round()
      } catch (err) {
        log.error({ err }, 'heartbeat round failed')
      }
      if (stopped) break
      await new Promise<void>((resolve) => {
        wake = resolve
        timer = setTimeout(resolve, options.interval * 1000)
      })
    }
  }
  const running = loop()
  log.info({ controllers: options.controllers, interval: options.interval }, 'heartbeat sender started')
  return {
    get sent() {
      return sent
    },
    stop: async () => {
      stopped = true
      clearTimeout(timer)
      wake?.()
      await running
      for (const socket of Object.values(sockets)) socket?.close()
    },
  }
}
