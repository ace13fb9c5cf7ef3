import type { Clock } from '../common/clock.ts'
import type { Logger } from '../common/logger.ts'
import type { Database } from '../db/database.ts'
import { HousekeepingRepository } from '../db/repositories/housekeeping-repository.ts'
import { LoadBalancerRepository } from '../db/repositories/load-balancer-repository.ts'

export interface DatabaseCleanupOptions {
  db: Database
  clock: Clock
  log: Logger
  /** [house_keeping] amphora_expiry_age (s). */
  amphoraExpiryAge: number
  /** [house_keeping] load_balancer_expiry_age (s). */
  loadBalancerExpiryAge: number
}

export interface CleanupResult {
  amphorae: number
  loadBalancers: number
  /** Statistics rows of listeners that are gone (ours: listener_statistics has no foreign key). */
  statistics: number
}

/**
 * spec/operations.md §1.1: purges DELETED amphorae, then DELETED load balancers (with everything
 * under them), once their rows are older than the expiry ages. An amphora whose health row is
 * newer than the age is kept: its instance still reports.
 */
export class DatabaseCleanup {
  readonly #repository: HousekeepingRepository
  readonly #loadBalancers: LoadBalancerRepository

  constructor(private readonly options: DatabaseCleanupOptions) {
    this.#repository = new HousekeepingRepository(options.db, options.clock)
    this.#loadBalancers = new LoadBalancerRepository(options.db, options.clock)
  }

  async run(): Promise<CleanupResult> {
    const { clock, log, amphoraExpiryAge, loadBalancerExpiryAge } = this.options
    const now = clock.now().getTime()
    const result: CleanupResult = { amphorae: 0, loadBalancers: 0, statistics: 0 }
    const amphoraAge = new Date(now - amphoraExpiryAge * 1000)
    for (const id of await this.#repository.deletedAmphorae(amphoraAge)) {
      if (await this.#repository.purgeAmphora(id, amphoraAge)) result.amphorae++
      else log.info({ amphora_id: id }, 'deleted amphora kept: it still sends heartbeats')
    }
    for (const id of await this.#repository.deletedLoadBalancers(new Date(now - loadBalancerExpiryAge * 1000))) {
      if (await this.#loadBalancers.delete(id)) result.loadBalancers++
    }
    result.statistics = await this.#repository.purgeOrphanStatistics()
    if (result.amphorae + result.loadBalancers + result.statistics > 0) log.info({ ...result }, 'purged expired rows')
    return result
  }
}
