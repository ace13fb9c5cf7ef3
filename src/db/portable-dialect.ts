import {
  CompiledQuery, type DatabaseConnection, type DatabaseIntrospector, type Dialect, type DialectAdapter, type Driver,
  type Kysely, type QueryCompiler, type QueryResult, type TransactionSettings,
} from 'kysely'
import { SQLITE_BUSY_TIMEOUT_MS, type DatabaseEngine } from './database-options.ts'
import { DatabaseUnavailable } from './errors.ts'
import { connectionFailureReason, translateError } from './translate-error.ts'

export interface PortableDialectOptions {
  engine: DatabaseEngine
  /** "mysql at 127.0.0.1:3306 (database octavia)" */
  target: string
  /** Longest wait for a pooled connection (ms); not used for SQLite's single connection. */
  acquireTimeoutMs?: number
}

/**
 * Wraps an engine's Kysely dialect so that every engine behaves the same to callers:
 * errors become the typed errors of errors.ts, a connection that cannot be had within the
 * pool timeout is DatabaseUnavailable, and SQLite transactions start with BEGIN IMMEDIATE.
 */
export class PortableDialect implements Dialect {
  constructor(private readonly inner: Dialect, private readonly options: PortableDialectOptions) {}

  createDriver(): Driver {
    return new PortableDriver(this.inner.createDriver(), this.options)
  }

  createQueryCompiler(): QueryCompiler {
    return this.inner.createQueryCompiler()
  }

  createAdapter(): DialectAdapter {
    return this.inner.createAdapter()
  }

  createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return this.inner.createIntrospector(db)
  }
}

function isSqliteBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY')
}

/** Turns of the event loop a SQLite statement waits for the lock before it sleeps a millisecond at a time. */
const BUSY_SPINS = 4

class PortableConnection implements DatabaseConnection {
  /** SQLite: between BEGIN IMMEDIATE and its end (this connection holds the write lock). */
  inTransaction = false

  constructor(readonly inner: DatabaseConnection, private readonly options: PortableDialectOptions) {}

  async executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    let deadline: number | undefined
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.inner.executeQuery<R>(compiledQuery)
      } catch (error) {
        // SQLite: another process holds the lock. Wait here, without blocking the event loop as
        // SQLite's own busy timeout would (it sleeps the thread 1, 2, 5, 10... ms at a time);
        // a statement inside a transaction already holds the lock and is not retried.
        if (this.options.engine === 'sqlite' && !this.inTransaction && isSqliteBusy(error)) {
          deadline ??= Date.now() + SQLITE_BUSY_TIMEOUT_MS
          if (Date.now() < deadline) {
            await (attempt <= BUSY_SPINS ? new Promise((resolve) => setImmediate(resolve)) : new Promise((resolve) => setTimeout(resolve, 1)))
            continue
          }
        }
        throw translateError(this.options.engine, this.options.target, compiledQuery.sql, error)
      }
    }
  }

  async *streamQuery<R>(compiledQuery: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    try {
      yield* this.inner.streamQuery<R>(compiledQuery, chunkSize)
    } catch (error) {
      throw translateError(this.options.engine, this.options.target, compiledQuery.sql, error)
    }
  }
}

function ended(connection: DatabaseConnection): void {
  if (connection instanceof PortableConnection) connection.inTransaction = false
}

function unwrap(connection: DatabaseConnection): DatabaseConnection {
  return connection instanceof PortableConnection ? connection.inner : connection
}

class PortableDriver implements Driver {
  readonly #connections = new WeakMap<DatabaseConnection, PortableConnection>()

  constructor(private readonly inner: Driver, private readonly options: PortableDialectOptions) {}

  #translate(error: unknown, sql: string): unknown {
    return translateError(this.options.engine, this.options.target, sql, error)
  }

  async init(): Promise<void> {
    try {
      await this.inner.init()
    } catch (error) {
      if (error instanceof DatabaseUnavailable) throw error
      throw new DatabaseUnavailable(this.options.target, connectionFailureReason(error), { cause: error })
    }
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    let raw: DatabaseConnection
    try {
      raw = await this.#acquireWithin(this.options.acquireTimeoutMs)
    } catch (error) {
      if (error instanceof DatabaseUnavailable) throw error
      throw new DatabaseUnavailable(this.options.target, connectionFailureReason(error), { cause: error })
    }
    let connection = this.#connections.get(raw)
    if (!connection) {
      connection = new PortableConnection(raw, this.options)
      this.#connections.set(raw, connection)
    }
    return connection
  }

  #acquireWithin(timeoutMs: number | undefined): Promise<DatabaseConnection> {
    const acquiring = this.inner.acquireConnection()
    if (timeoutMs === undefined || this.options.engine === 'sqlite') return acquiring
    return new Promise((resolve, reject) => {
      let timedOut = false
      const timer = setTimeout(() => {
        timedOut = true
        reject(new DatabaseUnavailable(this.options.target, `no free connection within ${timeoutMs / 1000} s (pool exhausted)`))
      }, timeoutMs)
      acquiring.then(
        (connection) => {
          clearTimeout(timer)
          // The caller gave up: hand the late connection straight back to the pool.
          if (timedOut) void this.inner.releaseConnection(connection)
          else resolve(connection)
        },
        (error: unknown) => {
          clearTimeout(timer)
          reject(error)
        },
      )
    })
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    if (this.options.engine === 'sqlite') {
      // Take the write lock up front: a deferred transaction that reads and then writes can
      // fail with SQLITE_BUSY when another process wrote in between (busy_timeout cannot help
      // a lock upgrade), whereas BEGIN IMMEDIATE simply waits its turn.
      await connection.executeQuery(CompiledQuery.raw('begin immediate'))
      if (connection instanceof PortableConnection) connection.inTransaction = true
      return
    }
    await this.#run('begin', () => this.inner.beginTransaction(unwrap(connection), settings))
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await this.#run('commit', () => this.inner.commitTransaction(unwrap(connection)))
    ended(connection)
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    try {
      await this.#run('rollback', () => this.inner.rollbackTransaction(unwrap(connection)))
    } finally {
      ended(connection)
    }
  }

  async savepoint(connection: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']): Promise<void> {
    const inner = this.inner.savepoint
    if (!inner) throw new Error('savepoints are not supported by this driver')
    await this.#run('savepoint', () => inner.call(this.inner, unwrap(connection), name, compile))
  }

  async rollbackToSavepoint(connection: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']): Promise<void> {
    const inner = this.inner.rollbackToSavepoint
    if (!inner) throw new Error('savepoints are not supported by this driver')
    await this.#run('rollback to savepoint', () => inner.call(this.inner, unwrap(connection), name, compile))
  }

  async releaseSavepoint(connection: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']): Promise<void> {
    const inner = this.inner.releaseSavepoint
    if (!inner) throw new Error('savepoints are not supported by this driver')
    await this.#run('release savepoint', () => inner.call(this.inner, unwrap(connection), name, compile))
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    await this.inner.releaseConnection(unwrap(connection))
  }

  async destroy(): Promise<void> {
    await this.inner.destroy()
  }

  async #run(sql: string, action: () => Promise<void>): Promise<void> {
    try {
      await action()
    } catch (error) {
      throw this.#translate(error, sql)
    }
  }
}
