import type { ExpressionBuilder, Selectable } from 'kysely'
import type { Clock } from '../../common/clock.ts'
import { newId } from '../../common/ids.ts'
import type { Database, Executor, Transaction } from '../database.ts'
import type { JobState, JobStepsTable, JobsTable, Schema } from '../schema.ts'

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue }

/** A job with its payload parsed. */
export interface Job extends Omit<Selectable<JobsTable>, 'payload'> {
  payload: JsonValue
}

export interface JobStep extends Omit<Selectable<JobStepsTable>, 'result'> {
  result: JsonValue
}

export interface NewJob {
  id?: string
  kind: string
  target_type: string
  target_id: string
  load_balancer_id?: string | null
  payload?: JsonValue
  /** Default: now. */
  run_after?: Date
}

/** One step for the journal: its index and name in the flow, what it returned, and whether it was a revert. */
export interface JournalEntry {
  index: number
  name: string
  result?: JsonValue
  reverted?: boolean
}

export interface JobFilter {
  state?: JobState
  load_balancer_id?: string
  kind?: string
  /** At most this many, newest first (default 100). */
  limit?: number
}

/**
 * The caller no longer holds the job's lease (it expired and another worker took the job over,
 * or the job ended). Thrown inside a transaction so that the work done in it is rolled back.
 */
export class LeaseLost extends Error {
  constructor(readonly jobId: string, readonly owner: string) {
    super(`lease on job ${jobId} is no longer held by ${owner}`)
    this.name = 'LeaseLost'
  }
}

/** A job that may be claimed at `now`: pending and past its run_after, or running on a lease that ran out. */
function due(now: Date) {
  return (eb: ExpressionBuilder<Schema, 'jobs'>) => eb.or([
    eb.and([eb('state', '=', 'pending'), eb('run_after', '<=', now)]),
    eb.and([eb('state', '=', 'running'), eb('lease_expires_at', '<', now)]),
  ])
}

function toJob(row: Selectable<JobsTable>): Job {
  return { ...row, payload: JSON.parse(row.payload) as JsonValue }
}

/**
 * Jobs (flow runs) and their journal. A worker claims a due job under a lease, renews the
 * lease while it works, journals each completed step, and ends the job; a job whose lease
 * ran out (its worker died) can be claimed by another worker, which resumes from the journal.
 * Methods that end or advance a job take the lease owner and do nothing (resolve false, or
 * throw LeaseLost inside a caller's transaction) when the caller no longer holds the lease.
 */
export class JobRepository {
  constructor(private readonly db: Database, private readonly clock: Clock) {}

  /** Adds a pending job inside the caller's transaction, with the status change that needs it. */
  async enqueue(trx: Transaction<Schema>, job: NewJob): Promise<Job> {
    const now = this.clock.now()
    const row = {
      id: job.id ?? newId(), kind: job.kind, target_type: job.target_type, target_id: job.target_id,
      load_balancer_id: job.load_balancer_id ?? null, payload: JSON.stringify(job.payload ?? {}), state: 'pending' as const,
      attempts: 0, lease_owner: null, lease_expires_at: null, run_after: job.run_after ?? now, last_error: null,
      current_step: null, failed_step: null, created_at: now, updated_at: null,
    }
    await trx.insertInto('jobs').values(row).execute()
    return toJob(row)
  }

  async get(id: string, executor: Executor = this.db.kysely): Promise<Job | undefined> {
    const row = await executor.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst()
    return row && toJob(row)
  }

  /** Jobs of a load balancer, oldest first. */
  async listByLoadBalancer(loadBalancerId: string, executor: Executor = this.db.kysely): Promise<Job[]> {
    const rows = await executor.selectFrom('jobs').selectAll().where('load_balancer_id', '=', loadBalancerId)
      .orderBy('created_at').orderBy('id').execute()
    return rows.map(toJob)
  }

  /** Jobs matching every given field, newest first. */
  async list(filter: JobFilter = {}, executor: Executor = this.db.kysely): Promise<Job[]> {
    let query = executor.selectFrom('jobs').selectAll()
    if (filter.state !== undefined) query = query.where('state', '=', filter.state)
    if (filter.load_balancer_id !== undefined) query = query.where('load_balancer_id', '=', filter.load_balancer_id)
    if (filter.kind !== undefined) query = query.where('kind', '=', filter.kind)
    const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(filter.limit ?? 100).execute()
    return rows.map(toJob)
  }

  async countByState(executor: Executor = this.db.kysely): Promise<Record<JobState, number>> {
    const rows = await executor.selectFrom('jobs').select((eb) => ['state', eb.fn.countAll<number>().as('n')]).groupBy('state').execute()
    const counts: Record<JobState, number> = { pending: 0, running: 0, succeeded: 0, failed: 0, reverted: 0 }
    for (const row of rows) counts[row.state] = Number(row.n)
    return counts
  }

  /**
   * Claims the next due job (pending and past run_after, or running with an expired lease)
   * for `owner` until now + leaseMs, counting an attempt. Concurrent claimers never get the
   * same job: MySQL/PostgreSQL lock the row with FOR UPDATE SKIP LOCKED (others skip to the
   * next job); on SQLite the UPDATE is guarded by the attempt count and state it read, so a
   * claim can only apply to the row version it saw.
   */
  async claimNext(owner: string, leaseMs: number): Promise<Job | undefined> {
    return (await this.claimDue(owner, leaseMs, 1))[0]
  }

  /**
   * Claims up to `limit` due jobs, oldest due first; fewer (or none) when fewer are due or other
   * claimers took some of them meanwhile.
   */
  async claimDue(owner: string, leaseMs: number, limit: number): Promise<Job[]> {
    if (this.db.engine === 'sqlite') {
      // The guarded UPDATEs alone decide, so the search needs no transaction and a search that
      // finds nothing never takes the database's write lock; the UPDATEs share one transaction.
      const candidates = await this.#due(this.db.kysely, limit)
      if (candidates.length === 0) return []
      return this.db.transaction((trx) => this.#claimFound(trx, candidates, owner, leaseMs))
    }
    // READ COMMITTED: InnoDB then locks only the rows it returns, not the gaps it scanned.
    const transaction = this.db.engine === 'mysql' ? this.db.kysely.transaction().setIsolationLevel('read committed')
      : this.db.kysely.transaction()
    return transaction.execute(async (trx) => this.#claimFound(trx, await this.#due(trx, limit), owner, leaseMs))
  }

  /** Due jobs, oldest due first (MySQL/PostgreSQL: locked, skipping those another claimer holds). */
  #due(executor: Executor, limit: number): Promise<Array<Selectable<JobsTable>>> {
    let query = executor.selectFrom('jobs').selectAll().where(due(this.clock.now()))
      .orderBy('run_after').orderBy('created_at').orderBy('id').limit(limit)
    if (this.db.engine !== 'sqlite') query = query.forUpdate().skipLocked()
    return query.execute()
  }

  /** Leases the jobs found, each by an UPDATE guarded by what was read (SQLite searched outside the transaction). */
  async #claimFound(trx: Executor, candidates: Array<Selectable<JobsTable>>, owner: string, leaseMs: number): Promise<Job[]> {
    const now = this.clock.now()
    const leased = { state: 'running' as const, lease_owner: owner, lease_expires_at: new Date(now.getTime() + leaseMs), updated_at: now }
    const claimed: Job[] = []
    for (const candidate of candidates) {
      const { numUpdatedRows } = await trx.updateTable('jobs')
        .set({ ...leased, attempts: candidate.attempts + 1 })
        .where('id', '=', candidate.id).where('attempts', '=', candidate.attempts).where('state', '=', candidate.state)
        // Still due: a lease renewed since the search (SQLite searched outside a transaction) stays its holder's.
        .where(due(now))
        .executeTakeFirst()
      if (numUpdatedRows > 0n) claimed.push(toJob({ ...candidate, ...leased, attempts: candidate.attempts + 1 }))
    }
    return claimed
  }

  /** Claims one named job (a queue message's) if it is due or its lease expired; one guarded UPDATE. */
  async claim(id: string, owner: string, leaseMs: number, executor?: Executor): Promise<Job | undefined> {
    // SQLite: a transaction of its own, so that claims made together share one commit.
    if (executor === undefined && this.db.engine === 'sqlite') return this.db.transaction((trx) => this.claim(id, owner, leaseMs, trx))
    executor ??= this.db.kysely
    const now = this.clock.now()
    const { numUpdatedRows } = await executor.updateTable('jobs')
      .set((eb) => ({
        state: 'running', lease_owner: owner, lease_expires_at: new Date(now.getTime() + leaseMs), updated_at: now,
        attempts: eb('attempts', '+', 1),
      }))
      .where('id', '=', id)
      .where(due(now))
      .executeTakeFirst()
    return numUpdatedRows > 0n ? this.get(id, executor) : undefined
  }

  /** Extends the lease; false when `owner` lost it (the job was taken over or ended). */
  async renewLease(id: string, owner: string, leaseMs: number, executor: Executor = this.db.kysely): Promise<boolean> {
    const now = this.clock.now()
    const { numUpdatedRows } = await executor.updateTable('jobs')
      .set({ lease_expires_at: new Date(now.getTime() + leaseMs), updated_at: now })
      .where('id', '=', id).where('lease_owner', '=', owner).where('state', '=', 'running')
      .executeTakeFirst()
    return numUpdatedRows > 0n
  }

  /**
   * The first statement of every transaction that advances a job: proves `owner` still holds
   * the lease (and extends it), locking the job row until the transaction ends, so no other
   * worker can claim the job in between. Throws LeaseLost (rolling the transaction back) if not.
   */
  async holdLease(trx: Executor, id: string, owner: string, leaseMs: number, currentStep?: string): Promise<void> {
    const now = this.clock.now()
    const { numUpdatedRows } = await trx.updateTable('jobs')
      .set({ lease_expires_at: new Date(now.getTime() + leaseMs), updated_at: now, ...(currentStep === undefined ? {} : { current_step: currentStep }) })
      .where('id', '=', id).where('lease_owner', '=', owner).where('state', '=', 'running')
      .executeTakeFirst()
    if (numUpdatedRows === 0n) throw new LeaseLost(id, owner)
  }

  /** Adds a completed step to the journal (in the transaction that holds the lease); a step is journaled once. */
  journal(trx: Executor, id: string, step: JournalEntry): Promise<void> {
    return this.journalAll(trx, id, [step])
  }

  /** Adds several completed steps to the journal in one statement (the steps one transaction ran). */
  async journalAll(trx: Executor, id: string, steps: readonly JournalEntry[]): Promise<void> {
    if (steps.length === 0) return
    const now = this.clock.now()
    await trx.insertInto('job_steps').values(steps.map((step) => ({
      job_id: id, step_index: step.index, step_name: step.name, result: JSON.stringify(step.result ?? null),
      completed_at: now, reverted_at: step.reverted ? now : null,
    }))).execute()
  }

  /**
   * Journals a completed step and makes it the job's current step, atomically, while
   * `owner` holds the lease; false (nothing written) when it does not.
   */
  async recordStep(id: string, owner: string, step: { index: number; name: string; result?: JsonValue }, leaseMs = 30_000): Promise<boolean> {
    try {
      await this.db.transaction(async (trx) => {
        await this.holdLease(trx, id, owner, leaseMs, step.name)
        await this.journal(trx, id, step)
      })
      return true
    } catch (err) {
      if (err instanceof LeaseLost) return false
      throw err
    }
  }

  /** Notes that a journaled step's revert is done (in the transaction that holds the lease), so a resumed revert skips it. */
  async markReverted(trx: Executor, id: string, index: number): Promise<void> {
    await trx.updateTable('job_steps').set({ reverted_at: this.clock.now() })
      .where('job_id', '=', id).where('step_index', '=', index).execute()
  }

  /** The journal, in step order. */
  async steps(id: string, executor: Executor = this.db.kysely): Promise<JobStep[]> {
    const rows = await executor.selectFrom('job_steps').selectAll().where('job_id', '=', id).orderBy('step_index').execute()
    return rows.map((row) => ({ ...row, result: JSON.parse(row.result ?? 'null') as JsonValue }))
  }

  /**
   * Turns the job from going forward to reverting: `failedStep` failed for good with `error`.
   * Kept on the row, so a worker that takes the job over carries on reverting.
   */
  async startRevert(id: string, owner: string, failure: { failed_step: string; error: string }, executor: Executor = this.db.kysely): Promise<boolean> {
    const { numUpdatedRows } = await executor.updateTable('jobs')
      .set({ failed_step: failure.failed_step, last_error: failure.error, updated_at: this.clock.now() })
      .where('id', '=', id).where('lease_owner', '=', owner).where('state', '=', 'running')
      .executeTakeFirst()
    return numUpdatedRows > 0n
  }

  /** Ends the job as succeeded; `lastStep` names the task it ended with when that is not its current step yet. */
  succeed(id: string, owner: string, executor?: Executor, lastStep?: string): Promise<boolean> {
    return this.#finish(id, owner, { state: 'succeeded', last_error: null, ...(lastStep === undefined ? {} : { current_step: lastStep }) }, executor)
  }

  /** Ends the job as failed (could not even revert) or reverted (undone after an error). */
  fail(id: string, owner: string, outcome: { state: 'failed' | 'reverted'; error: string }, executor?: Executor): Promise<boolean> {
    return this.#finish(id, owner, { state: outcome.state, last_error: outcome.error }, executor)
  }

  /** Gives the job back to be claimed again at `run_after` (back-off after a transient error). */
  retryLater(id: string, owner: string, retry: { run_after: Date; error?: string | null }, executor?: Executor): Promise<boolean> {
    return this.#finish(id, owner, { state: 'pending', run_after: retry.run_after, last_error: retry.error ?? null }, executor)
  }

  /** Gives the job back at once without counting the attempt (the worker is shutting down). */
  async handBack(id: string, owner: string, executor: Executor = this.db.kysely): Promise<boolean> {
    const now = this.clock.now()
    const { numUpdatedRows } = await executor.updateTable('jobs')
      .set((eb) => ({ state: 'pending', run_after: now, lease_owner: null, lease_expires_at: null, updated_at: now, attempts: eb('attempts', '-', 1) }))
      .where('id', '=', id).where('lease_owner', '=', owner).where('state', '=', 'running')
      .executeTakeFirst()
    return numUpdatedRows > 0n
  }

  async #finish(id: string, owner: string, fields: { state: JobState; last_error: string | null; run_after?: Date; current_step?: string },
    executor: Executor = this.db.kysely): Promise<boolean> {
    const { numUpdatedRows } = await executor.updateTable('jobs')
      .set({ ...fields, lease_owner: null, lease_expires_at: null, updated_at: this.clock.now() })
      .where('id', '=', id).where('lease_owner', '=', owner).where('state', '=', 'running')
      .executeTakeFirst()
    return numUpdatedRows > 0n
  }
}

