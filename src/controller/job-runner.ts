import { hostname } from 'node:os'
import { randomBytes } from 'node:crypto'
import { JobRepository, type Job } from '../db/repositories/job-repository.ts'
import type { Flow, FlowContext } from './flow.ts'

export interface JobRunnerOptions {
  context: FlowContext
  flows: readonly Flow[]
  /** How long a claim lasts without renewal (ms). */
  leaseMs?: number
  /** How often to look for due jobs when nobody wakes the runner (ms); a lost wake-up only delays. */
  pollMs?: number
  /** Jobs run at once (default 4). */
  concurrency?: number
}

export interface JobRunner {
  /** Tells the runner a job was queued, so it looks now rather than at the next poll. */
  wake(): void
  /** Stops claiming; resolves when the job in hand is done. */
  stop(): Promise<void>
}

/**
 * The minimal in-process worker: claims due jobs from the jobs table (a few at a time), runs each
 * flow's steps after the last journaled one, and ends the job. A step that throws ends the job
 * failed and applies the flow's failure marking (the durable worker adds retries and reverts).
 */
export function startJobRunner(options: JobRunnerOptions): JobRunner {
  const { context } = options
  const log = context.log.child({ component: 'worker' })
  const jobs = new JobRepository(context.db, context.clock)
  const flows = new Map(options.flows.map((f) => [f.kind, f]))
  const owner = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`
  const leaseMs = options.leaseMs ?? 30_000
  const pollMs = options.pollMs ?? 1_000
  const concurrency = options.concurrency ?? 4
  let running = true
  let wakeUp: (() => void) | undefined
  let pendingWake = false

  const sleep = () => new Promise<void>((resolve) => {
    if (pendingWake) {
      pendingWake = false
      resolve()
      return
    }
    const timer = setTimeout(done, pollMs)
    function done() {
      clearTimeout(timer)
      wakeUp = undefined
      resolve()
    }
    wakeUp = done
  })

  const run = async (job: Job) => {
    const flow = flows.get(job.kind)
    if (!flow) {
      await jobs.fail(job.id, owner, { state: 'failed', error: `no flow named ${job.kind}` })
      log.error({ job_id: job.id, kind: job.kind }, 'job has no flow')
      return
    }
    const done = new Set((await jobs.steps(job.id)).map((s) => s.step_index))
    try {
      for (const [index, s] of flow.steps.entries()) {
        if (done.has(index)) continue
        const result = await s.execute(context, job)
        await jobs.recordStep(job.id, owner, { index, name: s.name, result: result ?? null })
      }
      await jobs.succeed(job.id, owner)
      log.info({ job_id: job.id, kind: job.kind, target_id: job.target_id }, 'job done')
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err)
      log.error({ err, job_id: job.id, kind: job.kind }, 'job failed')
      await flow.onFailure(context, job, reason)
      await jobs.fail(job.id, owner, { state: 'failed', error: reason })
    }
  }

  // Jobs of different load balancers run side by side; the API never queues two for one LB at once.
  const inFlight = new Set<Promise<void>>()
  const loop = (async () => {
    while (running) {
      if (inFlight.size >= concurrency) {
        await Promise.race(inFlight)
        continue
      }
      let job: Job | undefined
      try {
        job = await jobs.claimNext(owner, leaseMs)
      } catch (err) {
        log.warn({ err }, 'cannot claim jobs')
      }
      if (job) {
        const claimed = job
        const done: Promise<void> = run(claimed)
          .catch((err: unknown) => log.error({ err, job_id: claimed.id }, 'job could not be ended; its lease will run out and another attempt resumes it'))
          .finally(() => inFlight.delete(done))
        inFlight.add(done)
      } else if (running) {
        await sleep()
      }
    }
    await Promise.all(inFlight)
  })()

  return {
    wake: () => {
      if (wakeUp) wakeUp()
      else pendingWake = true
    },
    stop: async () => {
      running = false
      wakeUp?.()
      await loop
    },
  }
}
