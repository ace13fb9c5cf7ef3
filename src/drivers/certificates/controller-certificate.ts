import type { Clock } from '../../common/clock.ts'
import type { Logger } from '../../common/logger.ts'
import type { OctaviaConfig } from '../../config/schema.ts'
import { GENERATED_CA_DIR } from './open-certificate-authority.ts'
import { controllerTlsMaterial, type TlsMaterial } from './tls-material.ts'

/** Longest a renewal check waits (ms): timers cannot wait longer than 24.8 days, and a day is often enough. */
const MAX_WAIT_MS = 24 * 3600 * 1000
/** How soon a check that found nothing to renew (the operator's file not replaced yet) comes again (ms). */
const RECHECK_MS = 5 * 60 * 1000

/**
 * The controller's client certificate, kept current for as long as the process runs: a worker,
 * health manager or housekeeping process lives longer than one certificate (30 days by default).
 * When house_keeping.cert_expiry_buffer before its expiry comes, the local CA signs a new one (the
 * files are rewritten as at start); an operator's own certificate is read again from its files,
 * where the operator puts the next one. Readers take `material` afresh for each new connection
 * (LocalAgentCompute), so the new certificate is used from the next request on.
 */
export class ControllerCertificate {
  #material: TlsMaterial
  #tls: { key: string; cert: string; ca: string }
  #timer: NodeJS.Timeout | undefined
  #stopped = false

  private constructor(
    private readonly config: OctaviaConfig,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly caDir: string,
    material: TlsMaterial,
  ) {
    this.#material = material
    this.#tls = { key: material.key, cert: material.cert, ca: material.ca }
  }

  /** The certificate as at start (renewed then if due), with its key and the CA agents chain to. */
  static async load(config: OctaviaConfig, clock: Clock, log: Logger, caDir = GENERATED_CA_DIR): Promise<ControllerCertificate> {
    return new ControllerCertificate(config, clock, log, caDir, await controllerTlsMaterial(config, clock, caDir))
  }

  get material(): TlsMaterial {
    return this.#material
  }

  /** What a TLS client takes: the same object until the certificate changes. */
  get tls(): { key: string; cert: string; ca: string } {
    return this.#tls
  }

  /** Renews the certificate if it is due (or reads the operator's files again); resolves whether it changed. */
  async refresh(): Promise<boolean> {
    const next = await controllerTlsMaterial(this.config, this.clock, this.caDir)
    if (next.cert === this.#material.cert && next.key === this.#material.key && next.ca === this.#material.ca) return false
    const previous = this.#material.expires_at
    this.#material = next
    this.#tls = { key: next.key, cert: next.cert, ca: next.ca }
    this.log.info({ previous_expiry: previous, expires_at: next.expires_at }, 'controller client certificate renewed')
    return true
  }

  /** Checks again each time the certificate comes within cert_expiry_buffer of its expiry. */
  start(): void {
    this.#stopped = false
    this.#schedule()
  }

  stop(): void {
    this.#stopped = true
    clearTimeout(this.#timer)
  }

  #dueInMs(): number {
    const due = this.#material.expires_at.getTime() - this.config.house_keeping.cert_expiry_buffer * 1000
    return due - this.clock.now().getTime()
  }

  #schedule(): void {
    this.#again(Math.min(MAX_WAIT_MS, Math.max(0, this.#dueInMs())))
  }

  #again(waitMs: number): void {
    if (this.#stopped) return
    this.#timer = setTimeout(() => void this.#check(), waitMs)
    this.#timer.unref()
  }

  async #check(): Promise<void> {
    try {
      if (this.#dueInMs() <= 0 && !(await this.refresh())) {
        this.log.warn({ expires_at: this.#material.expires_at, file: this.config.haproxy_amphora.client_cert },
          'controller client certificate expires soon and no newer one is there; host agents refuse it once it has expired')
        this.#again(RECHECK_MS)
        return
      }
    } catch (err) {
      this.log.error({ err }, 'controller client certificate not renewed; trying again later')
      this.#again(RECHECK_MS)
      return
    }
    this.#schedule()
  }
}
