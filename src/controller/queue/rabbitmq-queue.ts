import { connect, type Channel, type ChannelModel } from 'amqplib'
import type { Logger } from '../../common/logger.ts'
import type { JobQueue } from './job-queue.ts'
import { amqpUrl, type RabbitmqOptions } from './probe-rabbitmq.ts'

export interface RabbitmqQueueOptions {
  broker: RabbitmqOptions
  log: Logger
  /** The queue announcements go through (durable; declared by whoever connects first). */
  queue?: string
  /** Reconnection back-off: the first wait, doubled after each failure up to the last. */
  reconnectMs?: { first: number; last: number }
  /** Announcements a worker takes from the broker before it has handled them. */
  prefetch?: number
}

// Not Octavia's octavia_provisioning_v2: our messages are bare job ids, not oslo RPC casts, and an
// upstream worker sharing the broker must never take them.
export const DEFAULT_QUEUE = 'octavia_jobs'

/**
 * Job announcements over RabbitMQ (the pillar's message_queue). Each message is one job id; a
 * worker that takes it claims that job first. The connection is kept up in the background: while
 * the broker is away announcements are dropped (workers find the jobs by polling) and every
 * worker connects again, with back-off, when it is back.
 */
export class RabbitmqQueue implements JobQueue {
  readonly #options: Required<Omit<RabbitmqQueueOptions, 'log'>> & { log: Logger }
  readonly #listeners = new Set<(jobId: string) => void>()
  #connection: ChannelModel | undefined
  #channel: Channel | undefined
  #consuming = false
  #closed = false
  #delay: number
  #timer: NodeJS.Timeout | undefined
  #connected: Promise<void> = Promise.resolve()
  #onConnected: Array<() => void> = []

  constructor(options: RabbitmqQueueOptions) {
    this.#options = {
      queue: DEFAULT_QUEUE, reconnectMs: { first: 200, last: 5000 }, prefetch: 50, ...options,
      log: options.log.child({ component: 'queue', broker: `${options.broker.host}:${options.broker.port}`, vhost: options.broker.virtual_host }),
    }
    this.#delay = this.#options.reconnectMs.first
    this.#connected = this.#connect()
  }

  /** True while announcements reach the broker. */
  get connected(): boolean {
    return this.#channel !== undefined
  }

  /** Resolves the next time the queue is connected (at once if it is). */
  whenConnected(): Promise<void> {
    if (this.#channel) return Promise.resolve()
    return new Promise((resolve) => this.#onConnected.push(resolve))
  }

  announce(jobId: string): void {
    const channel = this.#channel
    if (!channel) {
      this.#options.log.debug({ job_id: jobId }, 'broker unreachable: job left to polling')
      return
    }
    try {
      // false = the socket's buffer is full (a blocked connection): dropped like any lost message.
      if (!channel.sendToQueue(this.#options.queue, Buffer.from(jobId), { contentType: 'text/plain' })) {
        this.#options.log.debug({ job_id: jobId }, 'broker busy: job left to polling')
      }
    } catch (err) {
      // The channel closed under us; its close handler reconnects. The job is left to polling.
      this.#options.log.debug({ err, job_id: jobId }, 'cannot announce: job left to polling')
    }
  }

  listen(deliver: (jobId: string) => void): () => void {
    this.#listeners.add(deliver)
    if (this.#channel && !this.#consuming) void this.#consume(this.#channel)
    return () => this.#listeners.delete(deliver)
  }

  async close(): Promise<void> {
    this.#closed = true
    clearTimeout(this.#timer)
    await this.#connected
    const connection = this.#connection
    this.#connection = undefined
    this.#channel = undefined
    // Already closed by the broker or the network: nothing left to release.
    await connection?.close().catch(() => undefined)
  }

  async #connect(): Promise<void> {
    if (this.#closed) return
    const { broker, log, queue } = this.#options
    let connection: ChannelModel | undefined
    try {
      connection = await connect(amqpUrl(broker), { timeout: 5000 })
      connection.on('error', (err: unknown) => log.warn({ err }, 'broker connection error'))
      connection.on('close', () => this.#lost(connection!))
      const channel = await connection.createChannel()
      // A channel error (e.g. the queue deleted) closes the channel only: start over on a new connection.
      channel.on('error', (err: unknown) => log.warn({ err }, 'broker channel error'))
      channel.on('close', () => {
        if (this.#channel === channel) void connection!.close().catch(() => undefined)
      })
      await channel.assertQueue(queue, { durable: true })
      if (this.#closed) {
        await connection.close()
        return
      }
      this.#connection = connection
      this.#channel = channel
      this.#consuming = false
      this.#delay = this.#options.reconnectMs.first
      if (this.#listeners.size > 0) await this.#consume(channel)
      log.info('broker connected')
      for (const resolve of this.#onConnected.splice(0)) resolve()
    } catch (err) {
      log.warn({ err: oneLine(err, broker.password), retry_ms: this.#delay }, 'cannot reach the broker; retrying')
      // A half-open connection (e.g. the vhost went while declaring) is dropped before retrying.
      await connection?.close().catch(() => undefined)
      this.#retry()
    }
  }

  async #consume(channel: Channel): Promise<void> {
    this.#consuming = true
    await channel.prefetch(this.#options.prefetch)
    // No acknowledgements: a message is a hint, the jobs table is the truth.
    await channel.consume(this.#options.queue, (message) => {
      if (!message) return
      const jobId = message.content.toString()
      for (const deliver of this.#listeners) deliver(jobId)
    }, { noAck: true })
  }

  #lost(connection: ChannelModel): void {
    if (this.#connection !== connection) return
    this.#connection = undefined
    this.#channel = undefined
    this.#consuming = false
    if (this.#closed) return
    this.#options.log.warn('broker connection lost; reconnecting')
    this.#retry()
  }

  #retry(): void {
    if (this.#closed) return
    clearTimeout(this.#timer)
    const delay = this.#delay
    this.#delay = Math.min(this.#delay * 2, this.#options.reconnectMs.last)
    this.#timer = setTimeout(() => {
      this.#connected = this.#connect()
    }, delay)
  }
}

function oneLine(err: unknown, password: string): string {
  const text = err instanceof Error ? err.message.split('\n')[0] ?? String(err) : String(err)
  return password === '' ? text : text.replaceAll(password, '***')
}
