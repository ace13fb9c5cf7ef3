import { CompiledQuery, Kysely, MysqlDialect, PostgresDialect, SqliteDialect, sql, type Dialect } from 'kysely'
import { createPool, type TypeCast } from 'mysql2'
import pg from 'pg'
import type { Logger } from '../common/logger.ts'
import type { Database } from './database.ts'
import {
  DEFAULT_MAX_POOL_SIZE, DEFAULT_POOL_TIMEOUT, DEFAULT_PORTS, describeTarget, type DatabaseOptions,
} from './database-options.ts'
import { DatabaseBusy } from './errors.ts'
import { PortableDialect } from './portable-dialect.ts'
import { SqliteGroupCommit } from './sqlite-group-commit.ts'
import type { Schema } from './schema.ts'
import { openSqlite } from './sqlite-connection.ts'

// MySQL has no boolean type: BOOLEAN columns are TINYINT(1), read back as JS booleans here.
const mysqlTypeCast: TypeCast = (field, next) => {
  if (field.type === 'TINY' && field.length === 1) {
    const text = field.string()
    return text === null ? null : text !== '0'
  }
  return next()
}

// PostgreSQL returns BIGINT and NUMERIC as strings; we read them as numbers like the other
// engines (counters stay far below 2^53). `timestamp` without zone is UTC by our convention.
const PG_INT8 = 20
const PG_NUMERIC = 1700
const PG_TIMESTAMP = 1114
const pgTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (format !== 'binary') {
      if (oid === PG_INT8 || oid === PG_NUMERIC) return (value: string) => Number(value)
      if (oid === PG_TIMESTAMP) return (value: string) => new Date(`${value.replace(' ', 'T')}Z`)
    }
    return pg.types.getTypeParser(oid, format)
  },
} as pg.CustomTypesConfig

function createDialect(options: DatabaseOptions, log: Logger | undefined): Dialect {
  const poolSize = options.max_pool_size ?? DEFAULT_MAX_POOL_SIZE
  const maxConnections = poolSize + (options.max_overflow ?? 0)
  const timeoutMs = (options.pool_timeout ?? DEFAULT_POOL_TIMEOUT) * 1000
  switch (options.engine) {
    case 'sqlite': {
      const path = options.path ?? ':memory:'
      // Opened on first use, like the pools, so a bad path is a DatabaseUnavailable from the first query.
      return new SqliteDialect({ database: async () => openSqlite(path) })
    }
    case 'mysql':
      return new MysqlDialect({
        pool: createPool({
          host: options.host ?? '127.0.0.1',
          port: options.port ?? DEFAULT_PORTS.mysql,
          user: options.user ?? 'octavia',
          password: options.password ?? '',
          database: options.name ?? 'octavia',
          connectionLimit: maxConnections,
          maxIdle: poolSize,
          idleTimeout: 60_000,
          connectTimeout: timeoutMs,
          charset: 'utf8mb4',
          // Dates are written and read as UTC with milliseconds (columns are DATETIME(3)).
          timezone: 'Z',
          dateStrings: false,
          supportBigNumbers: true,
          bigNumberStrings: false,
          decimalNumbers: true,
          typeCast: mysqlTypeCast,
        }),
        onCreateConnection: async (connection) => {
          // UTC for server-side defaults; strict mode so a too-long value fails as on PostgreSQL.
          await connection.executeQuery(CompiledQuery.raw(
            "set time_zone = '+00:00', sql_mode = 'STRICT_ALL_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION'"))
          // READ COMMITTED, PostgreSQL's default: a read made after taking a row lock sees what the
          // lock's previous holder committed. Under InnoDB's REPEATABLE READ it would see the
          // snapshot of the transaction's first read, so e.g. a quota count taken under the
          // project's lock could miss objects created meanwhile (spec/api-v2.md §14.3).
          await connection.executeQuery(CompiledQuery.raw('set session transaction isolation level read committed'))
        },
      })
    case 'postgresql':
      return new PostgresDialect({
        pool: watchIdleErrors(new pg.Pool({
          host: options.host ?? '127.0.0.1',
          port: options.port ?? DEFAULT_PORTS.postgresql,
          user: options.user ?? 'octavia',
          password: options.password ?? '',
          database: options.name ?? 'octavia',
          max: maxConnections,
          idleTimeoutMillis: 60_000,
          connectionTimeoutMillis: timeoutMs,
          options: '-c TimeZone=UTC',
          types: pgTypes,
        }), log),
      })
  }
}

// An idle pooled client whose server went away emits 'error' on the pool; unhandled, that
// would end the process. The next query gets a fresh connection (or DatabaseUnavailable).
function watchIdleErrors(pool: pg.Pool, log: Logger | undefined): pg.Pool {
  pool.on('error', (err) => log?.warn({ err: { message: err.message } }, 'idle database connection lost'))
  return pool
}

const BUSY_ATTEMPTS = 5

/**
 * Runs a whole transaction again when the database broke a deadlock or a lock wait timed out
 * (DatabaseBusy): the engine rolled it back, so a new attempt starts clean. Seen with MariaDB
 * when parallel load balancer creates insert neighbouring VIP addresses into the same index.
 */
async function retryWhenBusy<T>(attempt: () => Promise<T>): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt()
    } catch (err) {
      if (!(err instanceof DatabaseBusy) || n >= BUSY_ATTEMPTS) throw err
      // Jittered, growing pause so the transactions that collided do not collide again.
      await new Promise((resolve) => setTimeout(resolve, n * (2 + Math.random() * 10)))
    }
  }
}

/**
 * Opens a database (lazily: MySQL and PostgreSQL connect on first use). Connection failures
 * surface as DatabaseUnavailable with a one-line message, e.g.
 * "cannot connect to mysql at 127.0.0.1:3306 (database octavia): ECONNREFUSED".
 */
export function createDatabase(options: DatabaseOptions, log?: Logger): Database {
  const target = describeTarget(options)
  const dbLog = log?.child({ component: 'db' })
  const kysely = new Kysely<Schema>({
    dialect: new PortableDialect(createDialect(options, dbLog), {
      engine: options.engine,
      target,
      acquireTimeoutMs: (options.pool_timeout ?? DEFAULT_POOL_TIMEOUT) * 1000,
    }),
  })
  dbLog?.debug({ engine: options.engine, target }, 'database configured')
  let closed: Promise<void> | undefined
  const grouped = options.engine === 'sqlite' ? new SqliteGroupCommit(kysely) : undefined
  return {
    engine: options.engine,
    kysely,
    target,
    log: dbLog,
    // SQLite's busy error comes after its whole wait for the write lock (BEGIN IMMEDIATE): no deadlock to retry.
    transaction: grouped ? (fn) => grouped.run(fn) : (fn) => retryWhenBusy(() => kysely.transaction().execute(fn)),
    ping: async () => {
      await sql`select 1`.execute(kysely)
    },
    close: () => (closed ??= kysely.destroy()),
  }
}
