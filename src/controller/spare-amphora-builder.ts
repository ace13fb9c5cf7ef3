import type { Clock } from '../common/clock.ts'
import type { Logger } from '../common/logger.ts'
import type { Database, Transaction } from '../db/database.ts'
import { AmphoraRepository } from '../db/repositories/amphora-repository.ts'
import { JobRepository } from '../db/repositories/job-repository.ts'
import type { Schema } from '../db/schema.ts'
import { NoHostAvailable, type ComputeDriver } from '../drivers/compute/local-agent-compute.ts'
import type { SpareAmphoraBuilder, SpareBuilds } from '../housekeeping/spare-pool.ts'

export const BUILD_SPARE_KIND = 'amphora.build_spare'

export interface AmphoraSpareBuilderOptions {
  db: Database
  clock: Clock
  log: Logger
  /** Where spares go: the host agents (only scheduling is needed here, no agent credentials). */
  scheduler: Pick<ComputeDriver, 'schedule'>
  /** [controller_worker] amp_flavor_id and amp_image_tag, recorded on each amphora like the ones built for a load balancer. */
  amp_flavor_id: string
  amp_image_tag: string
}

/**
 * The amphora provider's spare builds (spec/operations.md §2): in the spare-pool check's
 * transaction, each spare is an amphora row (BOOTING, no load balancer, no role, in the zone,
 * scheduled onto a host agent) and an `amphora.build_spare` job that a worker runs. A spare is
 * scheduled like any amphora, so it takes room on its host; when no host has room the check
 * starts fewer builds and the next one tries again.
 */
export class AmphoraSpareBuilder implements SpareAmphoraBuilder {
  readonly #amphorae: AmphoraRepository
  readonly #jobs: JobRepository

  constructor(private readonly options: AmphoraSpareBuilderOptions) {
    this.#amphorae = new AmphoraRepository(options.db, options.clock)
    this.#jobs = new JobRepository(options.db, options.clock)
  }

  async start(trx: Transaction<Schema>, request: { count: number; zone: string | null }): Promise<SpareBuilds> {
    const { scheduler, log } = this.options
    const jobIds: string[] = []
    for (let i = 0; i < request.count; i++) {
      let agent
      try {
        // Inside the transaction: the rows recorded so far count against their host's room.
        agent = await scheduler.schedule(trx)
      } catch (err) {
        if (!(err instanceof NoHostAvailable)) throw err
        log.warn({ zone: request.zone, wanted: request.count, started: jobIds.length }, 'no host agent has room for more spare amphorae')
        break
      }
      const amphora = await this.#amphorae.create({
        load_balancer_id: null, compute_id: agent.id, lb_network_ip: agent.address, role: null, status: 'BOOTING', cached_zone: request.zone,
        compute_flavor: this.options.amp_flavor_id || null, image_id: this.options.amp_image_tag || null,
      }, trx)
      const job = await this.#jobs.enqueue(trx, { kind: BUILD_SPARE_KIND, target_type: 'amphora', target_id: amphora.id, load_balancer_id: null })
      jobIds.push(job.id)
    }
    return { job_ids: jobIds }
  }
}
