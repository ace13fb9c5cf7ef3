import { hostname } from 'node:os'
import { randomBytes } from 'node:crypto'
import { JobRepository, type Job } from '../db/repositories/job-repository.ts'
import { FlowEngine, type FlowObserver, type JobOutcome } from './flow-engine.ts'
import type { Flow } from './flow.ts'
import type { FlowContext } from './flow-context.ts'
import type { JobQueue } from './queue/job-queue.ts'
import type { RetryPolicy } from './retry-policy.ts'

export interface WorkerOptions {
  context: FlowContext
  flows: readonly Flow[]
  /** Where announcements of new jobs arrive; without one the worker only polls (and `wake`). */
  queue?: JobQueue
  /** How long a claim lasts without renewal ([task_flow] jobboard_expiration_time); renewed every third of it. */
  leaseMs: number
  /** How often to look for due jobs when no announcement came; a lost announcement only delays a job this long. */
  pollMs: number
  /** Jobs run at once ([controller_worker] workers × [task_flow] max_workers). */
  concurrency: number
  taskRetry: RetryPolicy
  databaseRetry: RetryPolicy
  disableRevert?: boolean
  observer?: FlowObserver
  /** Lease holder name; default host:pid:random. */
  owner?: string
}

export interface Worker {
  readonly owner: string
  /** A job was queued (its id when known): look now rather than at the next poll. */
  wake(jobId?: string): void
  /** Jobs in this worker's hands now. */
  running(): number
  /** Stops claiming, hands running jobs back at their next task boundary, and resolves when none is left. */
  stop(): Promise<void>
}

// Announced job ids kept to try first; more are dropped (polling finds them).
const MAX_HINTS = 1000

/**
 * A controller worker: claims due jobs from the jobs table, several at once, each under a lease
 * it renews while the job runs, and runs them with the flow engine. Any number of workers, in
 * any processes, share the table; a claim is the only way to a job, so none runs twice at once.
 */
export function startWorker(options: WorkerOptions): Worker {
  const { context } = options
  const log = context.log.child({ component: 'worker' })
  const owner = options.owner ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`
  const jobs = new JobRepository(context.db, context.clock)
  const engine = new FlowEngine({ ...options, owner })
  const hints: string[] = []
  let stopping = false
  let wakeUp: (() => void) | undefined
  let pendingWake = false

  const sleep = () => new Promise<void>((resolve) => {
    if (pendingWake) {
      pendingWake = false
      resolve()
      return
    }
    const timer = setTimeout(done, options.pollMs)
    function done() {
      clearTimeout(timer)
      wakeUp = undefined
      resolve()
    }
    wakeUp = done
  })

  const wake = (jobId?: string) => {
    if (stopping) return
    if (jobId !== undefined && hints.length < MAX_HINTS && !hints.includes(jobId)) hints.push(jobId)
    if (wakeUp) wakeUp()
    else pendingWake = true
  }

  const run = async (job: Job): Promise<JobOutcome> => {
    let lost = false
    const renewal = setInterval(() => {
      jobs.renewLease(job.id, owner, options.leaseMs).then(
        (held) => {
          if (!held && !lost) {
            lost = true
            log.warn({ job_id: job.id }, 'lease lost: the job is another worker\'s now')
          }
        },
        (err: unknown) => log.warn({ err, job_id: job.id }, 'cannot renew lease'),
      )
    }, Math.max(1, Math.floor(options.leaseMs / 3)))
    try {
      return await engine.run(job, { stopping: () => stopping, lost: () => lost })
    } finally {
      clearInterval(renewal)
    }
  }

  /** Claims up to `free` jobs: the announced ones first, else the oldest due. */
  const claim = async (free: number): Promise<Job[]> => {
    if (hints.length === 0) return jobs.claimDue(owner, options.leaseMs, free)
    const results = await Promise.allSettled(hints.splice(0, free).map((id) => jobs.claim(id, owner, options.leaseMs)))
    // Run what was claimed even if another claim failed: a claimed job left unrun waits out its lease.
    const claimed = results.flatMap((result) => (result.status === 'fulfilled' && result.value ? [result.value] : []))
    const failed = results.find((result) => result.status === 'rejected')
    if (claimed.length === 0 && failed) throw failed.reason
    return claimed
  }

  const inFlight = new Set<Promise<unknown>>()
  const loop = (async () => {
    while (!stopping) {
      if (inFlight.size >= options.concurrency) {
        await Promise.race(inFlight)
        continue
      }
      let claimed: Job[]
      const hinted = hints.length > 0
      try {
        claimed = await claim(options.concurrency - inFlight.size)
      } catch (err) {
        log.warn({ err }, 'cannot claim jobs')
        await sleep()
        continue
      }
      for (const job of claimed) {
        const done: Promise<unknown> = run(job)
          .catch((err: unknown) => log.error({ err, job_id: job.id }, 'job could not be ended; its lease will run out and another worker resumes it'))
          .finally(() => inFlight.delete(done))
        inFlight.add(done)
      }
      if (claimed.length === 0 && !hinted && !stopping) await sleep()
    }
    await Promise.all(inFlight)
  })()

  const unlisten = options.queue?.listen((jobId) => wake(jobId))

  return {
    owner,
    wake,
    running: () => inFlight.size,
    stop: async () => {
      stopping = true
      unlisten?.()
      wakeUp?.()
      await loop
    },
  }
}
