import cluster, { type Worker as ClusterWorker } from 'node:cluster'
import { AggregatorRegistry, type MetricObjectWithValues, type MetricValue, type Registry } from 'prom-client'
import type { Logger } from '../common/logger.ts'
import type { OctaviaConfig } from '../config/schema.ts'
import { CommandFailed } from './exit-codes.ts'
import { startMetricsPart } from './metrics-part.ts'
import type { Stoppable } from './run-until-signal.ts'

// api.workers > 1: the API runs in that many child processes (node:cluster) sharing the bind
// port, as Octavia's runs in several uWSGI processes. The parent (`octavia api` or `octavia up`)
// keeps everything else: the worker, health manager, housekeeping and agent of `octavia up`, the
// metrics endpoint. Children tell the parent about the jobs they queue (it announces them as its
// own) and hand it their metrics when it is scraped. A child that dies is replaced.

/** Messages between the parent and its API processes. */
type ApiProcessMessage =
  | { type: 'octavia:api-listening'; address: string; port: number }
  | { type: 'octavia:api-failed'; message: string }
  | { type: 'octavia:jobs'; jobIds: Array<string | null> }
  | { type: 'octavia:metrics'; id: number }
  | { type: 'octavia:metrics-reply'; id: number; metrics: MetricObjectWithValues<MetricValue<string>>[] }

function isApiProcessMessage(message: unknown): message is ApiProcessMessage {
  return typeof message === 'object' && message !== null && typeof (message as { type?: unknown }).type === 'string'
    && (message as { type: string }).type.startsWith('octavia:')
}

/** Whether this process is one of the API processes a parent started. */
export function isApiProcess(): boolean {
  return cluster.isWorker
}

/** How long a stopping API process may take to finish the requests it is answering (ms). */
const STOP_WAIT_MS = 10_000

/** How long a scrape waits for an API process's metrics (ms); one that does not answer is left out. */
const METRICS_WAIT_MS = 2000

/**
 * In the parent: starts api.workers API processes and resolves once all of them listen, with the
 * parts that stop them (and the metrics endpoint, which covers them all). `announce` takes the
 * jobs they queue.
 */
export async function startApiProcesses(config: OctaviaConfig, log: Logger,
  options: { registry: Registry; announce: (jobId?: string) => void }): Promise<Stoppable[]> {
  const children = new Set<ClusterWorker>()
  const pendingMetrics = new Map<number, (metrics: MetricObjectWithValues<MetricValue<string>>[]) => void>()
  let nextMetricsId = 0
  let stopping = false
  const { address, port } = config.api.bind

  // Each process accepts on the shared socket itself (instead of the parent accepting and handing
  // connections over): nothing goes through the parent, and connections waiting to be accepted
  // are not lost with a process that dies.
  cluster.schedulingPolicy = cluster.SCHED_NONE
  const fork = () => new Promise<{ address: string; port: number }>((resolve, reject) => {
    // One accept per turn of a process's event loop (libuv's UV_TCP_SINGLE_ACCEPT), so the next
    // waiting connection goes to another process. Left to accept all it finds, the process that
    // happened to be awake took most of a client's connections at once: 16 keep-alive connections
    // of a bench often went 12 to 4 or worse, one process saturated while the other idled, and
    // lists of 100 LBs ran at 1,000-1,860/s from one run to the next; with it, 1,740-2,020/s.
    // (The parent handing connections out in turn, node's SCHED_RR, balances as well, but loses a
    // connection it hands to a process that has just died: the client hangs.)
    const child = cluster.fork({ UV_TCP_SINGLE_ACCEPT: '1' })
    children.add(child)
    let listening = false
    // A message to a process that has just gone: its exit is handled below.
    child.on('error', (err) => log.warn({ err, pid: child.process.pid }, 'API process channel error'))
    child.on('message', (message: unknown) => {
      if (!isApiProcessMessage(message)) return
      switch (message.type) {
        case 'octavia:api-listening':
          listening = true
          resolve({ address: message.address, port: message.port })
          return
        case 'octavia:api-failed':
          reject(new CommandFailed(message.message))
          return
        case 'octavia:jobs':
          for (const jobId of message.jobIds) options.announce(jobId ?? undefined)
          return
        case 'octavia:metrics-reply':
          pendingMetrics.get(message.id)?.(message.metrics)
          return
      }
    })
    child.on('exit', (code, signal) => {
      children.delete(child)
      if (!listening) {
        reject(new CommandFailed(`an API process exited with ${signal ?? code} before it listened on ${address}:${port}`))
        return
      }
      if (stopping) return
      log.error({ pid: child.process.pid, code, signal }, 'API process ended; starting another')
      fork().catch((err: unknown) => log.error({ err }, 'could not start another API process'))
    })
  })

  const stop = async () => {
    stopping = true
    await Promise.all([...children].map((child) => new Promise<void>((resolve) => {
      if (child.isDead()) {
        resolve()
        return
      }
      // A process still waiting for a request to finish after STOP_WAIT_MS is killed.
      const kill = setTimeout(() => child.process.kill('SIGKILL'), STOP_WAIT_MS)
      child.once('exit', () => {
        clearTimeout(kill)
        resolve()
      })
      child.process.kill('SIGTERM')
    })))
  }
  const parts: Stoppable[] = [{ name: 'api processes', stop }]
  try {
    const bound = await Promise.all(Array.from({ length: config.api.workers }, fork))
    log.info({ address: bound[0]!.address, port: bound[0]!.port, processes: bound.length }, 'api listening')
    const metrics = config.api.metrics
    if (metrics.enabled) {
      // Every process's metrics, summed as prom-client sums a cluster's (gauges and counters added).
      const gather = async () => {
        const replies = await Promise.all([...children].map((child) => new Promise<MetricObjectWithValues<MetricValue<string>>[]>((resolve) => {
          const id = nextMetricsId++
          const timer = setTimeout(() => {
            pendingMetrics.delete(id)
            resolve([])
          }, METRICS_WAIT_MS)
          pendingMetrics.set(id, (metrics) => {
            clearTimeout(timer)
            pendingMetrics.delete(id)
            resolve(metrics)
          })
          // A process on its way out is left out.
          if (!child.isConnected() || !child.send({ type: 'octavia:metrics', id } satisfies ApiProcessMessage)) pendingMetrics.get(id)?.([])
        })))
        return AggregatorRegistry.aggregate([await options.registry.getMetricsAsJSON(), ...replies]).metrics()
      }
      parts.push(await startMetricsPart({ contentType: options.registry.contentType, metrics: gather }, metrics.address, metrics.port, log))
    }
    return parts
  } catch (err) {
    await stop()
    throw err
  }
}

/** Job ids this API process has queued and not yet sent to the parent. */
let announced: Array<string | null> = []

function sendAnnounced(): void {
  const jobIds = announced
  announced = []
  process.send?.({ type: 'octavia:jobs', jobIds } satisfies ApiProcessMessage)
}

/**
 * In an API process: reports to the parent that it listens (or why it cannot), forwards the jobs
 * it queues, answers metrics requests, and stops when the parent goes away.
 */
export const apiProcess = {
  listening(address: string, port: number): void {
    process.send?.({ type: 'octavia:api-listening', address, port } satisfies ApiProcessMessage)
  },
  failed(message: string): void {
    process.send?.({ type: 'octavia:api-failed', message } satisfies ApiProcessMessage)
  },
  announce(jobId?: string): void {
    // The jobs queued in one turn of the event loop (a group commit's requests end together) go
    // in one message: one write to the parent instead of one each.
    if (announced.length === 0) setImmediate(sendAnnounced)
    announced.push(jobId ?? null)
  },
  serveMetrics(registry: Registry): void {
    process.on('message', (message: unknown) => {
      if (!isApiProcessMessage(message) || message.type !== 'octavia:metrics') return
      void registry.getMetricsAsJSON().then((metrics) => {
        if (process.connected) process.send?.({ type: 'octavia:metrics-reply', id: message.id, metrics } satisfies ApiProcessMessage)
      })
    })
  },
  /** The parent is gone (even killed): stop as on SIGTERM. */
  stopWithParent(): void {
    process.once('disconnect', stopWithParent)
  },
  /** Stopped: lets go of the parent (its channel would keep this process alive). */
  leave(): void {
    process.off('disconnect', stopWithParent)
    if (process.connected) process.disconnect()
  },
}

function stopWithParent(): void {
  process.kill(process.pid, 'SIGTERM')
}
