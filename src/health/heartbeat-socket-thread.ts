import { createSocket, type Socket } from 'node:dgram'
import { isIP } from 'node:net'
import { parentPort, workerData } from 'node:worker_threads'
import { HeartbeatRejected, heartbeatKey, verifyHeartbeat } from './heartbeat-codec.ts'

// The health manager's UDP socket on a thread of its own (heartbeat-receiver.ts starts it through
// heartbeat-socket-thread.js): receiving, the HMAC check and inflating happen here, beside the
// main thread, which parses the JSON texts and applies them to the database. Each turn's
// datagrams go over as one message: the texts (strings copy cheaply between threads, where
// parsed objects would be cloned one property at a time), and the drops counted by reason.

export interface SocketThreadSettings {
  address: string
  port: number
  key: string
  receiveBufferSize?: number
}

export type SocketThreadMessage =
  | { type: 'listening'; address: string; port: number }
  /** The socket could not be bound (its error's message and code). */
  | { type: 'failed'; message: string; code: string | undefined }
  | {
    type: 'heartbeats'
    /** Authentic datagrams' JSON texts, unparsed. */
    texts: string[]
    /** When each was read (Date.now()). */
    readAt: number[]
    /** Each one's digest tail: identifies its bytes. */
    fingerprints: string[]
    /** Each one's sender address. */
    from: string[]
    /** Datagrams read, authentic or not. */
    received: number
    dropped: Partial<Record<HeartbeatRejected['reason'], number>>
    /** Where the last dropped datagram came from. */
    lastDropFrom: string | undefined
  }
  | { type: 'error'; message: string }

/** Datagrams per message at most: a burst goes over in several. */
const MAX_PER_MESSAGE = 512

const settings = workerData as SocketThreadSettings
const port = parentPort!
const key = heartbeatKey(settings.key)
let texts: string[] = []
let readAt: number[] = []
let fingerprints: string[] = []
let from: string[] = []
let received = 0
let dropped: Partial<Record<HeartbeatRejected['reason'], number>> = {}
let lastDropFrom: string | undefined
let flushing = false

function flush(): void {
  flushing = false
  if (received === 0) return
  port.postMessage({ type: 'heartbeats', texts, readAt, fingerprints, from, received, dropped, lastDropFrom } satisfies SocketThreadMessage)
  texts = []
  readAt = []
  fingerprints = []
  from = []
  received = 0
  dropped = {}
  lastDropFrom = undefined
}

const socket: Socket = createSocket({
  type: isIP(settings.address) === 6 ? 'udp6' : 'udp4',
  ...(settings.receiveBufferSize ? { recvBufferSize: settings.receiveBufferSize } : {}),
})

socket.on('message', (datagram, remote) => {
  received++
  try {
    texts.push(verifyHeartbeat(datagram, key))
    readAt.push(Date.now())
    fingerprints.push(datagram.subarray(-32).toString('latin1'))
    from.push(remote.address)
  } catch (err) {
    if (!(err instanceof HeartbeatRejected)) throw err
    dropped[err.reason] = (dropped[err.reason] ?? 0) + 1
    lastDropFrom = remote.address
  }
  // The socket hands over a few dozen datagrams per turn of the event loop: they go together.
  if (received >= MAX_PER_MESSAGE) flush()
  else if (!flushing) {
    flushing = true
    setImmediate(flush)
  }
})
let listening = false
socket.on('error', (err: NodeJS.ErrnoException) => {
  port.postMessage(listening ? { type: 'error', message: err.message } : { type: 'failed', message: err.message, code: err.code } satisfies SocketThreadMessage)
})
socket.once('listening', () => {
  listening = true
  const bound = socket.address()
  port.postMessage({ type: 'listening', address: bound.address, port: bound.port } satisfies SocketThreadMessage)
})

port.on('message', (message: 'close') => {
  if (message !== 'close') return
  socket.close(() => {
    flush()
    port.close()
  })
})

try {
  socket.bind(settings.port, settings.address)
} catch (err) {
  const e = err as NodeJS.ErrnoException
  port.postMessage({ type: 'failed', message: e.message, code: e.code } satisfies SocketThreadMessage)
}
