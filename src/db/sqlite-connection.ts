import BetterSqlite3 from 'better-sqlite3'
import { mkdirSync, statSync } from 'node:fs'
import { dirname } from 'node:path'
import type { SqliteDatabase, SqliteStatement } from 'kysely'
import { SQLITE_BUSY_TIMEOUT_MS } from './database-options.ts'

// SQLite has no boolean or timestamp type and better-sqlite3 binds neither booleans nor
// Dates. This adapter makes SQLite read and write the same JS values as MySQL and
// PostgreSQL: parameters are converted on the way in, and result columns are converted
// on the way out by their declared type ("boolean", "datetime"), which better-sqlite3
// reports for every column that comes straight from a table.

/** Timestamps are stored as UTC text "YYYY-MM-DD HH:MM:SS.SSS": fixed width, so text order is time order. */
export function toSqliteTimestamp(date: Date): string {
  return date.toISOString().replace('T', ' ').replace('Z', '')
}

// Reads return the same stored timestamps again and again: each text is parsed once, in a
// cache that starts afresh when it gets large (Date's parser costs several map lookups).
const parsed = new Map<string, number>()
const PARSED_MAX = 20_000

export function fromSqliteTimestamp(text: string): Date {
  let ms = parsed.get(text)
  if (ms === undefined) {
    ms = new Date(`${text.replace(' ', 'T')}Z`).getTime()
    if (parsed.size >= PARSED_MAX) parsed.clear()
    parsed.set(text, ms)
  }
  return new Date(ms)
}

function toParameter(value: unknown): unknown {
  if (typeof value === 'boolean') return value ? 1 : 0
  if (value instanceof Date) return toSqliteTimestamp(value)
  return value
}

type Convert = (value: unknown) => unknown

const convertBoolean: Convert = (value) => (value === null || value === undefined ? value : value !== 0 && value !== '0')
const convertTimestamp: Convert = (value) => (typeof value === 'string' ? fromSqliteTimestamp(value) : value)

function converterFor(declaredType: string | null): Convert | undefined {
  const type = (declaredType ?? '').toLowerCase()
  if (type === 'boolean') return convertBoolean
  if (type === 'datetime') return convertTimestamp
  return undefined
}

const STATEMENT_CACHE_SIZE = 256

type RowFactory = (values: unknown[]) => Record<string, unknown>

/**
 * A function that turns one raw row (better-sqlite3's array of column values) into the row
 * object, converting the columns that need it: generated once per prepared statement, so each
 * row is one object literal of a fixed shape. (Reading rows as objects and converting their
 * fields in place cost several µs per row: generic keyed stores that also change the field's
 * type.) Duplicate names keep the last column, as better-sqlite3's own objects do.
 */
function rowFactory(columns: ReadonlyArray<{ name: string; type: string | null }>): RowFactory {
  const converters = columns.map((column) => converterFor(column.type))
  const fields = columns.map((column, i) => `${JSON.stringify(column.name)}: ${converters[i] ? `convert[${i}](row[${i}])` : `row[${i}]`}`)
  const make = new Function('convert', `return (row) => ({ ${fields.join(', ')} })`) as (convert: ReadonlyArray<Convert | undefined>) => RowFactory
  return make(converters)
}

class ConvertingStatement implements SqliteStatement {
  readonly reader: boolean
  readonly #statement: BetterSqlite3.Statement
  readonly #row: RowFactory | undefined

  constructor(statement: BetterSqlite3.Statement) {
    this.#statement = statement
    this.reader = statement.reader
    if (statement.reader) {
      this.#row = rowFactory(statement.columns())
      statement.raw(true)
    }
  }

  all(parameters: ReadonlyArray<unknown>): unknown[] {
    const rows = this.#statement.all(...parameters.map(toParameter))
    const row = this.#row
    return row ? (rows as unknown[][]).map(row) : rows
  }

  run(parameters: ReadonlyArray<unknown>): { changes: number | bigint; lastInsertRowid: number | bigint } {
    return this.#statement.run(...parameters.map(toParameter))
  }

  *iterate(parameters: ReadonlyArray<unknown>): IterableIterator<unknown> {
    const row = this.#row
    for (const values of this.#statement.iterate(...parameters.map(toParameter))) yield row ? row(values as unknown[]) : values
  }
}

/** Commits between two looks at the WAL file's size. */
const WAL_CHECK_EVERY = 64
/** Commits until the next try when the WAL could not be emptied. */
const WAL_RETRY_AFTER = 8
/**
 * WAL bytes past which a committer checkpoints it and starts it afresh (64 MB: 16,384 pages of
 * 4 KB). A checkpoint copies each page once however often the WAL holds it, and the pages creates
 * keep rewriting are few: with 64 MB rather than 16, creates cost some 10% less CPU.
 */
export const WAL_RESTART_BYTES = 64 * 1024 * 1024
/** Longest the restart waits for other processes' readers and writer (ms); it blocks this thread meanwhile. */
const WAL_RESTART_WAIT_MS = 50

/**
 * Keeps a WAL file from growing without end. SQLite writes from the start of the WAL again only
 * once every frame is copied back and no reader still uses one; with several processes reading
 * and writing all the time that moment never comes, and SQLite's own passive checkpoints then
 * copy back a little at every commit: the WAL reached 250 MB within seconds of creates, and
 * every commit paid for a checkpoint and its fsync. So after every WAL_CHECK_EVERY-th commit
 * this committer looks at the file's size and, past WAL_RESTART_BYTES, runs a TRUNCATE
 * checkpoint: it holds the write lock while the readers of older frames finish (they take
 * milliseconds), copies everything back and empties the file. (With a second process reading
 * all the time, 10,000 commits grew the WAL to 118 MB; with this it stays near WAL_RESTART_BYTES
 * on a quiet machine. On a loaded one, a reader descheduled in the middle of its read can hold
 * it up longer.)
 */
class WalKeeper {
  /** Commits until the next look at the WAL's size. */
  #countdown = WAL_CHECK_EVERY

  constructor(private readonly db: BetterSqlite3.Database, private readonly walPath: string) {}

  committed(): void {
    if (--this.#countdown > 0) return
    this.#countdown = WAL_CHECK_EVERY
    let size: number
    try {
      size = statSync(this.walPath).size
    } catch {
      return
    }
    if (size <= WAL_RESTART_BYTES) return
    this.db.pragma(`busy_timeout = ${WAL_RESTART_WAIT_MS}`)
    try {
      // The first attempt copies the WAL back, which takes long enough for readers to have begun
      // on frames of the WAL meanwhile; they are done within moments, and a second attempt then
      // finds them reading the database file alone and empties the WAL.
      for (let attempt = 0; attempt < 2; attempt++) {
        const [result] = this.db.pragma('wal_checkpoint(TRUNCATE)') as Array<{ busy: number }>
        if (!result?.busy) return
      }
      // Still busy (another checkpoint; on a loaded machine a reader descheduled in the middle
      // of its read): try again soon rather than a whole round later.
      this.#countdown = WAL_RETRY_AFTER
    } finally {
      this.db.pragma('busy_timeout = 0')
    }
  }
}

/** The COMMIT statement, telling the WAL keeper after each commit. */
class CommitStatement implements SqliteStatement {
  readonly reader = false

  constructor(private readonly statement: SqliteStatement, private readonly keeper: WalKeeper) {}

  all(parameters: ReadonlyArray<unknown>): unknown[] {
    return this.statement.all(parameters)
  }

  run(parameters: ReadonlyArray<unknown>): { changes: number | bigint; lastInsertRowid: number | bigint } {
    const result = this.statement.run(parameters)
    this.keeper.committed()
    return result
  }

  iterate(parameters: ReadonlyArray<unknown>): IterableIterator<unknown> {
    return this.statement.iterate(parameters)
  }
}

class ConvertingDatabase implements SqliteDatabase {
  readonly #db: BetterSqlite3.Database
  readonly #keeper: WalKeeper | undefined
  readonly #cache = new Map<string, SqliteStatement>()

  constructor(db: BetterSqlite3.Database, walPath?: string) {
    this.#db = db
    this.#keeper = walPath === undefined ? undefined : new WalKeeper(db, walPath)
  }

  prepare(sql: string): SqliteStatement {
    let statement = this.#cache.get(sql)
    if (statement) return statement
    statement = new ConvertingStatement(this.#db.prepare(sql))
    if (this.#keeper && /^\s*commit\s*$/i.test(sql)) statement = new CommitStatement(statement, this.#keeper)
    // DDL may change the columns (and so the converters) of cached statements: start afresh.
    if (/^\s*(create|drop|alter)\b/i.test(sql)) {
      this.#cache.clear()
    } else {
      if (this.#cache.size >= STATEMENT_CACHE_SIZE) this.#cache.delete(this.#cache.keys().next().value as string)
      this.#cache.set(sql, statement)
    }
    return statement
  }

  close(): void {
    this.#cache.clear()
    this.#db.close()
  }
}

/** Opens (creating if needed) a SQLite file with WAL and enforced foreign keys. */
export function openSqlite(path: string): SqliteDatabase {
  if (path !== ':memory:' && path !== '') mkdirSync(dirname(path), { recursive: true })
  const db = new BetterSqlite3(path, { timeout: SQLITE_BUSY_TIMEOUT_MS })
  const onDisk = path !== ':memory:' && path !== ''
  if (onDisk) db.pragma('journal_mode = WAL')
  db.pragma('foreign_keys = ON')
  // WAL makes NORMAL durable against application crashes; only an OS crash may lose the last commits.
  db.pragma('synchronous = NORMAL')
  // WalKeeper empties the WAL once it passes WAL_RESTART_BYTES (64 MB). SQLite's own passive
  // checkpoint at commit (by default from 1,000 pages on, at every commit while the WAL cannot
  // start afresh) stays, from 10,000 pages (40 MB): at 1,000 it took a fifth of the API's time
  // under a stream of small commits. Between 40 and 64 MB it copies back what it can ahead of the
  // keeper; moving it past the keeper's limit (20,000 pages) measured no better for creates.
  db.pragma('wal_autocheckpoint = 10000')
  // From here on no busy timeout: PortableDialect waits for a lock another process holds
  // without blocking the event loop.
  db.pragma('busy_timeout = 0')
  return new ConvertingDatabase(db, onDisk ? `${path}-wal` : undefined)
}
