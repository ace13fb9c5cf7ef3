import { Counter, Gauge, Histogram, type Registry } from 'prom-client'
import type { Clock } from '../common/clock.ts'
import type { Database } from '../db/database.ts'
import { JobRepository } from '../db/repositories/job-repository.ts'
import { JOB_STATES } from '../db/schema.ts'
import type { FlowObserver } from './flow-engine.ts'

/**
 * The worker's Prometheus metrics (DESIGN.md principle 7), fed by the flow engine's events, and
 * the jobs table by state read at each scrape: a pending count that only grows, or running jobs
 * that never end, show a stuck worker from any worker's endpoint.
 */
export function workerMetrics(registry: Registry, deps: { db: Database; clock: Clock }): FlowObserver {
  const started = new Counter({
    name: 'octavia_worker_jobs_started_total', help: 'Jobs claimed by this worker; resumed="true" when another attempt had journaled tasks or claimed it before.',
    labelNames: ['kind', 'resumed'], registers: [registry],
  })
  const ended = new Counter({
    name: 'octavia_worker_jobs_total', help: 'Jobs that left this worker, by outcome (succeeded, reverted, failed, retry, handed-back, lost).',
    labelNames: ['kind', 'outcome'], registers: [registry],
  })
  const running = new Gauge({ name: 'octavia_worker_jobs_running', help: 'Jobs this worker runs now.', registers: [registry] })
  const duration = new Histogram({
    name: 'octavia_worker_job_duration_seconds', help: 'Time from claim to the job leaving this worker.', labelNames: ['kind', 'outcome'],
    buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120, 600], registers: [registry],
  })
  const tasks = new Counter({
    name: 'octavia_worker_tasks_total', help: 'Tasks run (phase execute or revert), by outcome (done, failed).',
    labelNames: ['flow', 'task', 'phase', 'outcome'], registers: [registry],
  })
  const jobs = new JobRepository(deps.db, deps.clock)
  new Gauge({
    name: 'octavia_jobs', help: 'Jobs in the database by state (all workers).', labelNames: ['state'], registers: [registry],
    async collect() {
      const counts = await jobs.countByState()
      for (const state of JOB_STATES) this.set({ state }, counts[state])
    },
  })

  const startedAt = new Map<string, number>()
  return {
    jobStarted: (job, resumed) => {
      started.inc({ kind: job.kind, resumed: String(resumed) })
      running.inc()
      startedAt.set(job.id, performance.now())
    },
    taskDone: (job, task, phase) => void tasks.inc({ flow: job.kind, task: task.name, phase, outcome: 'done' }),
    taskFailed: (job, task, phase) => void tasks.inc({ flow: job.kind, task: task.name, phase, outcome: 'failed' }),
    jobEnded: (job, outcome) => {
      ended.inc({ kind: job.kind, outcome })
      const since = startedAt.get(job.id)
      if (since !== undefined) {
        running.dec()
        startedAt.delete(job.id)
        duration.observe({ kind: job.kind, outcome }, (performance.now() - since) / 1000)
      }
    },
  }
}

