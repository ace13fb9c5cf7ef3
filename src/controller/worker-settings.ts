import type { OctaviaConfig } from '../config/schema.ts'
import type { WorkerOptions } from './worker.ts'

export type WorkerSettings = Pick<WorkerOptions, 'leaseMs' | 'pollMs' | 'concurrency' | 'taskRetry' | 'databaseRetry' | 'disableRevert'>

const seconds = (s: number) => Math.round(s * 1000)

/** The worker's timings and limits from the configuration (docs/configuration.md, "the controller worker"). */
export function workerSettings(config: OctaviaConfig): WorkerSettings {
  const worker = config.controller_worker
  return {
    // A jobboard claim in Octavia; a lease on the job row here.
    leaseMs: seconds(config.task_flow.jobboard_expiration_time),
    pollMs: seconds(worker.job_poll_interval),
    // Octavia: `workers` consumer processes, each running `max_workers` flows. One Node process
    // runs them all (flows wait on I/O, not CPU); more CPUs take more `octavia worker` processes.
    concurrency: worker.workers * config.task_flow.max_workers,
    taskRetry: {
      attempts: worker.task_retry_attempts, initialMs: seconds(worker.task_retry_initial_delay),
      backoffMs: seconds(worker.task_retry_backoff), maxMs: seconds(worker.task_retry_max),
    },
    databaseRetry: {
      attempts: worker.db_commit_retry_attempts, initialMs: seconds(worker.db_commit_retry_initial_delay),
      backoffMs: seconds(worker.db_commit_retry_backoff), maxMs: seconds(worker.db_commit_retry_max),
    },
    disableRevert: config.task_flow.disable_revert,
  }
}
