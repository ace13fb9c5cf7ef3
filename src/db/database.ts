import type { Kysely, Transaction } from 'kysely'
import type { Logger } from '../common/logger.ts'
import type { DatabaseEngine } from './database-options.ts'
import type { Schema } from './schema.ts'

/** What a query runs on: the database itself or an open transaction (a Transaction is a Kysely). */
export type Executor = Kysely<Schema>
export type { Transaction }

/** An open database: the typed query builder plus what callers need to know about the engine. */
export interface Database {
  readonly engine: DatabaseEngine
  readonly kysely: Kysely<Schema>
  /** "mysql at 127.0.0.1:3306 (database octavia)": for messages, never with credentials. */
  readonly target: string
  readonly log?: Logger
  /**
   * Runs `fn` in one transaction: committed if it resolves, rolled back if it throws.
   * Inside `fn` use only `trx`: on SQLite the single connection is held by the
   * transaction, so a query on `db.kysely` would wait for it forever. When the database breaks
   * a deadlock (DatabaseBusy) the whole of `fn` runs again, up to five times: keep side effects
   * other than queries on `trx` out of it.
   */
  transaction<T>(fn: (trx: Transaction<Schema>) => Promise<T>): Promise<T>
  /** Resolves when the server answers; throws DatabaseUnavailable otherwise. */
  ping(): Promise<void>
  close(): Promise<void>
}
