import { DatabaseError } from '../db/errors.ts'
import { JobRepository, LeaseLost, type Job, type JobStep, type JsonValue } from '../db/repositories/job-repository.ts'
import type { Executor } from '../db/database.ts'
import type { Flow } from './flow.ts'
import type { FlowContext } from './flow-context.ts'
import { PermanentError } from './permanent-error.ts'
import { retryDelay, type RetryPolicy } from './retry-policy.ts'
import type { Task, TaskRun } from './task.ts'

/** How a claimed job left the worker's hands. */
export const JOB_OUTCOMES = ['succeeded', 'reverted', 'failed', 'retry', 'handed-back', 'lost'] as const
export type JobOutcome = (typeof JOB_OUTCOMES)[number]

export type TaskPhase = 'execute' | 'revert'

/** Who wants to hear about the engine's progress (metrics, logs, test harnesses). */
export interface FlowObserver {
  jobStarted?(job: Job, resumed: boolean): void
  /** After the task's journal entry committed; a returned promise holds the job until it settles. */
  taskDone?(job: Job, task: Task, phase: TaskPhase): void | Promise<void>
  /**
   * Asked right after a task ran in a transaction that could take more tasks: true commits there,
   * so that taskDone can hold the job at exactly this task (tests that stop or crash a job mid-flow).
   */
  pauseAfter?(job: Job, task: Task, phase: TaskPhase): boolean
  taskFailed?(job: Job, task: Task, phase: TaskPhase, err: unknown): void
  jobEnded?(job: Job, outcome: JobOutcome): void
}

/** What the worker tells the engine about one running job. */
export interface JobControl {
  /** The worker is shutting down: hand the job back at the next task boundary. */
  stopping(): boolean
  /** A lease renewal found the lease gone: another worker has the job. */
  lost(): boolean
}

export interface FlowEngineOptions {
  context: FlowContext
  flows: readonly Flow[]
  /** The lease holder name of this worker. */
  owner: string
  leaseMs: number
  /** Non-database errors: the job is handed back and retried after the delay, up to `attempts` times. */
  taskRetry: RetryPolicy
  /** Database outages and deadlocks: retried in place ([controller_worker] db_commit_retry_*). */
  databaseRetry: RetryPolicy
  /** [task_flow] disable_revert: a failed job ends failed, its objects left as they are (debugging only). */
  disableRevert?: boolean
  observer?: FlowObserver
  /** Waits (tests pass a faster one). */
  sleep?: (ms: number) => Promise<void>
}

/** Tasks one step of the engine committed, in flow order; endedJob when the job ended with them. */
interface Committed {
  steps: Array<{ task: Task; index: number; result: JsonValue }>
  endedJob: boolean
}

/** Thrown out of a wait when the worker gave up on the job (shutting down, lease gone). */
class Abandoned extends Error {}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

/**
 * Runs claimed jobs through their flows (DESIGN.md principle 2). Forward: each task not yet in the
 * journal runs and is journaled; consecutive database tasks (and external tasks the job skips)
 * share one transaction that first proves the lease, in which their effects, their journal
 * entries and (when the flow's last task is among them) the job's completion commit together.
 * A failure that is not permanent hands the job back with back-off; a permanent one (or the last
 * retry) records the failed task on the job and reverts the journaled tasks in reverse order,
 * each revert noted in the journal, the last one ending the job. Any worker that takes the job over
 * continues from the journal in the same direction.
 */
export class FlowEngine {
  readonly #flows: ReadonlyMap<string, Flow>
  readonly #jobs: JobRepository
  readonly #sleep: (ms: number) => Promise<void>
  readonly #log: FlowContext['log']

  constructor(private readonly options: FlowEngineOptions) {
    this.#flows = new Map(options.flows.map((f) => [f.kind, f]))
    this.#jobs = new JobRepository(options.context.db, options.context.clock)
    this.#sleep = options.sleep ?? defaultSleep
    this.#log = options.context.log.child({ component: 'worker' })
  }

  /** Runs a job this worker has just claimed, until it ends or leaves this worker's hands. */
  async run(job: Job, control: JobControl): Promise<JobOutcome> {
    const outcome = await this.#run(job, control).catch((err: unknown) => {
      if (err instanceof LeaseLost || err instanceof Abandoned) return 'lost' as const
      throw err
    })
    if (outcome === 'lost') this.#log.warn({ job_id: job.id, kind: job.kind }, 'job left to its lease: another worker resumes it')
    this.options.observer?.jobEnded?.(job, outcome)
    return outcome
  }

  async #run(job: Job, control: JobControl): Promise<JobOutcome> {
    const flow = this.#flows.get(job.kind)
    if (!flow) {
      this.#log.error({ job_id: job.id, kind: job.kind }, 'job has no flow')
      await this.#db(control, () => this.#jobs.fail(job.id, this.options.owner, { state: 'failed', error: `no flow named ${job.kind}` }))
      return 'failed'
    }
    // Every journal entry is written with the job's current step: a job without one has none to read.
    const steps = job.current_step === null ? [] : await this.#db(control, () => this.#jobs.steps(job.id))
    const journal = new Map<string, JobStep>(steps.map((s) => [s.step_name, s]))
    this.options.observer?.jobStarted?.(job, journal.size > 0 || job.attempts > 1)
    const run: TaskRun = { ctx: this.options.context, job, result: (name) => journal.get(name)?.result }

    if (job.failed_step === null) {
      const forward = await this.#forward(flow, job, journal, run, control)
      if (forward.outcome !== 'revert') return forward.outcome
      return this.#revert(flow, job, journal, run, control, forward.failedStep, forward.error)
    }
    return this.#revert(flow, job, journal, run, control, job.failed_step, job.last_error ?? 'failed')
  }

  async #forward(flow: Flow, job: Job, journal: Map<string, JobStep>, run: TaskRun, control: JobControl):
    Promise<{ outcome: Exclude<JobOutcome, 'reverted'> } | { outcome: 'revert'; failedStep: string; error: string }> {
    const { owner } = this.options
    const tasks = flow.tasks
    let index = 0
    // A task that failed in a transaction it shared: the tasks before it commit first, then its failure counts.
    let failed: { index: number; err: unknown } | undefined
    while (index < tasks.length) {
      if (journal.has(tasks[index]!.name)) {
        index++
        continue
      }
      const boundary = await this.#boundary(job, control)
      if (boundary) return { outcome: boundary }
      const failing = { index }
      let done: Committed | undefined
      let error: unknown
      if (failed?.index === index) {
        error = failed.err
      } else {
        try {
          done = await this.#step(flow, index, failed?.index ?? tasks.length, job, journal, run, control, failing)
        } catch (err) {
          if (err instanceof LeaseLost || err instanceof Abandoned) throw err
          if (failing.index > index) {
            // Rolled back with it, the tasks before it run again and commit on their own, so that
            // the failure finds them done and reverts them as if each had had its own transaction.
            failed = { index: failing.index, err }
            continue
          }
          error = err
        }
      }
      if (done === undefined) return this.#taskFailed(job, tasks[index]!, error, control)
      const completedAt = this.options.context.clock.now()
      for (const step of done.steps) {
        journal.set(step.task.name, { job_id: job.id, step_index: step.index, step_name: step.task.name, result: step.result, completed_at: completedAt, reverted_at: null })
        await this.options.observer?.taskDone?.(job, step.task, 'execute')
      }
      if (done.endedJob) return { outcome: this.#ended(job, 'succeeded') }
      index = done.steps[done.steps.length - 1]!.index + 1
    }
    // The last task was external, or everything was journaled before a crash: end the job on its own.
    const ended = await this.#db(control, () => this.#jobs.succeed(job.id, owner))
    return { outcome: ended ? this.#ended(job, 'succeeded') : 'lost' }
  }

  /** A task failed going forward: the job is handed back to retry later, or is to revert. */
  async #taskFailed(job: Job, task: Task, err: unknown, control: JobControl):
    Promise<{ outcome: 'retry' | 'lost' } | { outcome: 'revert'; failedStep: string; error: string }> {
    this.options.observer?.taskFailed?.(job, task, 'execute', err)
    const error = messageOf(err)
    const { taskRetry, owner } = this.options
    if (!(err instanceof PermanentError) && job.attempts <= taskRetry.attempts) {
      const delay = retryDelay(taskRetry, job.attempts)
      this.#log.warn({ job_id: job.id, kind: job.kind, task: task.name, attempt: job.attempts, delay_ms: delay, err }, 'task failed; job retried later')
      const runAfter = new Date(this.options.context.clock.now().getTime() + delay)
      const handed = await this.#db(control, () => this.#jobs.retryLater(job.id, owner, { run_after: runAfter, error: `${task.name}: ${error}` }))
      return { outcome: handed ? 'retry' : 'lost' }
    }
    return { outcome: 'revert', failedStep: task.name, error }
  }

  /**
   * Runs forward from task `start` and commits what ran: an external task on its own (its effect,
   * then its journal entry), else as many consecutive tasks as can share one transaction that
   * proves the lease (database tasks and external tasks this job skips), with their journal
   * entries and, when the flow's last task is among them, the job's end. A failure rolls back the
   * whole transaction, so none of its tasks happened; `failing.index` is the one that failed.
   * Tasks from `end` on are left for later.
   */
  async #step(flow: Flow, start: number, end: number, job: Job, journal: ReadonlyMap<string, JobStep>, run: TaskRun, control: JobControl,
    failing: { index: number }): Promise<Committed> {
    const { db } = this.options.context
    const { owner, leaseMs, observer } = this.options
    const tasks = flow.tasks
    const first = tasks[start]!
    const skip = first.effect === 'external' ? first.skip : undefined
    if (first.effect === 'external' && (skip === undefined || await this.#db(control, () => skip.call(first, run, db.kysely)) === undefined)) {
      const result = (await first.execute(run)) ?? null
      await this.#db(control, () => db.transaction(async (trx) => {
        await this.#jobs.holdLease(trx, job.id, owner, leaseMs, first.name)
        await this.#jobs.journal(trx, job.id, { index: start, name: first.name, result })
      }))
      return { steps: [{ task: first, index: start, result }], endedJob: false }
    }
    return this.#db(control, () => db.transaction(async (trx) => {
      await this.#jobs.holdLease(trx, job.id, owner, leaseMs, first.name)
      // What the tasks of this transaction returned, for the later ones' run.result.
      const ran = new Map<string, JsonValue>()
      const batchRun: TaskRun = { ...run, result: (name) => (ran.has(name) ? ran.get(name) : run.result(name)) }
      const steps: Committed['steps'] = []
      for (let index = start; index < end; index++) {
        const task = tasks[index]!
        if (journal.has(task.name)) break
        failing.index = index
        let result: JsonValue
        if (task.effect === 'database') {
          result = (await task.execute(trx, batchRun)) ?? null
        } else {
          const skipped = task.skip === undefined ? undefined : await task.skip(batchRun, trx)
          if (skipped === undefined && index === start) throw new Error(`task ${task.name} was to be skipped and is not`)
          if (skipped === undefined) break
          result = skipped
        }
        ran.set(task.name, result)
        steps.push({ task, index, result })
        if (observer?.pauseAfter?.(job, task, 'execute')) break
      }
      await this.#jobs.journalAll(trx, job.id, steps.map((step) => ({ index: step.index, name: step.task.name, result: step.result })))
      const endedJob = steps[steps.length - 1]!.index === tasks.length - 1
      if (endedJob) await this.#jobs.succeed(job.id, owner, trx, steps.length > 1 ? steps[steps.length - 1]!.task.name : undefined)
      return { steps, endedJob }
    }))
  }

  async #revert(flow: Flow, job: Job, journal: Map<string, JobStep>, run: TaskRun, control: JobControl,
    failedStep: string, error: string): Promise<JobOutcome> {
    const { owner } = this.options
    if (job.failed_step === null) {
      this.#log.error({ job_id: job.id, kind: job.kind, target_id: job.target_id, failed_step: failedStep, error }, 'job failed; reverting')
      if (!await this.#db(control, () => this.#jobs.startRevert(job.id, owner, { failed_step: failedStep, error }))) return 'lost'
    }
    if (this.options.disableRevert) {
      this.#log.error({ job_id: job.id, kind: job.kind, target_id: job.target_id }, 'task_flow.disable_revert is set: the job\'s objects are left as they are')
      const ended = await this.#db(control, () => this.#jobs.fail(job.id, owner, { state: 'failed', error }))
      return ended ? 'failed' : 'lost'
    }

    // The failed task itself first when its partial work may be outside the database, then the journaled ones backwards.
    const failedIndex = flow.tasks.findIndex((t) => t.name === failedStep)
    const failed = flow.tasks[failedIndex]
    const todo: Array<{ task: Task; index: number; step: JobStep | undefined }> = []
    if (failed?.effect === 'external' && failed.revert && !journal.has(failed.name)) todo.push({ task: failed, index: failedIndex, step: undefined })
    const before = failedIndex < 0 ? flow.tasks.length : failedIndex
    for (let index = before - 1; index >= 0; index--) {
      const task = flow.tasks[index]!
      const step = journal.get(task.name)
      if (step && step.reverted_at === null && task.revert) todo.push({ task, index, step })
    }

    let revertFailed = false
    for (const [n, item] of todo.entries()) {
      const boundary = await this.#boundary(job, control)
      if (boundary) return boundary
      const isLast = n === todo.length - 1
      const end = isLast ? { state: revertFailed ? 'failed' as const : 'reverted' as const, error } : undefined
      try {
        await this.#revertTask(job, item, run, control, end)
        await this.options.observer?.taskDone?.(job, item.task, 'revert')
        // The last revert's transaction ended the job.
        if (end) return this.#ended(job, end.state)
      } catch (err) {
        if (err instanceof LeaseLost || err instanceof Abandoned) throw err
        this.options.observer?.taskFailed?.(job, item.task, 'revert', err)
        // Carry on with the earlier tasks: the checkpoint's revert must still release the objects.
        this.#log.error({ job_id: job.id, kind: job.kind, task: item.task.name, err }, 'revert failed; reverting the earlier tasks')
        revertFailed = true
      }
    }
    const state = revertFailed ? 'failed' as const : 'reverted' as const
    const ended = await this.#db(control, () => this.#jobs.fail(job.id, owner, { state, error }))
    return ended ? this.#ended(job, state) : 'lost'
  }

  /** One task's revert with its note in the journal (and the job's end), retried in place a few times. */
  async #revertTask(job: Job, item: { task: Task; index: number; step: JobStep | undefined }, run: TaskRun, control: JobControl,
    end: { state: 'failed' | 'reverted'; error: string } | undefined): Promise<void> {
    const { db } = this.options.context
    const { owner, leaseMs, taskRetry } = this.options
    const { task, index, step } = item
    const note = async (trx: Executor) => {
      if (step) await this.#jobs.markReverted(trx, job.id, index)
      else await this.#jobs.journal(trx, job.id, { index, name: task.name, result: null, reverted: true })
      if (end) await this.#jobs.fail(job.id, owner, end, trx)
    }
    const result = step?.result ?? null
    for (let retry = 1; ; retry++) {
      try {
        if (task.effect === 'database') {
          await this.#db(control, () => db.transaction(async (trx) => {
            await this.#jobs.holdLease(trx, job.id, owner, leaseMs, task.name)
            await task.revert?.(trx, run, result)
            await note(trx)
          }))
        } else {
          await task.revert?.(run, result)
          await this.#db(control, () => db.transaction(async (trx) => {
            await this.#jobs.holdLease(trx, job.id, owner, leaseMs, task.name)
            await note(trx)
          }))
        }
        return
      } catch (err) {
        if (err instanceof LeaseLost || err instanceof Abandoned || err instanceof PermanentError || retry > taskRetry.attempts) throw err
        this.#log.warn({ job_id: job.id, task: task.name, attempt: retry, err }, 'revert failed; retrying')
        await this.#wait(retryDelay(taskRetry, retry), control)
      }
    }
  }

  /**
   * Runs database work, retrying outages and deadlocks in place with [controller_worker]
   * db_commit_retry_* (a job must never stay PENDING_* because the database blinked).
   */
  async #db<T>(control: JobControl, fn: () => Promise<T>): Promise<T> {
    const policy = this.options.databaseRetry
    for (let retry = 1; ; retry++) {
      try {
        return await fn()
      } catch (err) {
        if (!(err instanceof DatabaseError && err.retryable) || retry > policy.attempts) throw err
        const delay = retryDelay(policy, retry)
        this.#log.warn({ err, attempt: retry, delay_ms: delay }, 'database unavailable; retrying')
        await this.#wait(delay, control)
      }
    }
  }

  async #wait(ms: number, control: JobControl): Promise<void> {
    // Shutting down or lease gone: nobody needs this worker to keep waiting; the lease hands the job on.
    if (control.stopping() || control.lost()) throw new Abandoned()
    await this.#sleep(ms)
  }

  /** Between tasks: stop here if the lease is gone or the worker is shutting down (the job is handed back). */
  async #boundary(job: Job, control: JobControl): Promise<'lost' | 'handed-back' | undefined> {
    if (control.lost()) return 'lost'
    if (!control.stopping()) return undefined
    const handed = await this.#jobs.handBack(job.id, this.options.owner).catch((err: unknown) => {
      this.#log.warn({ err, job_id: job.id }, 'cannot hand the job back; its lease will run out')
      return false
    })
    if (handed) this.#log.info({ job_id: job.id, kind: job.kind }, 'job handed back')
    return handed ? 'handed-back' : 'lost'
  }

  #ended<T extends 'succeeded' | 'reverted' | 'failed'>(job: Job, outcome: T): T {
    const fields = { job_id: job.id, kind: job.kind, target_id: job.target_id }
    if (outcome === 'succeeded') this.#log.info(fields, 'job done')
    else this.#log.error({ ...fields, outcome }, 'job reverted')
    return outcome
  }
}
