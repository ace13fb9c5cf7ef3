import { createSocket, type Socket } from 'node:dgram'
import type { Logger } from '../common/logger.ts'
import { RotatingLogFile, type RotationOptions } from './rotating-log-file.ts'

export interface TenantLogReceiverOptions {
  /** Port to bind on 127.0.0.1; 0 = any free port. */
  port: number
  user_log_facility: number
  /** Where an amphora's lines go, by the log tag (its id); null drops them (amphora unknown). */
  fileFor: (amphoraId: string, kind: 'tenant' | 'admin') => string | null
  rotation: RotationOptions
  log: Logger
  /** How often queued lines are written; a flush also happens past 256 KiB queued. */
  flush_interval_ms?: number
}

const FLUSH_BYTES = 256 * 1024

/**
 * The syslog socket amphorae log to (UDP on loopback: HAProxy sends one datagram per line,
 * without blocking). Lines are demultiplexed by their tag, the amphora id the agent puts in
 * `log-tag`, and appended in batches to per-load-balancer files with rotation. The hot path
 * only slices the datagram; nothing is parsed beyond the header.
 */
export class TenantLogReceiver {
  #files = new Map<string, RotatingLogFile>()
  #timer: NodeJS.Timeout

  private constructor(private readonly socket: Socket, private readonly options: TenantLogReceiverOptions) {
    socket.on('message', (message) => this.#receive(message))
    this.#timer = setInterval(() => void this.flush(), options.flush_interval_ms ?? 200)
    this.#timer.unref()
  }

  static async start(options: TenantLogReceiverOptions): Promise<TenantLogReceiver> {
    const socket = createSocket('udp4')
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject)
      socket.bind(options.port, '127.0.0.1', () => {
        socket.off('error', reject)
        resolve()
      })
    })
    socket.on('error', (err) => options.log.warn({ err }, 'tenant log socket error'))
    // Bursts of datagrams wait in the kernel while a flush runs.
    socket.setRecvBufferSize(4 * 1024 * 1024)
    return new TenantLogReceiver(socket, options)
  }

  get port(): number {
    return this.socket.address().port
  }

  /** Forgets an amphora's open files (after it is deleted), writing what is queued first. */
  async forget(amphoraId: string): Promise<void> {
    for (const kind of ['tenant', 'admin'] as const) {
      const key = `${amphoraId}/${kind}`
      await this.#files.get(key)?.flush()
      this.#files.delete(key)
    }
  }

  async flush(): Promise<void> {
    await Promise.all([...this.#files.values()].map((file) => file.flush().catch((err: unknown) => {
      this.options.log.warn({ err, path: file.path }, 'tenant log write failed')
    })))
  }

  async close(): Promise<void> {
    clearInterval(this.#timer)
    await new Promise<void>((resolve) => this.socket.close(() => resolve()))
    await this.flush()
  }

  #receive(message: Buffer): void {
    // RFC 3164 as HAProxy writes it: "<PRI>Mmm dd hh:mm:ss TAG[PID]: MESSAGE".
    const close = message.indexOf(0x3e) // '>'
    if (message[0] !== 0x3c || close < 2 || close > 4) return
    const facility = Number(message.subarray(1, close).toString('latin1')) >> 3
    const tagStart = close + 17
    const tagEnd = message.indexOf(0x5b, tagStart) // '['
    if (tagEnd < 0) return
    const kind = facility === 16 + this.options.user_log_facility ? 'tenant' : 'admin'
    const amphoraId = message.subarray(tagStart, tagEnd).toString('latin1')
    const file = this.#file(amphoraId, kind)
    if (file === null) return
    let end = message.length
    while (end > 0 && (message[end - 1] === 0x0a || message[end - 1] === 0x00)) end--
    // The timestamp and message, without the priority and tag the file name already tells.
    const colon = message.indexOf(0x3a, tagEnd) // ':' after "[PID]"
    file.append(Buffer.concat([message.subarray(close + 1, close + 17), message.subarray(colon + 2, end)]))
    if (file.pendingBytes > FLUSH_BYTES) void file.flush().catch((err: unknown) => this.options.log.warn({ err, path: file.path }, 'tenant log write failed'))
  }

  #file(amphoraId: string, kind: 'tenant' | 'admin'): RotatingLogFile | null {
    const key = `${amphoraId}/${kind}`
    let file = this.#files.get(key)
    if (file === undefined) {
      const path = this.options.fileFor(amphoraId, kind)
      if (path === null) return null
      file = new RotatingLogFile(path, this.options.rotation)
      this.#files.set(key, file)
    }
    return file
  }
}
