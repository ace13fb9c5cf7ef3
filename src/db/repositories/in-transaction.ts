import type { Database, Executor } from '../database.ts'

/** Runs `fn` in the caller's transaction when `executor` is one, else in a new one. */
export function inTransaction<T>(db: Database, executor: Executor | undefined, fn: (trx: Executor) => Promise<T>): Promise<T> {
  if (executor?.isTransaction) return fn(executor)
  return db.transaction(fn)
}
