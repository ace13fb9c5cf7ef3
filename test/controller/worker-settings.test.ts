import { test } from 'node:test'
import assert from 'node:assert/strict'
import { loadConfig } from '../../src/config/load-config.ts'
import { retryDelay } from '../../src/controller/retry-policy.ts'
import { workerSettings } from '../../src/controller/worker-settings.ts'

test('the worker takes its lease, poll, concurrency and retries from Octavia\'s options (and ours), in milliseconds', () => {
  const defaults = workerSettings(loadConfig({ files: [], env: {} }).config)
  assert.deepEqual(defaults, {
    leaseMs: 30_000, pollMs: 1000, concurrency: 5, disableRevert: false,
    taskRetry: { attempts: 5, initialMs: 1000, backoffMs: 1000, maxMs: 10_000 },
    databaseRetry: { attempts: 2000, initialMs: 1000, backoffMs: 1000, maxMs: 5000 },
  })
  // spec/flows.md §1.3: 1 s, then +1 s per attempt, at most 5 s.
  assert.deepEqual([1, 2, 3, 4, 5, 6, 100].map((n) => retryDelay(defaults.databaseRetry, n)), [1000, 2000, 3000, 4000, 5000, 5000, 5000])

  const sets = [
    'octavia.task_flow.jobboard_expiration_time=4', 'octavia.controller_worker.job_poll_interval=0.25', 'octavia.controller_worker.workers=2',
    'octavia.task_flow.max_workers=3', 'octavia.controller_worker.task_retry_attempts=0', 'octavia.task_flow.disable_revert=true',
  ]
  const tuned = workerSettings(loadConfig({ files: [], env: {}, sets }).config)
  assert.deepEqual([tuned.leaseMs, tuned.pollMs, tuned.concurrency, tuned.taskRetry.attempts, tuned.disableRevert], [4000, 250, 6, 0, true])
})
