import { createSocket, type Socket } from 'node:dgram'
import { once } from 'node:events'
import { isIP } from 'node:net'
import type { Clock } from '../common/clock.ts'
import type { Logger } from '../common/logger.ts'
import { HeartbeatRejected, decodeHeartbeat, heartbeatKey } from './heartbeat-codec.ts'
import type { HeartbeatCounters, HeartbeatDrop } from './heartbeat-counters.ts'
import type { HeartbeatDocument } from './heartbeat-document.ts'
import { SequenceGuard } from './sequence-guard.ts'

export interface HeartbeatReceiverOptions {
  /** [health_manager] bind_ip, bind_port (0: any free port). */
  address: string
  port: number
  /** [health_manager] heartbeat_key, read once at start (spec/heartbeat.md §2). */
  key: string
  /** [health_manager] sock_rlimit: SO_RCVBUF when > 0. */
  receiveBufferSize?: number
  clock: Clock
  log: Logger
  counters: HeartbeatCounters
  /** Amphorae silent this long are forgotten by the sequence rule (ms). */
  forgetAfterMs: number
  /** Each authentic, fresh heartbeat, with the time it was read (ms since epoch). */
  onHeartbeat(document: HeartbeatDocument, receivedAt: number): void
}

export interface HeartbeatReceiver {
  readonly address: string
  readonly port: number
  close(): Promise<void>
}

const DROP_LOG_INTERVAL_MS = 10_000

/**
 * The health manager's UDP listener (spec/heartbeat.md §2, §7): verifies each datagram, applies
 * the sequence rule (sequence-guard.ts), and hands what is left on. Dropped datagrams have no
 * side effect but a counter, and a warning at most every 10 s per reason with how many.
 */
export async function startHeartbeatReceiver(options: HeartbeatReceiverOptions): Promise<HeartbeatReceiver> {
  const { clock, log, counters } = options
  const guard = new SequenceGuard()
  const key = heartbeatKey(options.key)
  const socket: Socket = createSocket({
    type: isIP(options.address) === 6 ? 'udp6' : 'udp4',
    ...(options.receiveBufferSize ? { recvBufferSize: options.receiveBufferSize } : {}),
  })
  const unlogged = new Map<HeartbeatDrop, number>()
  let lastDropLog = 0
  let lastForget = 0

  const drop = (reason: HeartbeatDrop, now: number, from: string) => {
    counters.countDropped(reason)
    unlogged.set(reason, (unlogged.get(reason) ?? 0) + 1)
    if (now - lastDropLog < DROP_LOG_INTERVAL_MS) return
    lastDropLog = now
    log.warn({ dropped: Object.fromEntries(unlogged), last_from: from }, 'heartbeats dropped')
    unlogged.clear()
  }

  socket.on('message', (datagram, remote) => {
    const receivedAt = clock.now().getTime()
    counters.countReceived()
    let document: HeartbeatDocument
    try {
      document = decodeHeartbeat(datagram, key)
    } catch (err) {
      if (!(err instanceof HeartbeatRejected)) throw err
      drop(err.reason, receivedAt, remote.address)
      return
    }
    // The digest's tail identifies the datagram's bytes.
    const verdict = guard.admit(document.id, document.seq, datagram.subarray(-32).toString('latin1'), receivedAt)
    if (verdict !== 'accepted') {
      drop(verdict, receivedAt, remote.address)
      return
    }
    counters.countAccepted()
    if (receivedAt - lastForget > options.forgetAfterMs) {
      lastForget = receivedAt
      guard.forget(receivedAt - options.forgetAfterMs)
    }
    options.onHeartbeat(document, receivedAt)
  })
  socket.on('error', (err) => log.error({ err }, 'heartbeat socket error'))

  socket.bind(options.port, options.address)
  await Promise.race([once(socket, 'listening'), once(socket, 'error').then(([err]) => { throw err as Error })])
  const bound = socket.address()
  log.info({ address: bound.address, port: bound.port }, 'heartbeat receiver listening')
  return {
    address: bound.address,
    port: bound.port,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  }
}
