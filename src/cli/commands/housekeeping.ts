import { systemClock } from '../../common/clock.ts'
import { createLogger, type Logger } from '../../common/logger.ts'
import { createMetricsRegistry } from '../../common/metrics.ts'
import type { OctaviaConfig } from '../../config/schema.ts'
import { startHousekeeping } from '../../housekeeping/housekeeping.ts'
import { openDatabase, type Database } from '../database.ts'
import { loadCliConfig, type GlobalOptions } from '../load-cli-config.ts'
import { startMetricsPart } from '../metrics-part.ts'
import { runUntilSignal, type Stoppable } from '../run-until-signal.ts'
import { createCertificateRotator, createSpareBuilder, hasDataPlane } from '../worker-service.ts'
import { requireSchemaAtHead } from './health-manager.ts'

export async function runHousekeeping(options: GlobalOptions): Promise<number> {
  const config = loadCliConfig(options)
  const log = createLogger()
  const db = await openDatabase(config, log)
  const parts: Stoppable[] = [{ name: 'database', stop: () => db.close() }]
  try {
    await requireSchemaAtHead(db, 'housekeeping')
    parts.push(...await startHousekeepingService(config, db, log))
    const metrics = config.manager.metrics
    if (metrics.enabled) {
      const registry = createMetricsRegistry({ service: 'octavia-housekeeping' })
      parts.push(await startMetricsPart(registry, metrics.address, metrics.housekeeping_port, log))
    }
  } catch (err) {
    for (const part of [...parts].reverse()) await part.stop().catch(() => undefined)
    throw err
  }
  return runUntilSignal(parts, log)
}

/**
 * Starts housekeeping's loops (also inside `octavia up`, whose `announce` wakes its worker for
 * a queued spare build; `octavia housekeeping` leaves the jobs to the workers' polling). With a
 * data plane, certificate rotation gives the host agents new certificates from the local CA.
 */
export async function startHousekeepingService(config: OctaviaConfig, db: Database, log: Logger, announce?: (jobId: string) => void):
  Promise<Stoppable[]> {
  const spareBuilder = createSpareBuilder(config, db, log)
  const certificates = hasDataPlane(config) ? await createCertificateRotator(config, db, log) : null
  const housekeeping = startHousekeeping({
    config, db, clock: systemClock, log, ...(spareBuilder ? { spareBuilder } : {}), ...(announce ? { announce } : {}),
    ...(certificates ? { certificateRotator: certificates.rotator } : {}),
  })
  return [{
    name: 'housekeeping',
    stop: async () => {
      await housekeeping.stop()
      certificates?.close()
    },
  }]
}
