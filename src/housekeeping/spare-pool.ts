import type { Clock } from '../common/clock.ts'
import type { Logger } from '../common/logger.ts'
import type { Database, Transaction } from '../db/database.ts'
import { HousekeepingRepository } from '../db/repositories/housekeeping-repository.ts'
import type { Schema } from '../db/schema.ts'

/**
 * Builds spare amphorae: a spare is an amphora without a load balancer (BOOTING while it is built,
 * READY after) whose haproxy, state directory and certificates are ready on an agent, so a load
 * balancer create only pushes its configuration. The amphora provider implements it with the
 * compute driver; `start` runs inside the transaction that holds the spare-pool lock, so it should
 * only record what to build (amphora rows, jobs), not build.
 */
export interface SpareAmphoraBuilder {
  /** Resolves the jobs it queued (fewer than `count` when hosts have no room); void: `count` builds, nothing to announce. */
  start(trx: Transaction<Schema>, request: { count: number; zone: string | null }): Promise<SpareBuilds | void>
}

export interface SpareBuilds {
  /** The build jobs queued, announced to the workers once the transaction commits. */
  job_ids: readonly string[]
}

export interface SparePoolOptions {
  db: Database
  clock: Clock
  log: Logger
  /** [house_keeping] spare_amphora_pool_size, per compute zone; 0 = no spares. */
  poolSize: number
  /** [nova] availability_zone: the zone of amphorae built without one. */
  defaultZone: string | null
  /** Absent until the amphora provider can build spares: the check then only reports what is missing. */
  builder?: SpareAmphoraBuilder
  /**
   * [health_manager] heartbeat_timeout (s): a READY spare not heard from for that long is
   * retired (DELETED) before counting. Absent: spares are not retired.
   */
  heartbeatTimeout?: number
  /** Tells the workers about a queued build job (they poll anyway). */
  announce?: (jobId: string) => void
}

export interface SpareZone {
  zone: string | null
  spares: number
  /** Builds started in this check. */
  started: number
}

/**
 * The spare-pool check of spec/operations.md §2 (historical upstream behaviour, kept here): under
 * the spare-pool row lock, retires READY spares whose host stopped reporting, counts per compute
 * zone the amphorae without a load balancer that are READY or being built, and starts the builds
 * that bring each zone to spare_amphora_pool_size.
 */
export class SparePool {
  readonly #repository: HousekeepingRepository
  #warned = false

  constructor(private readonly options: SparePoolOptions) {
    this.#repository = new HousekeepingRepository(options.db, options.clock)
  }

  async check(): Promise<SpareZone[]> {
    const { db, log, poolSize, builder, heartbeatTimeout } = this.options
    if (poolSize <= 0) return []
    const jobs: string[] = []
    let retired: string[] = []
    const result = await db.transaction(async (trx) => {
      jobs.length = 0
      await this.#repository.lockSparesPool(trx)
      retired = []
      if (heartbeatTimeout !== undefined) {
        retired = await this.#repository.retireSilentSpares(trx, new Date(this.options.clock.now().getTime() - heartbeatTimeout * 1000))
      }
      const zones = await this.#zones(trx)
      const counts = await this.#repository.countSpares(trx)
      const out: SpareZone[] = []
      for (const zone of zones) {
        const spares = counts.get(zone) ?? 0
        const missing = Math.max(0, poolSize - spares)
        let started = 0
        if (missing > 0 && builder) {
          const builds = await builder.start(trx, { count: missing, zone })
          started = builds ? builds.job_ids.length : missing
          if (builds) jobs.push(...builds.job_ids)
        }
        out.push({ zone, spares, started })
      }
      await this.#repository.touchSparesPool(trx, this.options.clock.now())
      return out
    })
    if (retired.length > 0) log.warn({ retired, heartbeat_timeout: heartbeatTimeout }, 'spare amphorae whose host stopped reporting retired')
    for (const id of jobs) this.options.announce?.(id)
    const missing = result.reduce((n, z) => n + Math.max(0, poolSize - z.spares), 0)
    if (!builder && missing > 0 && !this.#warned) {
      this.#warned = true
      log.warn({ spare_amphora_pool_size: poolSize, missing }, 'spare amphorae missing, but the amphora provider cannot build spares yet')
    }
    const started = result.reduce((n, z) => n + z.started, 0)
    if (started > 0) log.info({ zones: result }, 'spare amphora builds started')
    return result
  }

  /** Enabled availability zones' compute zones, else the default zone (operations.md §2). */
  async #zones(trx: Transaction<Schema>): Promise<Array<string | null>> {
    const zones: Array<string | null> = await this.#repository.computeZones(trx)
    if (zones.length === 0) zones.push(this.options.defaultZone)
    return zones
  }
}
