import type { Executor, Transaction } from '../db/database.ts'
import type { Job, JsonValue } from '../db/repositories/job-repository.ts'
import type { Schema } from '../db/schema.ts'
import type { FlowContext } from './flow-context.ts'

/** What a task sees of the job it runs in. */
export interface TaskRun {
  readonly ctx: FlowContext
  readonly job: Job
  /** The journaled result of an earlier task of this flow; undefined when it has not run. */
  result(name: string): JsonValue | undefined
}

/**
 * A task whose effect is in the database. It runs inside the transaction that proves the lease
 * and journals it, so its effect and its journal entry commit together: exactly once.
 */
export interface DatabaseTask {
  /** Journal key: renaming a task needs a migration of the journal. */
  readonly name: string
  readonly effect: 'database'
  execute(trx: Transaction<Schema>, run: TaskRun): Promise<JsonValue | void>
  /** Undoes the effect, in the transaction that notes the revert; `result` is what execute returned. */
  revert?(trx: Transaction<Schema>, run: TaskRun, result: JsonValue): Promise<void>
}

/**
 * A task whose effect is outside the database (an agent call, a driver). It is journaled after
 * it returns, so a crash in between runs it again: it must be idempotent (`ensure…` keyed by ids
 * fixed before the flow started).
 */
export interface ExternalTask {
  readonly name: string
  readonly effect: 'external'
  execute(run: TaskRun): Promise<JsonValue | void>
  /**
   * Whether this job needs the task at all (a data-plane task of a load balancer no data plane
   * serves): a result means there is nothing to do outside the database, and the engine journals
   * that result in the transaction of the database tasks around it instead of calling execute.
   */
  skip?(run: TaskRun, executor: Executor): Promise<JsonValue | undefined>
  /**
   * Undoes the effect, treating "already gone" as done. `result` is null when this task is the
   * one that failed (its partial work is undone too).
   */
  revert?(run: TaskRun, result: JsonValue): Promise<void>
}

export type Task = DatabaseTask | ExternalTask

export function databaseTask(name: string, execute: DatabaseTask['execute'], revert?: DatabaseTask['revert']): DatabaseTask {
  return revert ? { name, effect: 'database', execute, revert } : { name, effect: 'database', execute }
}

export function externalTask(name: string, execute: ExternalTask['execute'], revert?: ExternalTask['revert'],
  skip?: ExternalTask['skip']): ExternalTask {
  return { name, effect: 'external', execute, ...(revert ? { revert } : {}), ...(skip ? { skip } : {}) }
}

/**
 * The first task of every flow (spec/flows.md §1.3): it does nothing forward; its revert, the
 * last one run when the flow fails, marks the target ERROR and gives the parents back.
 */
export function checkpoint(name: string, revert: (trx: Transaction<Schema>, run: TaskRun) => Promise<void>): DatabaseTask {
  return databaseTask(name, async () => null, async (trx, run) => revert(trx, run))
}
