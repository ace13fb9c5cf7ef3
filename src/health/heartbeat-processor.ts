import type { Clock } from '../common/clock.ts'
import type { Logger } from '../common/logger.ts'
import type { OperatingStatus } from '../common/statuses.ts'
import type { Database } from '../db/database.ts'
import {
  HeartbeatRepository, type HealthLoadBalancer, type HealthTable, type HeartbeatAmphora, type ListenerStatisticsRecord,
  type OperatingStatusChange,
} from '../db/repositories/heartbeat-repository.ts'
import type { AmphoraReaper } from './amphora-reaper.ts'
import type { HeartbeatCounters } from './heartbeat-counters.ts'
import type { HeartbeatDocument } from './heartbeat-document.ts'
import { ListenerStatisticsAccumulator } from './listener-statistics-accumulator.ts'
import { planBareAmphoraUpdate, planHealthUpdate, type HealthTiming, type HealthUpdatePlan } from './plan-health-update.ts'

export interface HeartbeatProcessorOptions {
  db: Database
  clock: Clock
  log: Logger
  counters: HeartbeatCounters
  reaper: AmphoraReaper
  /** [health_manager] heartbeat_interval (s): heartbeats processed later are ignored for health. */
  heartbeatInterval: number
  /** Amphorae per batch (default 2000). */
  batchSize?: number
  /** How long the first heartbeat of a batch waits for others (ms, default 20); a full batch goes at once. */
  batchDelayMs?: number
  /** Amphorae waiting at most; heartbeats from further amphorae are dropped (default 200 000). */
  maxPending?: number
  /** An amphora's instance is not asked to be deleted again before this many ms (default 60 s). */
  reapIntervalMs?: number
}

/** The heartbeats of one amphora waiting for the next batch. */
interface Pending {
  /** The newest heartbeat: health is judged on it alone (the earlier ones would be overwritten). */
  document: HeartbeatDocument
  receivedAt: number
  count: number
  statistics: ListenerStatisticsAccumulator
}

/** Amphorae that may send heartbeats without a load balancer: spares being built or ready (operations.md §2). */
const SPARE_STATUSES = new Set(['READY', 'BOOTING', 'PENDING_CREATE'])

const RETRY_AFTER_FAILURE_MS = 1000

/**
 * Applies heartbeats to the database in batches (spec/heartbeat.md §4-5): while one batch is
 * written the next gathers, one entry per amphora. Each batch reads the views of its amphorae in
 * a few queries, derives statuses in arrival order (two amphorae of one LB: the later wins, as
 * upstream), then writes in one transaction only the statuses that changed, the health rows to
 * refresh and the statistics. The result is what writing each heartbeat in turn would leave.
 */
export class HeartbeatProcessor {
  readonly #options: Required<HeartbeatProcessorOptions>
  readonly #repository: HeartbeatRepository
  readonly #log: Logger
  #pending = new Map<string, Pending>()
  #running: Promise<void> | undefined
  #scheduled = false
  #timer: NodeJS.Timeout | undefined
  #stopped = false
  /** Instance deletes asked for (§5.2), by amphora: when, whether still running, whether it failed. */
  readonly #reaps = new Map<string, { at: number; running: boolean; failed: boolean }>()
  readonly #reaping = new Set<Promise<void>>()
  readonly #idle: Array<() => void> = []

  constructor(options: HeartbeatProcessorOptions) {
    this.#options = { batchSize: 2000, batchDelayMs: 20, maxPending: 200_000, reapIntervalMs: 60_000, ...options }
    this.#repository = new HeartbeatRepository(options.db, options.clock)
    this.#log = options.log
  }

  /** Queues an authentic heartbeat that arrived at `receivedAt` (ms since epoch). */
  add(document: HeartbeatDocument, receivedAt: number): void {
    if (this.#stopped) return
    let pending = this.#pending.get(document.id)
    if (!pending) {
      if (this.#pending.size >= this.#options.maxPending) {
        this.#options.counters.countDropped('overload')
        return
      }
      pending = { document, receivedAt, count: 0, statistics: new ListenerStatisticsAccumulator() }
      this.#pending.set(document.id, pending)
    }
    pending.document = document
    pending.receivedAt = receivedAt
    pending.count++
    pending.statistics.add(document)
    this.#schedule()
  }

  /** Resolves once everything queued so far is written (or dropped), and the instance deletes it asked for have ended. */
  async drained(): Promise<void> {
    if (this.#pending.size > 0 || this.#running || this.#scheduled) await new Promise<void>((resolve) => this.#idle.push(resolve))
    await Promise.all([...this.#reaping])
  }

  /** Writes what is queued, then accepts nothing more. */
  async stop(): Promise<void> {
    await this.drained()
    this.#stopped = true
  }

  #schedule(): void {
    if (this.#running) return
    if (this.#scheduled) {
      if (this.#pending.size >= this.#options.batchSize) this.#start()
      return
    }
    this.#scheduled = true
    // A batch costs about as much for 30 heartbeats as for 2000 (a few statements each way):
    // the first waits a little for others (the socket hands over 32 datagrams per event-loop turn).
    this.#timer = setTimeout(() => this.#start(), this.#options.batchDelayMs)
  }

  #start(): void {
    clearTimeout(this.#timer)
    this.#scheduled = false
    this.#running = this.#loop().finally(() => {
      this.#running = undefined
      if (this.#pending.size > 0) this.#schedule()
      else for (const resolve of this.#idle.splice(0)) resolve()
    })
  }

  async #loop(): Promise<void> {
    while (this.#pending.size > 0) {
      const batch = this.#take()
      try {
        await this.#apply(batch)
      } catch (err) {
        this.#options.counters.countDropped('failed', batch.reduce((n, [, p]) => n + p.count, 0))
        this.#log.error({ err, amphorae: batch.length }, 'heartbeat batch not written')
        await new Promise((resolve) => setTimeout(resolve, RETRY_AFTER_FAILURE_MS))
      }
    }
  }

  #take(): Array<[string, Pending]> {
    const batch: Array<[string, Pending]> = []
    for (const entry of this.#pending) {
      batch.push(entry)
      this.#pending.delete(entry[0])
      if (batch.length >= this.#options.batchSize) break
    }
    return batch.sort(([, a], [, b]) => a.receivedAt - b.receivedAt)
  }

  async #apply(batch: Array<[string, Pending]>): Promise<void> {
    const { counters, clock } = this.#options
    const views = await this.#repository.views(batch.map(([id]) => id))
    const now = clock.now()
    const statuses = new StatusLedger()
    const refresh: string[] = []
    const statistics: ListenerStatisticsRecord[] = []
    let applied = 0

    for (const [amphoraId, pending] of batch) {
      const amphora = views.amphorae.get(amphoraId)
      if (!amphora) {
        counters.countDropped('unknown', pending.count)
        this.#log.warn({ amphora_id: amphoraId }, 'heartbeat from an unknown amphora; the operator must delete it manually')
        continue
      }
      const timing: HealthTiming = { receivedAt: pending.receivedAt, now: now.getTime(), heartbeatIntervalMs: this.#options.heartbeatInterval * 1000 }
      const lb = amphora.status !== 'DELETED' && amphora.load_balancer_id !== null ? views.loadBalancers.get(amphora.load_balancer_id) : undefined
      applied += pending.count
      if (!lb) {
        if (amphora.load_balancer_id === null && SPARE_STATUSES.has(amphora.status)) this.#noteBare(amphora, pending, timing, refresh)
        else this.#reap(amphora, pending, timing, refresh)
        continue
      }
      const listenerIds = new Set(lb.listeners.map((l) => l.id))
      statistics.push(...pending.statistics.records(amphoraId, listenerIds))
      const plan = planHealthUpdate(lb, pending.document, timing)
      this.#notePlan(amphora, plan)
      if (plan.refresh) refresh.push(amphoraId)
      if (plan.derived) statuses.apply(lb, plan.derived.statuses)
    }

    const changes = statuses.changes()
    await this.#options.db.transaction(async (trx) => {
      await this.#repository.writeOperatingStatuses(changes, trx)
      await this.#repository.refreshHealth(refresh, now, trx)
      await this.#repository.addListenerStatistics(statistics, trx)
    })
    counters.countApplied(applied)
    if (changes.length > 0) this.#log.info({ changes: changes.length }, 'operating statuses updated from heartbeats')
  }

  #notePlan(amphora: HeartbeatAmphora, plan: HealthUpdatePlan): void {
    if (plan.late) {
      this.#options.counters.late++
      this.#log.warn({ amphora_id: amphora.id }, 'heartbeat processed later than heartbeat_interval after it arrived; ignored for health')
    }
    if (plan.mismatch) {
      this.#log.warn({ amphora_id: amphora.id, ...plan.mismatch }, 'heartbeat listener count differs from the database; health not refreshed')
    }
    if (plan.derived && plan.derived.unknown.length > 0) {
      this.#log.warn({ amphora_id: amphora.id, unknown: plan.derived.unknown }, 'heartbeat carries statuses the health manager does not know; left unchanged')
    }
  }

  #noteBare(amphora: HeartbeatAmphora, pending: Pending, timing: HealthTiming, refresh: string[]): void {
    const plan = planBareAmphoraUpdate(pending.document, timing)
    this.#notePlan(amphora, plan)
    if (plan.refresh) refresh.push(amphora.id)
  }

  /**
   * spec/heartbeat.md §5.2: asks the compute driver to delete the instance, in the background so
   * a slow host does not hold the batch, at most once per reapIntervalMs. While that delete has not
   * failed the heartbeat goes no further; once it has, the amphora is treated as one expected to
   * report no listener (its health row refreshed only if it reports none).
   */
  #reap(amphora: HeartbeatAmphora, pending: Pending, timing: HealthTiming, refresh: string[]): void {
    const { reaper, counters, reapIntervalMs } = this.#options
    const last = this.#reaps.get(amphora.id)
    if (last === undefined || (!last.running && timing.now - last.at >= reapIntervalMs)) {
      const state = { at: timing.now, running: true, failed: false }
      this.#reaps.set(amphora.id, state)
      const done: Promise<void> = reaper.deleteInstance(amphora).then(() => {
        counters.reaped++
        this.#log.info({ amphora_id: amphora.id, compute_id: amphora.compute_id }, 'deleted the instance of an amphora without a load balancer')
      }, (err: unknown) => {
        state.failed = true
        this.#log.warn({ err, amphora_id: amphora.id }, 'could not delete the instance of an amphora without a load balancer')
      }).finally(() => {
        state.running = false
        this.#reaping.delete(done)
      })
      this.#reaping.add(done)
      return
    }
    if (last.failed) this.#noteBare(amphora, pending, timing, refresh)
  }
}

/**
 * The statuses a batch decides, applied in turn to the views (so a later heartbeat of the same
 * LB sees what an earlier one decided), and in the end the rows that differ from the database.
 */
class StatusLedger {
  readonly #stored = new Map<string, { table: HealthTable; id: string; stored: OperatingStatus; row: { operating_status: OperatingStatus } }>()
  readonly #rows = new Map<HealthLoadBalancer, Map<string, { operating_status: OperatingStatus }>>()

  apply(lb: HealthLoadBalancer, statuses: readonly OperatingStatusChange[]): void {
    const rows = this.#rowsOf(lb)
    for (const { table, id, status } of statuses) {
      const key = `${table}:${id}`
      const row = rows.get(key)
      if (!row) continue
      if (!this.#stored.has(key)) this.#stored.set(key, { table, id, stored: row.operating_status, row })
      row.operating_status = status
    }
  }

  /** Only what changed; upstream compares case-insensitively. */
  changes(): OperatingStatusChange[] {
    return [...this.#stored.values()]
      .filter((e) => e.row.operating_status.toLowerCase() !== e.stored.toLowerCase())
      .map((e) => ({ table: e.table, id: e.id, status: e.row.operating_status }))
  }

  #rowsOf(lb: HealthLoadBalancer): Map<string, { operating_status: OperatingStatus }> {
    let rows = this.#rows.get(lb)
    if (!rows) {
      rows = new Map<string, { operating_status: OperatingStatus }>([[`load_balancer:${lb.id}`, lb]])
      for (const listener of lb.listeners) rows.set(`listener:${listener.id}`, listener)
      for (const pool of lb.pools) {
        rows.set(`pool:${pool.id}`, pool)
        for (const member of pool.members) rows.set(`member:${member.id}`, member)
      }
      this.#rows.set(lb, rows)
    }
    return rows
  }
}
