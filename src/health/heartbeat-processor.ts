import type { Clock } from '../common/clock.ts'
import type { Logger } from '../common/logger.ts'
import type { OperatingStatus } from '../common/statuses.ts'
import type { Database } from '../db/database.ts'
import {
  HeartbeatRepository, type HealthLoadBalancer, type HealthTable, type HeartbeatAmphora, type OperatingStatusChange,
} from '../db/repositories/heartbeat-repository.ts'
import type { AmphoraReaper } from './amphora-reaper.ts'
import type { HeartbeatCounters } from './heartbeat-counters.ts'
import type { HeartbeatDocument } from './heartbeat-document.ts'
import { StatisticsBuffer } from './listener-statistics-accumulator.ts'
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
  /** How long the first heartbeat of a batch waits for others (ms, default 100); a full batch goes at once. */
  batchDelayMs?: number
  /** Amphorae waiting at most; heartbeats from further amphorae are dropped (default 200 000). */
  maxPending?: number
  /** An amphora's instance is not asked to be deleted again before this many ms (default 60 s). */
  reapIntervalMs?: number
  /** Listener statistics are written at least this often (ms, default 5000), and when drained. */
  statisticsFlushMs?: number
}

/** The heartbeats of one amphora waiting for the next batch. */
interface Pending {
  /** The newest heartbeat: health is judged on it alone (the earlier ones would be overwritten). */
  document: HeartbeatDocument
  receivedAt: number
  count: number
  /** The heartbeats before the newest, oldest first, for their statistics; mostly none. */
  earlier: HeartbeatDocument[] | undefined
}

/** Amphorae that may send heartbeats without a load balancer: spares being built or ready (operations.md §2). */
const SPARE_STATUSES = new Set(['READY', 'BOOTING', 'PENDING_CREATE'])

const RETRY_AFTER_FAILURE_MS = 1000

/** A kept view is read again from the database after this long whatever its stamp says (ms). */
const VIEW_TTL_MS = 60_000
/** How far back before the last look changed load balancers are looked for (ms). */
const CHANGE_MARGIN_MS = 60_000

/** A load balancer's view kept between batches: as read, then with the operating statuses this process wrote. */
interface KeptView {
  lb: HealthLoadBalancer
  /** Its rows by table and id, for the status ledger. */
  rows: Record<HealthTable, Map<string, StatusRow>>
  listenerIds: ReadonlySet<string>
  /** When it was read (ms since epoch). */
  readAt: number
}

interface StatusRow {
  table: HealthTable
  id: string
  row: { operating_status: OperatingStatus }
}

function keep(lb: HealthLoadBalancer, readAt: number): KeptView {
  const rows: KeptView['rows'] = { load_balancer: new Map(), listener: new Map(), pool: new Map(), member: new Map() }
  rows.load_balancer.set(lb.id, { table: 'load_balancer', id: lb.id, row: lb })
  for (const listener of lb.listeners) rows.listener.set(listener.id, { table: 'listener', id: listener.id, row: listener })
  for (const pool of lb.pools) {
    rows.pool.set(pool.id, { table: 'pool', id: pool.id, row: pool })
    for (const member of pool.members) rows.member.set(member.id, { table: 'member', id: member.id, row: member })
  }
  return { lb, rows, listenerIds: new Set(lb.listeners.map((l) => l.id)), readAt }
}

/**
 * Applies heartbeats to the database in batches (spec/heartbeat.md §4-5): while one batch is
 * written the next gathers, one entry per amphora. The views of the batch's load balancers come
 * from memory when their stamp (provisioning status, updated_at: one small query per batch)
 * shows no change since they were read, else from the database; statuses are derived in arrival
 * order (two amphorae of one LB: the later wins, as upstream) against the statuses last read or
 * written, and only those that changed are written, in one transaction with the health rows to
 * refresh. Listener statistics are summed in memory and written every statisticsFlushMs. The
 * database ends as if each heartbeat had been processed on its own.
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
  /** Views kept between batches, by load balancer id. */
  readonly #views = new Map<string, KeptView>()
  /** Amphorae with a live load balancer, as read, by id. */
  readonly #amphorae = new Map<string, HeartbeatAmphora>()
  /**
   * An amphora's amphora_health row is not written again before this long (ms): half of
   * heartbeat_interval, the time an amphora waits between two heartbeats, so only a sender
   * faster than that is affected; its stored last_update then trails its newest heartbeat by
   * less than this, well inside heartbeat_timeout.
   */
  readonly #healthWriteIntervalMs: number
  /** When this process last wrote each amphora's health row (ms since epoch). */
  readonly #healthWritten = new Map<string, number>()
  readonly #statistics = new StatisticsBuffer()
  #statisticsWritten = 0
  /** When changed load balancers were last looked for (ms since epoch). */
  #lookedAt = Infinity
  #forgotten = 0
  #statisticsTimer: NodeJS.Timeout | undefined
  /** Set by drained(): write the statistics without waiting for their interval. */
  #flushStatistics = false

  constructor(options: HeartbeatProcessorOptions) {
    this.#options = { batchSize: 2000, batchDelayMs: 100, maxPending: 200_000, reapIntervalMs: 60_000, statisticsFlushMs: 5000, ...options }
    this.#repository = new HeartbeatRepository(options.db, options.clock)
    this.#log = options.log
    this.#healthWriteIntervalMs = options.heartbeatInterval * 500
  }

  /** Queues an authentic heartbeat that arrived at `receivedAt` (ms since epoch). */
  add(document: HeartbeatDocument, receivedAt: number): void {
    if (this.#stopped) return
    const pending = this.#pending.get(document.id)
    if (!pending) {
      if (this.#pending.size >= this.#options.maxPending) {
        this.#options.counters.countDropped('overload')
        return
      }
      this.#pending.set(document.id, { document, receivedAt, count: 1, earlier: undefined })
      this.#schedule()
      return
    }
    pending.earlier ??= []
    pending.earlier.push(pending.document)
    pending.document = document
    pending.receivedAt = receivedAt
    pending.count++
    this.#schedule()
  }

  /** Resolves once everything queued so far is written (or dropped), statistics included, and the instance deletes it asked for have ended. */
  async drained(): Promise<void> {
    this.#flushStatistics = true
    for (;;) {
      // A batch waiting for others goes now.
      if (this.#scheduled) this.#start()
      if (this.#pending.size > 0 || this.#running || this.#scheduled) await new Promise<void>((resolve) => this.#idle.push(resolve))
      if (this.#statistics.size === 0 || this.#stopped) break
      if (!this.#running && !this.#scheduled) this.#start()
    }
    this.#flushStatistics = false
    await Promise.all([...this.#reaping])
  }

  /** Writes what is queued, then accepts nothing more. */
  async stop(): Promise<void> {
    await this.drained()
    this.#stopped = true
    clearTimeout(this.#statisticsTimer)
  }

  #schedule(): void {
    if (this.#running) return
    if (this.#scheduled) {
      if (this.#pending.size >= this.#options.batchSize) this.#start()
      return
    }
    this.#scheduled = true
    // Each batch costs a few statements whatever its size: the first heartbeat waits a little for
    // others (the socket hands over 32 datagrams per event-loop turn). Nothing is late for 1 s.
    this.#timer = setTimeout(() => this.#start(), this.#options.batchDelayMs)
  }

  #start(): void {
    clearTimeout(this.#timer)
    clearTimeout(this.#statisticsTimer)
    this.#statisticsTimer = undefined
    this.#scheduled = false
    this.#running = this.#loop().finally(() => {
      this.#running = undefined
      if (this.#pending.size > 0) {
        this.#schedule()
        return
      }
      // Statistics still buffered are written when due even if no heartbeat comes.
      if (this.#statistics.size > 0 && !this.#stopped) {
        const wait = Math.max(0, this.#statisticsWritten + this.#options.statisticsFlushMs - this.#options.clock.now().getTime())
        this.#statisticsTimer = setTimeout(() => { if (!this.#running && !this.#scheduled) this.#start() }, wait)
      }
      for (const resolve of this.#idle.splice(0)) resolve()
    })
  }

  #statisticsDue(now: number): boolean {
    return this.#statistics.size > 0 && (this.#flushStatistics || now - this.#statisticsWritten >= this.#options.statisticsFlushMs)
  }

  async #loop(): Promise<void> {
    while (this.#pending.size > 0 || this.#statisticsDue(this.#options.clock.now().getTime())) {
      const batch = this.#take()
      try {
        await this.#apply(batch)
      } catch (err) {
        // What this process remembers of the database may not be what it holds now.
        this.#views.clear()
        this.#amphorae.clear()
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

  /**
   * The batch's amphorae (those unknown left out), their load balancers' views up to date: a kept
   * view whose load balancer changed since it was read, or older than VIEW_TTL_MS, is read again
   * with its amphorae; the others cost no query.
   */
  async #resolve(amphoraIds: readonly string[], now: number): Promise<Map<string, HeartbeatAmphora>> {
    if (this.#views.size > 0) await this.#dropChangedViews(now)
    const amphorae = new Map<string, HeartbeatAmphora>()
    const toRead: string[] = []
    for (const id of amphoraIds) {
      const amphora = this.#amphorae.get(id)
      const view = amphora?.load_balancer_id ? this.#views.get(amphora.load_balancer_id) : undefined
      if (amphora && view && now - view.readAt < VIEW_TTL_MS) amphorae.set(id, amphora)
      else toRead.push(id)
    }
    if (toRead.length === 0) return amphorae
    const read = await this.#repository.views(toRead)
    for (const [lbId, lb] of read.loadBalancers) this.#views.set(lbId, keep(lb, now))
    for (const id of toRead) {
      const amphora = read.amphorae.get(id)
      if (!amphora) {
        this.#amphorae.delete(id)
        continue
      }
      amphorae.set(id, amphora)
      if (amphora.status !== 'DELETED' && amphora.load_balancer_id !== null && read.loadBalancers.has(amphora.load_balancer_id)) this.#amphorae.set(id, amphora)
      else this.#amphorae.delete(id)
    }
    return amphorae
  }

  /**
   * Drops the kept views of load balancers changed since the last look, in one query: those whose
   * updated_at is after it, less CHANGE_MARGIN_MS (writers' clocks and transactions still open
   * when it was taken), and differs from the kept one.
   */
  async #dropChangedViews(now: number): Promise<void> {
    const since = new Date(Math.min(this.#lookedAt, now) - CHANGE_MARGIN_MS)
    this.#lookedAt = now
    for (const stamp of await this.#repository.loadBalancersChangedSince(since)) {
      const lb = this.#views.get(stamp.id)?.lb
      if (lb && (stamp.provisioning_status !== lb.provisioning_status || stamp.updated_at?.getTime() !== lb.updated_at?.getTime())) this.#views.delete(stamp.id)
    }
  }

  async #apply(batch: Array<[string, Pending]>): Promise<void> {
    const { counters, clock } = this.#options
    const now = clock.now()
    const nowMs = now.getTime()
    const amphorae = batch.length > 0 ? await this.#resolve(batch.map(([id]) => id), nowMs) : new Map<string, HeartbeatAmphora>()
    const statuses = new StatusLedger()
    const refresh: string[] = []
    let applied = 0

    for (const [amphoraId, pending] of batch) {
      const amphora = amphorae.get(amphoraId)
      if (!amphora) {
        counters.countDropped('unknown', pending.count)
        this.#log.warn({ amphora_id: amphoraId }, 'heartbeat from an unknown amphora; the operator must delete it manually')
        continue
      }
      const timing: HealthTiming = { receivedAt: pending.receivedAt, now: nowMs, heartbeatIntervalMs: this.#options.heartbeatInterval * 1000 }
      const view = amphora.status !== 'DELETED' && amphora.load_balancer_id !== null ? this.#views.get(amphora.load_balancer_id) : undefined
      applied += pending.count
      if (!view) {
        if (amphora.load_balancer_id === null && SPARE_STATUSES.has(amphora.status)) this.#noteBare(amphora, pending, timing, refresh)
        else this.#reap(amphora, pending, timing, refresh)
        continue
      }
      if (pending.earlier) for (const document of pending.earlier) this.#statistics.add(document, view.listenerIds)
      this.#statistics.add(pending.document, view.listenerIds)
      const plan = planHealthUpdate(view.lb, pending.document, timing)
      this.#notePlan(amphora, plan)
      if (plan.refresh) refresh.push(amphoraId)
      if (plan.derived) statuses.apply(view, plan.derived.statuses)
    }

    const changes = statuses.changes()
    // Health rows written less than #healthWriteIntervalMs ago are left as they are.
    const healthRows = refresh.filter((id) => !(nowMs - (this.#healthWritten.get(id) ?? -Infinity) < this.#healthWriteIntervalMs))
    const statistics = this.#statisticsDue(nowMs) ? this.#statistics.take() : []
    if (statistics.length > 0) this.#statisticsWritten = nowMs
    // If this fails the statistics taken are lost with the batch, as its heartbeats are.
    if (changes.length > 0 || healthRows.length > 0 || statistics.length > 0) {
      await this.#options.db.transaction(async (trx) => {
        await this.#repository.writeOperatingStatuses(changes, trx)
        await this.#repository.refreshHealth(healthRows, now, trx)
        await this.#repository.addListenerStatistics(statistics, trx)
      })
    }
    for (const id of healthRows) this.#healthWritten.set(id, nowMs)
    // A load balancer's own status written moved its updated_at: its view is read again next time.
    for (const change of changes) if (change.table === 'load_balancer') this.#views.delete(change.id)
    if (batch.length > 0) counters.countApplied(applied)
    if (changes.length > 0) this.#log.info({ changes: changes.length }, 'operating statuses updated from heartbeats')
    if (nowMs - this.#forgotten >= VIEW_TTL_MS) this.#forget(nowMs)
  }

  /** Drops what is kept about amphorae and load balancers not heard from lately. */
  #forget(now: number): void {
    this.#forgotten = now
    for (const [id, at] of this.#healthWritten) if (now - at >= this.#healthWriteIntervalMs) this.#healthWritten.delete(id)
    for (const [id, view] of this.#views) if (now - view.readAt >= VIEW_TTL_MS) this.#views.delete(id)
    for (const [id, amphora] of this.#amphorae) if (!this.#views.has(amphora.load_balancer_id!)) this.#amphorae.delete(id)
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
 * The statuses a batch decides, applied in turn to the kept views (so a later heartbeat of the
 * same LB sees what an earlier one decided), and in the end the rows that differ from what the
 * views held before the batch.
 */
class StatusLedger {
  readonly #before = new Map<StatusRow, OperatingStatus>()

  apply(view: KeptView, statuses: readonly OperatingStatusChange[]): void {
    for (const { table, id, status } of statuses) {
      const entry = view.rows[table].get(id)
      if (!entry) continue
      if (!this.#before.has(entry)) this.#before.set(entry, entry.row.operating_status)
      entry.row.operating_status = status
    }
  }

  /** Only what changed; upstream compares case-insensitively. */
  changes(): OperatingStatusChange[] {
    const changes: OperatingStatusChange[] = []
    for (const [entry, before] of this.#before) {
      const status = entry.row.operating_status
      if (status !== before && status.toLowerCase() !== before.toLowerCase()) changes.push({ table: entry.table, id: entry.id, status })
    }
    return changes
  }
}
