import { createServer, type Server, type Socket } from 'node:net'
import type { Logger } from '../common/logger.ts'
import { RotatingLogFile, type RotationOptions } from './rotating-log-file.ts'

export interface TenantLogReceiverOptions {
  /** Port to listen on at 127.0.0.1; 0 = any free port. */
  port: number
  /** Where an amphora's tenant lines go, by its log tag (the amphora id); null drops them (an amphora we do not run). */
  fileFor: (amphoraId: string) => string | null
  rotation: RotationOptions
  log: Logger
  /** How often queued lines are written; a flush also happens past 256 KiB queued. */
  flush_interval_ms?: number
}

const FLUSH_BYTES = 256 * 1024
const NEWLINE = 0x0a
/**
 * After each read a connection rests this long, so the next read takes what piled up in the
 * meantime: HAProxy writes its ring line by line, and a read per line cost the agent a fifth
 * of HAProxy's own CPU per request (bench/dataplane, 20k requests/s).
 */
const READ_PAUSE_MS = 50

/**
 * Where amphorae send their tenant connection logs: each haproxy forwards its log ring over one
 * TCP connection, one syslog line per request ("<PRI>Mmm dd hh:mm:ss host TAG[PID]: message\n").
 * The first line names the amphora (its log tag); after that, whole chunks of lines are appended
 * as they came to the load balancer's file, in batches, with rotation. The hot path looks for
 * the last newline of a chunk and nothing else.
 */
export class TenantLogReceiver {
  #files = new Map<string, RotatingLogFile>()
  #connections = new Set<Socket>()
  #paused = new Set<Socket>()
  #timer: NodeJS.Timeout
  #resumer: NodeJS.Timeout

  private constructor(private readonly server: Server, private readonly options: TenantLogReceiverOptions) {
    server.on('connection', (socket) => this.#accept(socket))
    this.#timer = setInterval(() => void this.flush(), options.flush_interval_ms ?? 200)
    this.#timer.unref()
    this.#resumer = setInterval(() => {
      for (const socket of this.#paused) socket.resume()
      this.#paused.clear()
    }, READ_PAUSE_MS)
    this.#resumer.unref()
  }

  static async start(options: TenantLogReceiverOptions): Promise<TenantLogReceiver> {
    const server = createServer()
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(options.port, '127.0.0.1', () => {
        server.off('error', reject)
        resolve()
      })
    })
    return new TenantLogReceiver(server, options)
  }

  get port(): number {
    return (this.server.address() as { port: number }).port
  }

  /** Forgets a deleted amphora's file: what is queued for it is dropped, not written into a removed directory. */
  forget(amphoraId: string): void {
    this.#files.get(amphoraId)?.discard()
    this.#files.delete(amphoraId)
  }

  async flush(): Promise<void> {
    await Promise.all([...this.#files.values()].map((file) => file.flush().catch((err: unknown) => {
      this.options.log.warn({ err, path: file.path }, 'tenant log write failed')
    })))
  }

  async close(): Promise<void> {
    clearInterval(this.#timer)
    clearInterval(this.#resumer)
    for (const socket of this.#connections) socket.destroy()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
    await this.flush()
  }

  #accept(socket: Socket): void {
    this.#connections.add(socket)
    let file: RotatingLogFile | null = null
    let rest: Buffer | null = null
    socket.on('data', (chunk: Buffer) => {
      socket.pause()
      this.#paused.add(socket)
      const data = rest === null ? chunk : Buffer.concat([rest, chunk])
      const end = data.lastIndexOf(NEWLINE) + 1
      rest = end < data.length ? data.subarray(end) : null
      if (end === 0) return
      file ??= this.#fileOf(data)
      if (file === null) return
      file.appendLines(data.subarray(0, end))
      if (file.pendingBytes > FLUSH_BYTES) void file.flush().catch((err: unknown) => this.options.log.warn({ err, path: file?.path }, 'tenant log write failed'))
    })
    socket.on('error', () => socket.destroy())
    socket.on('close', () => {
      this.#connections.delete(socket)
      this.#paused.delete(socket)
    })
  }

  /** The file of the amphora whose tag the first line carries. */
  #fileOf(lines: Buffer): RotatingLogFile | null {
    // "<PRI>" + "Mmm dd hh:mm:ss " + "host " + "TAG[".
    const afterPri = lines.indexOf(0x3e) + 1 // '>'
    const hostEnd = lines.indexOf(0x20, afterPri + 16) // ' '
    const tagEnd = lines.indexOf(0x5b, hostEnd) // '['
    if (afterPri === 0 || hostEnd < 0 || tagEnd < 0) return null
    const amphoraId = lines.subarray(hostEnd + 1, tagEnd).toString('latin1')
    let file = this.#files.get(amphoraId)
    if (file === undefined) {
      const path = this.options.fileFor(amphoraId)
      if (path === null) return null
      file = new RotatingLogFile(path, this.options.rotation)
      this.#files.set(amphoraId, file)
    }
    return file
  }
}
