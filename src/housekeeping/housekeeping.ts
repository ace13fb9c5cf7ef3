import type { Clock } from '../common/clock.ts'
import type { Logger } from '../common/logger.ts'
import type { OctaviaConfig } from '../config/schema.ts'
import type { Database } from '../db/database.ts'
import { CertificateRotation, type AmphoraCertificateRotator } from './certificate-rotation.ts'
import { DatabaseCleanup } from './database-cleanup.ts'
import { startPeriodicTask } from './periodic-task.ts'
import { SparePool, type SpareAmphoraBuilder } from './spare-pool.ts'

export interface HousekeepingDeps {
  config: OctaviaConfig
  db: Database
  clock: Clock
  log: Logger
  spareBuilder?: SpareAmphoraBuilder
  /** Tells the workers about a queued job (spare builds). */
  announce?: (jobId: string) => void
  certificateRotator?: AmphoraCertificateRotator
}

export interface Housekeeping {
  readonly cleanup: DatabaseCleanup
  readonly spares: SparePool
  readonly certificates: CertificateRotation
  stop(): Promise<void>
}

/**
 * `octavia housekeeping` (spec/operations.md §1-2): database clean-up every cleanup_interval,
 * the spare-pool check every spare_check_interval (when spare_amphora_pool_size > 0) and
 * certificate rotation every cert_interval, each its own loop.
 */
export function startHousekeeping(deps: HousekeepingDeps): Housekeeping {
  const options = deps.config.house_keeping
  const log = deps.log.child({ component: 'housekeeping' })
  const { db, clock } = deps
  const cleanup = new DatabaseCleanup({
    db, clock, log, amphoraExpiryAge: options.amphora_expiry_age, loadBalancerExpiryAge: options.load_balancer_expiry_age,
  })
  const spares = new SparePool({
    db, clock, log, poolSize: options.spare_amphora_pool_size, defaultZone: deps.config.nova.availability_zone,
    ...(deps.spareBuilder ? { builder: deps.spareBuilder } : {}),
    heartbeatTimeout: deps.config.health_manager.heartbeat_timeout,
    ...(deps.announce ? { announce: deps.announce } : {}),
  })
  const certificates = new CertificateRotation({
    db, clock, log, expiryBuffer: options.cert_expiry_buffer, threads: options.cert_rotate_threads,
    ...(deps.certificateRotator ? { rotator: deps.certificateRotator } : {}),
  })
  const tasks = [
    startPeriodicTask('cleanup', options.cleanup_interval * 1000, () => cleanup.run(), log),
    ...(options.spare_amphora_pool_size > 0 ? [startPeriodicTask('spares', options.spare_check_interval * 1000, () => spares.check(), log)] : []),
    startPeriodicTask('certificates', options.cert_interval * 1000, () => certificates.run(), log),
  ]
  log.info({ spare_amphora_pool_size: options.spare_amphora_pool_size }, 'housekeeping started')
  return {
    cleanup, spares, certificates,
    stop: async () => {
      await Promise.all(tasks.map((task) => task.stop()))
    },
  }
}
