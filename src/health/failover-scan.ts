import type { Clock } from '../common/clock.ts'
import type { Logger } from '../common/logger.ts'
import type { Database } from '../db/database.ts'
import { DatabaseBusy, DatabaseUnavailable } from '../db/errors.ts'
import { AmphoraHealthRepository, FAILOVER_CANDIDATE_STATUSES } from '../db/repositories/amphora-health-repository.ts'
import { JobRepository } from '../db/repositories/job-repository.ts'
import { setProvisioningStatus } from '../db/repositories/provisioning-status.ts'

export interface FailoverScanOptions {
  db: Database
  clock: Clock
  log: Logger
  /** [health_manager] heartbeat_timeout (s). */
  heartbeatTimeout: number
  /** [health_manager] failover_threads: failovers of this health manager in progress at once. */
  failoverThreads: number
  /** [health_manager] failover_threshold: this many expired amphorae stop all failovers; null = never. */
  failoverThreshold: number | null
  /** Called with each queued job's id, so an in-process worker can start it now. */
  onJobQueued?: (jobId: string) => void
}

export interface ScanResult {
  recovered: number
  expired: number
  /** Amphorae the circuit breaker set FAILOVER_STOPPED in this scan. */
  stopped: number
  breakerOpen: boolean
  /** Failover jobs queued by this scan. */
  queued: Array<{ job_id: string; amphora_id: string; load_balancer_id: string | null }>
  /** This health manager's failovers still in progress after the scan. */
  inFlight: number
}

/** The load balancer had another operation in progress: undo the claim, end the scan (§6.2 step 5). */
class LoadBalancerBusy extends Error {}

const FINISHED = new Set(['succeeded', 'failed', 'reverted'])

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1))
    ;[items[i], items[j]] = [items[j]!, items[i]!]
  }
  return items
}

/**
 * One health manager's stale-amphora scan (spec/heartbeat.md §6.2-6.3). Failovers are jobs of the
 * durable worker (`amphora.failover`), queued in the transaction that claims the amphora and
 * moves its load balancer to PENDING_UPDATE, so several health managers never fail one amphora
 * over twice. At most failover_threads of this manager's failovers are in progress at once: a
 * scan queues only as many as have finished since (upstream waits for its whole batch instead).
 */
export class FailoverScan {
  readonly #options: FailoverScanOptions
  readonly #health: AmphoraHealthRepository
  readonly #jobs: JobRepository
  readonly #inFlight = new Set<string>()

  constructor(options: FailoverScanOptions) {
    this.#options = options
    this.#health = new AmphoraHealthRepository(options.db, options.clock)
    this.#jobs = new JobRepository(options.db, options.clock)
  }

  async scan(): Promise<ScanResult> {
    const { clock, log, heartbeatTimeout, failoverThreads, failoverThreshold } = this.#options
    const olderThan = new Date(clock.now().getTime() - heartbeatTimeout * 1000)
    const result: ScanResult = { recovered: 0, expired: 0, stopped: 0, breakerOpen: false, queued: [], inFlight: 0 }

    result.recovered = await this.#health.recoverStopped(olderThan)
    if (result.recovered > 0) log.info({ recovered: result.recovered }, 'amphorae heard from again: FAILOVER_STOPPED back to ALLOCATED')

    const expired = await this.#health.expired(olderThan)
    result.expired = expired.length
    if (failoverThreshold !== null && expired.length >= failoverThreshold) {
      result.breakerOpen = true
      result.stopped = await this.#health.stopFailovers(expired.map((e) => e.amphora_id))
      log.error({ expired: expired.length, failover_threshold: failoverThreshold, stopped: result.stopped },
        'too many amphorae without heartbeats at once: automatic failover stopped (FAILOVER_STOPPED) until they report again')
      result.inFlight = await this.#refreshInFlight()
      return result
    }

    const free = failoverThreads - await this.#refreshInFlight()
    const candidates = shuffle(expired.filter((e) => (FAILOVER_CANDIDATE_STATUSES as readonly (string | null)[]).includes(e.status)))
    for (const candidate of candidates) {
      if (result.queued.length >= free) break
      const queued = await this.#failover(candidate.amphora_id, olderThan)
      if (queued === 'busy') break
      if (queued) {
        result.queued.push(queued)
        this.#inFlight.add(queued.job_id)
        log.warn({ amphora_id: queued.amphora_id, load_balancer_id: queued.load_balancer_id, job_id: queued.job_id },
          'amphora stopped sending heartbeats: failover queued')
        this.#options.onJobQueued?.(queued.job_id)
      }
    }
    result.inFlight = this.#inFlight.size
    return result
  }

  /** Claims the amphora and queues its failover; undefined if another health manager has it, 'busy' if its LB is. */
  async #failover(amphoraId: string, olderThan: Date): Promise<ScanResult['queued'][number] | undefined | 'busy'> {
    const { db, clock } = this.#options
    try {
      return await db.transaction(async (trx) => {
        const amphora = await this.#health.claim(trx, amphoraId, olderThan)
        if (!amphora) return undefined
        const lbId = amphora.load_balancer_id
        if (lbId !== null && !await setProvisioningStatus(trx, 'load_balancer', lbId, 'PENDING_UPDATE', { from: ['ACTIVE', 'ERROR'], at: clock.now() })) {
          throw new LoadBalancerBusy()
        }
        const job = await this.#jobs.enqueue(trx, { kind: 'amphora.failover', target_type: 'amphora', target_id: amphoraId, load_balancer_id: lbId })
        return { job_id: job.id, amphora_id: amphoraId, load_balancer_id: lbId }
      })
    } catch (err) {
      if (err instanceof LoadBalancerBusy) return 'busy'
      throw err
    }
  }

  /** Forgets this manager's failovers that have ended; resolves how many are still in progress. */
  async #refreshInFlight(): Promise<number> {
    for (const id of [...this.#inFlight]) {
      const job = await this.#jobs.get(id)
      if (!job || FINISHED.has(job.state)) this.#inFlight.delete(id)
    }
    return this.#inFlight.size
  }
}

export interface FailoverLoop {
  /** Resolves after the scan in progress, if any, has ended. */
  stop(): Promise<void>
}

/**
 * Runs scans for ever (spec/heartbeat.md §6.2): the first after `firstDelayMs` (upstream waits
 * heartbeat_timeout, so amphorae can report after a restart), then every health_check_interval
 * from the end of the previous one. A busy database skips a scan; a lost one waits for
 * heartbeat_timeout after it returns, since heartbeats could not be recorded meanwhile.
 */
export function startFailoverLoop(scan: FailoverScan, options: {
  db: Database; log: Logger; intervalMs: number; firstDelayMs: number; heartbeatTimeoutMs: number
}): FailoverLoop {
  let stopped = false
  let timer: NodeJS.Timeout | undefined
  let wake: (() => void) | undefined
  const sleep = (ms: number) => new Promise<void>((resolve) => {
    wake = resolve
    timer = setTimeout(resolve, ms)
  })
  const run = async () => {
    await sleep(options.firstDelayMs)
    let unavailable = false
    while (!stopped) {
      try {
        if (unavailable) {
          await options.db.ping()
          unavailable = false
          options.log.info({ wait_s: options.heartbeatTimeoutMs / 1000 }, 'database back: failover scans resume after heartbeat_timeout')
          await sleep(options.heartbeatTimeoutMs)
          continue
        }
        await scan.scan()
      } catch (err) {
        if (err instanceof DatabaseUnavailable) {
          if (!unavailable) options.log.error({ err }, 'database unavailable: failover scans wait for it')
          unavailable = true
        } else if (err instanceof DatabaseBusy) {
          options.log.warn({ err }, 'database busy: failover scan skipped')
        } else {
          options.log.error({ err }, 'failover scan failed')
        }
      }
      if (!stopped) await sleep(options.intervalMs)
    }
  }
  const running = run()
  return {
    stop: async () => {
      stopped = true
      clearTimeout(timer)
      wake?.()
      await running
    },
  }
}
