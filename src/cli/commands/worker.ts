import { createLogger } from '../../common/logger.ts'
import { createMetricsRegistry } from '../../common/metrics.ts'
import { createJobQueue } from '../../controller/queue/create-job-queue.ts'
import { openDatabase } from '../database.ts'
import { loadCliConfig, type GlobalOptions } from '../load-cli-config.ts'
import { startMetricsPart } from '../metrics-part.ts'
import { runUntilSignal, type Stoppable } from '../run-until-signal.ts'
import { startWorkerService } from '../worker-service.ts'
import { requireSchemaAtHead } from './health-manager.ts'

export async function runWorker(options: GlobalOptions): Promise<number> {
  const config = loadCliConfig(options)
  const log = createLogger()
  const db = await openDatabase(config, log)
  const parts: Stoppable[] = [{ name: 'database', stop: () => db.close() }]
  try {
    await requireSchemaAtHead(db, 'worker')
    const queue = createJobQueue(config.message_queue, log)
    parts.push({ name: 'queue', stop: () => queue.close() })
    const registry = createMetricsRegistry({ service: 'octavia-worker' })
    parts.push((await startWorkerService(config, db, log, queue, registry)).part)
    const metrics = config.manager.metrics
    if (metrics.enabled) {
      parts.push(await startMetricsPart(registry, metrics.address, metrics.worker_port, log))
    }
  } catch (err) {
    for (const part of [...parts].reverse()) await part.stop().catch((e: unknown) => log.error({ err: e, part: part.name }, 'stop failed'))
    throw err
  }
  return runUntilSignal(parts, log)
}
