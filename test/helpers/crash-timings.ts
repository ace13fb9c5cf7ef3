import type { WorkerSettings } from '../../src/controller/worker-settings.ts'

/** Short lease and poll for the crash tests: a killed worker's job is free again half a second later. */
export const CRASH_TIMINGS: WorkerSettings = {
  leaseMs: 500,
  pollMs: 20,
  concurrency: 4,
  taskRetry: { attempts: 0, initialMs: 0, backoffMs: 0, maxMs: 0 },
  databaseRetry: { attempts: 50, initialMs: 20, backoffMs: 20, maxMs: 200 },
}
