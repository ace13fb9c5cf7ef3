import { findUniqueConstraint } from './constraints.ts'
import type { DatabaseEngine } from './database-options.ts'
import {
  DatabaseBusy, DatabaseError, DatabaseUnavailable, DuplicateEntry, ReferenceNotFound, StillReferenced,
} from './errors.ts'

interface EngineError {
  code?: unknown
  errno?: unknown
  message?: unknown
  sqlMessage?: unknown
  constraint?: unknown
  table?: unknown
  errors?: unknown
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE',
  'PROTOCOL_CONNECTION_LOST', 'PROTOCOL_SEQUENCE_TIMEOUT',
])
// MySQL: access denied, unknown database, too many connections, server gone away.
const MYSQL_UNAVAILABLE = new Set([1044, 1045, 1049, 1040, 2006, 2013, 1698])
// PostgreSQL SQLSTATE classes 08 (connection) and 28 (authorization), 3D000 unknown database,
// 57P01..57P03 server shutting down / cannot connect now, 53300 too many connections.
const PG_UNAVAILABLE = /^(08|28)|^3D000$|^57P0[123]$|^53300$/

function firstLine(text: string): string {
  return text.split('\n')[0]?.trim() ?? ''
}

function codeOf(err: EngineError): string | undefined {
  if (typeof err.code === 'string') return err.code
  // Node's happy-eyeballs connect reports an AggregateError whose members carry the code.
  if (Array.isArray(err.errors)) {
    for (const inner of err.errors as EngineError[]) if (typeof inner?.code === 'string') return inner.code
  }
  return undefined
}

/** "ECONNREFUSED" for network failures, otherwise the driver's first line (never contains a password). */
export function connectionFailureReason(error: unknown): string {
  const err = (error ?? {}) as EngineError
  const code = codeOf(err)
  if (code !== undefined && NETWORK_CODES.has(code)) return code
  const message = typeof err.message === 'string' && err.message !== '' ? firstLine(err.message) : String(error)
  return message
}

/** Is this an error of reaching or logging into the server, whatever the statement was? */
export function isConnectionFailure(engine: DatabaseEngine, error: unknown): boolean {
  const err = (error ?? {}) as EngineError
  const code = codeOf(err)
  if (code !== undefined && NETWORK_CODES.has(code)) return true
  if (engine === 'mysql') return typeof err.errno === 'number' && MYSQL_UNAVAILABLE.has(err.errno)
  if (engine === 'postgresql') {
    if (typeof code === 'string' && PG_UNAVAILABLE.test(code)) return true
    const message = typeof err.message === 'string' ? err.message : ''
    return /Connection terminated|connection timeout|timeout exceeded when trying to connect/i.test(message)
  }
  return code === 'SQLITE_CANTOPEN' || code === 'SQLITE_NOTADB'
}

const STATEMENT = /^\s*(insert|update|delete|replace|select)\b(?:\s+ignore)?(?:\s+into|\s+from)?\s+[`"]?(\w+)[`"]?/i

function statementOf(sql: string): { verb: string; table: string | undefined } {
  const match = STATEMENT.exec(sql)
  return { verb: (match?.[1] ?? '').toLowerCase(), table: match?.[2] }
}

/**
 * Turns an engine error into one of errors.ts, or returns it unchanged when it is a
 * programming error (syntax, NOT NULL, CHECK) that callers cannot act on.
 */
export function translateError(engine: DatabaseEngine, target: string, sql: string, error: unknown): unknown {
  if (error instanceof DatabaseError) return error
  const err = (error ?? {}) as EngineError
  if (isConnectionFailure(engine, error)) return new DatabaseUnavailable(target, connectionFailureReason(error), { cause: error })
  const code = codeOf(err)
  const message = typeof err.message === 'string' ? err.message : ''
  const statement = statementOf(sql)
  const fk = (constraint: string | undefined) => {
    const table = statement.table ?? (typeof err.table === 'string' ? err.table : 'row')
    return statement.verb === 'delete'
      ? new StillReferenced(table, constraint, { cause: error })
      : new ReferenceNotFound(table, constraint, { cause: error })
  }

  if (engine === 'postgresql') {
    if (code === '23505') {
      const name = typeof err.constraint === 'string' ? err.constraint : undefined
      const found = name !== undefined ? findUniqueConstraint({ name }) : undefined
      return new DuplicateEntry(found?.table ?? String(err.table ?? statement.table ?? ''), found?.name ?? name ?? 'unknown',
        found?.meaning ?? firstLine(message), { cause: error })
    }
    if (code === '23503') return fk(typeof err.constraint === 'string' ? err.constraint : undefined)
    if (code === '40P01' || code === '40001' || code === '55P03') return new DatabaseBusy(firstLine(message), { cause: error })
    return error
  }

  if (engine === 'mysql') {
    const errno = typeof err.errno === 'number' ? err.errno : undefined
    const text = typeof err.sqlMessage === 'string' ? err.sqlMessage : message
    if (errno === 1062) {
      // MariaDB: "... for key 'uq_name'"; MySQL 8: "... for key 'table.uq_name'"
      const key = /for key '(?:[^'.]+\.)?([^']+)'/.exec(text)?.[1]
      const found = key !== undefined ? findUniqueConstraint({ name: key, table: statement.table }) : undefined
      return new DuplicateEntry(found?.table ?? statement.table ?? '', found?.name ?? key ?? 'unknown',
        found?.meaning ?? firstLine(text), { cause: error })
    }
    if (errno === 1451 || errno === 1452) return fk(/CONSTRAINT [`"]([^`"]+)[`"]/.exec(text)?.[1])
    if (errno === 1205 || errno === 1213) return new DatabaseBusy(firstLine(text), { cause: error })
    return error
  }

  // SQLite: "UNIQUE constraint failed: listener.load_balancer_id, listener.protocol, listener.protocol_port"
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    const columns = (/constraint failed: (.*)$/.exec(message)?.[1] ?? '').split(',').map((c) => c.trim())
    const table = columns[0]?.split('.')[0]
    const found = findUniqueConstraint({ table, columns: columns.map((c) => c.split('.')[1] ?? c) })
    return new DuplicateEntry(found?.table ?? table ?? '', found?.name ?? 'unknown', found?.meaning ?? firstLine(message), { cause: error })
  }
  if (code === 'SQLITE_CONSTRAINT_FOREIGNKEY') return fk(undefined)
  if (typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'))) {
    return new DatabaseBusy(firstLine(message), { cause: error })
  }
  return error
}
