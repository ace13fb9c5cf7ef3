import type { Clock } from '../common/clock.ts'
import type { Logger } from '../common/logger.ts'
import type { Database } from '../db/database.ts'
import type { Amphora } from '../db/repositories/amphora-repository.ts'
import { AmphoraRepository } from '../db/repositories/amphora-repository.ts'
import { HousekeepingRepository } from '../db/repositories/housekeeping-repository.ts'

/**
 * Gives an amphora a new server certificate without interrupting its traffic (spec/flows.md §7.2:
 * a new certificate and key signed by the CA, pushed to the agent) and resolves its expiry. The
 * data plane implements it; throwing means the rotation failed.
 */
export interface AmphoraCertificateRotator {
  rotate(amphora: Amphora): Promise<Date>
  /** Before each scan: records the expiries the data plane can learn for amphorae that have none. */
  learnExpiries?(): Promise<void>
}

export interface CertificateRotationOptions {
  db: Database
  clock: Clock
  log: Logger
  /** [house_keeping] cert_expiry_buffer (s). */
  expiryBuffer: number
  /** [house_keeping] cert_rotate_threads. */
  threads: number
  /** Absent until the agent can take a new certificate: the scan then claims nothing. */
  rotator?: AmphoraCertificateRotator
}

export interface RotationResult {
  rotated: string[]
  failed: string[]
}

/**
 * spec/operations.md §1.2: claims amphorae whose certificate expires within cert_expiry_buffer
 * (cert_busy, so each is rotated once), rotates up to cert_rotate_threads at a time until none is
 * left, and waits for them. A success records the new expiry and clears cert_busy; a failure
 * leaves cert_busy set (never retried automatically) and the amphora ERROR.
 */
export class CertificateRotation {
  readonly #repository: HousekeepingRepository
  readonly #amphorae: AmphoraRepository

  constructor(private readonly options: CertificateRotationOptions) {
    this.#repository = new HousekeepingRepository(options.db, options.clock)
    this.#amphorae = new AmphoraRepository(options.db, options.clock)
  }

  async run(): Promise<RotationResult> {
    const { rotator, clock, expiryBuffer, threads } = this.options
    const result: RotationResult = { rotated: [], failed: [] }
    if (!rotator) return result
    // An amphora without an expiry is never due: learn what can be learnt first.
    await rotator.learnExpiries?.().catch((err: unknown) => this.options.log.warn({ err }, 'amphora certificate expiries not learnt'))
    const before = new Date(clock.now().getTime() + expiryBuffer * 1000)
    const workers = Array.from({ length: Math.max(1, threads) }, async () => {
      for (let amphora = await this.#repository.claimCertificateRotation(before); amphora;
        amphora = await this.#repository.claimCertificateRotation(before)) {
        await this.#rotate(rotator, amphora, result)
      }
    })
    await Promise.all(workers)
    return result
  }

  async #rotate(rotator: AmphoraCertificateRotator, amphora: Amphora, result: RotationResult): Promise<void> {
    const { log } = this.options
    try {
      const expiresAt = await rotator.rotate(amphora)
      await this.#repository.finishCertificateRotation(amphora.id, expiresAt)
      result.rotated.push(amphora.id)
      log.info({ amphora_id: amphora.id, expires_at: expiresAt }, 'amphora certificate rotated')
    } catch (err) {
      result.failed.push(amphora.id)
      await this.#amphorae.setStatus(amphora.id, 'ERROR', { from: amphora.status })
      log.error({ err, amphora_id: amphora.id }, 'amphora certificate rotation failed; the amphora is ERROR and will not be retried automatically')
    }
  }
}
