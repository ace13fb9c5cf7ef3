import type { Registry } from 'prom-client'
import { systemClock } from '../common/clock.ts'
import type { Logger } from '../common/logger.ts'
import type { OctaviaConfig } from '../config/schema.ts'
import { createFlowContext } from '../controller/flow-context.ts'
import { ALL_FLOWS } from '../controller/flows/all-flows.ts'
import type { JobQueue } from '../controller/queue/job-queue.ts'
import { workerMetrics } from '../controller/worker-metrics.ts'
import { workerSettings } from '../controller/worker-settings.ts'
import { startWorker, type Worker } from '../controller/worker.ts'
import type { Database } from '../db/database.ts'
import type { Stoppable } from './run-until-signal.ts'

/**
 * A controller worker as `octavia worker` and `octavia up` run it: every flow, the configured
 * timings, announcements from `queue`, metrics on `registry`. Stopping it stops claiming and hands
 * running jobs back at their next task boundary.
 */
export function startWorkerService(config: OctaviaConfig, db: Database, log: Logger, queue: JobQueue, registry: Registry):
  { worker: Worker; part: Stoppable } {
  const worker = startWorker({
    context: createFlowContext({ db, clock: systemClock, log, subnets: config.networks, reservedIps: config.networking.reserved_ips }),
    flows: ALL_FLOWS, queue, ...workerSettings(config),
    observer: workerMetrics(registry, { db, clock: systemClock }),
  })
  log.info({ owner: worker.owner, queue: config.message_queue.engine }, 'worker started')
  return { worker, part: { name: 'worker', stop: () => worker.stop() } }
}
