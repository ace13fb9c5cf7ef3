import { once } from 'node:events'
import { Worker } from 'node:worker_threads'
import type { Clock } from '../common/clock.ts'
import type { Logger } from '../common/logger.ts'
import type { HeartbeatCounters, HeartbeatDrop } from './heartbeat-counters.ts'
import type { HeartbeatDocument } from './heartbeat-document.ts'
import { HeartbeatRejected, parseHeartbeatText } from './heartbeat-codec.ts'
import type { SocketThreadMessage, SocketThreadSettings } from './heartbeat-socket-thread.ts'
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
  /** The thread running the socket now (for diagnostics; a new one after a restart). */
  socketThread(): Worker
  close(): Promise<void>
}

const DROP_LOG_INTERVAL_MS = 10_000
const SOCKET_THREAD = new URL('./heartbeat-socket-thread.js', import.meta.url)

/**
 * The health manager's UDP listener (spec/heartbeat.md §2, §7). The socket, the HMAC check and
 * the decoding run on a thread of their own (heartbeat-socket-thread.ts), so that this thread
 * only applies the sequence rule (sequence-guard.ts) and hands what is left on. Dropped
 * datagrams have no side effect but a counter, and a warning at most every 10 s per reason with
 * how many. If the thread dies it is started again on the port it had.
 */
export async function startHeartbeatReceiver(options: HeartbeatReceiverOptions): Promise<HeartbeatReceiver> {
  const { clock, log, counters } = options
  const guard = new SequenceGuard()
  const unlogged = new Map<HeartbeatDrop, number>()
  let lastDropLog = 0
  let lastForget = 0
  let closing = false

  const drop = (reason: HeartbeatDrop, n: number, now: number, from: string | undefined) => {
    counters.countDropped(reason, n)
    unlogged.set(reason, (unlogged.get(reason) ?? 0) + n)
    if (now - lastDropLog < DROP_LOG_INTERVAL_MS) return
    lastDropLog = now
    log.warn({ dropped: Object.fromEntries(unlogged), last_from: from }, 'heartbeats dropped')
    unlogged.clear()
  }

  let lastReceivedAt = -Infinity
  const onHeartbeats = (message: Extract<SocketThreadMessage, { type: 'heartbeats' }>) => {
    // Read times are the thread's wall clock; moved onto `clock` by how long ago they were.
    const wall = Date.now()
    const now = clock.now().getTime()
    counters.countReceived(message.received)
    for (const [reason, n] of Object.entries(message.dropped)) drop(reason as HeartbeatDrop, n, now, message.lastDropFrom)
    for (let i = 0; i < message.texts.length; i++) {
      // Never before an earlier datagram's (nor after now): arrival order decides between two
      // amphorae of one LB, and a message handled late must not move its datagrams before others.
      const receivedAt = Math.max(Math.min(lastReceivedAt, now), now - Math.max(0, wall - message.readAt[i]!))
      lastReceivedAt = receivedAt
      let document: HeartbeatDocument
      try {
        document = parseHeartbeatText(message.texts[i]!)
      } catch (err) {
        if (!(err instanceof HeartbeatRejected)) throw err
        drop(err.reason, 1, receivedAt, message.from[i])
        continue
      }
      const fingerprint = message.fingerprints[i]!
      const verdict = guard.admit(document.id, document.seq, fingerprint, receivedAt)
      if (verdict !== 'accepted') {
        drop(verdict, 1, receivedAt, message.from[i])
        continue
      }
      counters.countAccepted()
      if (receivedAt - lastForget > options.forgetAfterMs) {
        lastForget = receivedAt
        guard.forget(receivedAt - options.forgetAfterMs)
      }
      options.onHeartbeat(document, receivedAt)
    }
  }

  interface Running { thread: Worker; address: string; port: number; exited: Promise<void> }
  const start = (settings: SocketThreadSettings): Promise<Running> => new Promise((resolve, reject) => {
    const thread = new Worker(SOCKET_THREAD, { workerData: settings })
    const exited = once(thread, 'exit').then(() => undefined)
    let bound = false
    thread.on('message', (message: SocketThreadMessage) => {
      switch (message.type) {
        case 'heartbeats':
          onHeartbeats(message)
          return
        case 'listening':
          bound = true
          resolve({ thread, address: message.address, port: message.port, exited })
          return
        case 'failed':
          void thread.terminate()
          reject(Object.assign(new Error(message.message), { code: message.code }))
          return
        case 'error':
          log.error({ err: message.message }, 'heartbeat socket error')
      }
    })
    thread.on('error', (err) => {
      if (!bound) reject(err)
      else log.error({ err }, 'heartbeat socket thread failed')
    })
    void exited.then(() => {
      if (!bound || closing) return
      // Again on the port it had, even if any free port was asked for.
      log.warn({ port: first.port }, 'heartbeat socket thread ended; starting it again')
      restarting = start({ ...settings, port: first.port }).then((next) => {
        current = next
      }, (err: unknown) => log.error({ err }, 'heartbeat socket thread could not start again'))
    })
  })

  const settings: SocketThreadSettings = { address: options.address, port: options.port, key: options.key, receiveBufferSize: options.receiveBufferSize }
  const first = await start(settings)
  let current = first
  let restarting: Promise<void> = Promise.resolve()
  log.info({ address: first.address, port: first.port }, 'heartbeat receiver listening')
  return {
    address: first.address,
    port: first.port,
    socketThread: () => current.thread,
    close: async () => {
      closing = true
      await restarting
      current.thread.postMessage('close')
      await current.exited
    },
  }
}
