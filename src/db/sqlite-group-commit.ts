import { sql, type Kysely, type Transaction } from 'kysely'
import type { Schema } from './schema.ts'

/** Most transactions of this process that one SQLite transaction carries. */
const MAX_BATCH = 32

interface Pending {
  fn: (trx: Transaction<Schema>) => Promise<unknown>
  resolve: (value: unknown) => void
  reject: (error: unknown) => void
}

/**
 * Group commit for SQLite. A process has one SQLite connection, so its transactions run one
 * after another anyway; each of them used to take the file's write lock, find its page cache
 * dropped because another process had written (and read its pages again), and commit on its own.
 * Here the transactions that queue up while one runs (or while the lock is held elsewhere) run
 * next inside the same SQLite transaction, each within a savepoint: one that throws is rolled
 * back to its savepoint alone and rejects at once; the others resolve when the shared commit has
 * succeeded, or all reject with its error. To its caller each is still a transaction of its own:
 * all of it or nothing is written, and it resolves only once committed.
 */
export class SqliteGroupCommit {
  readonly #queue: Pending[] = []
  #draining = false

  constructor(private readonly kysely: Kysely<Schema>) {}

  run<T>(fn: (trx: Transaction<Schema>) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ fn, resolve: resolve as (value: unknown) => void, reject })
      if (!this.#draining) void this.#drain()
    })
  }

  async #drain(): Promise<void> {
    this.#draining = true
    try {
      while (this.#queue.length > 0) await this.#batch()
    } finally {
      this.#draining = false
    }
  }

  /** One SQLite transaction carrying as many queued transactions as arrive meanwhile, up to MAX_BATCH. */
  async #batch(): Promise<void> {
    const succeeded: Array<{ pending: Pending; value: unknown }> = []
    let started = false
    try {
      await this.kysely.transaction().execute(async (trx) => {
        started = true
        for (let n = 0; n < MAX_BATCH && this.#queue.length > 0; n++) {
          const pending = this.#queue.shift() as Pending
          await sql`savepoint grouped`.execute(trx)
          let value: unknown
          try {
            value = await pending.fn(trx)
          } catch (error) {
            pending.reject(error)
            // Undo this one alone. If SQLite ended the whole transaction (a full disk, an I/O
            // error), the rollback fails and so does the batch: nothing may run outside it.
            await sql`rollback to savepoint grouped`.execute(trx)
            await sql`release savepoint grouped`.execute(trx)
            continue
          }
          await sql`release savepoint grouped`.execute(trx)
          succeeded.push({ pending, value })
        }
      })
    } catch (error) {
      // BEGIN failed (the lock was not had in time): every transaction waiting gets the error,
      // as each would have after its own wait.
      if (!started) for (const pending of this.#queue.splice(0)) pending.reject(error)
      for (const { pending } of succeeded) pending.reject(error)
      return
    }
    for (const { pending, value } of succeeded) pending.resolve(value)
  }
}
