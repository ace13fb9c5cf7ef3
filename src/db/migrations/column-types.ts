import { sql, type ColumnDataType, type Expression, type Kysely, type CreateTableBuilder } from 'kysely'
import type { DatabaseEngine } from '../database-options.ts'

// The few places where the engines need different DDL. Everything else in a migration is
// the same Kysely schema-builder code for all three.

/** UTC timestamp with milliseconds. SQLite stores "YYYY-MM-DD HH:MM:SS.SSS" text (sqlite-connection.ts). */
export function timestampType(engine: DatabaseEngine): ColumnDataType {
  if (engine === 'mysql') return 'datetime(3)'
  if (engine === 'postgresql') return 'timestamptz(3)'
  return 'datetime'
}

/** The current time as a column default, in the same representation as timestampType. */
export function nowDefault(engine: DatabaseEngine): Expression<unknown> {
  if (engine === 'mysql') return sql`current_timestamp(3)`
  if (engine === 'postgresql') return sql`now()`
  return sql`(strftime('%Y-%m-%d %H:%M:%f', 'now'))`
}

/** Text of any reasonable length (JSON payloads, error messages): MySQL's TEXT stops at 64 KiB. */
export function longTextType(engine: DatabaseEngine): ColumnDataType | Expression<unknown> {
  return engine === 'mysql' ? sql`mediumtext` : 'text'
}

/**
 * CREATE TABLE with our table options: on MySQL InnoDB, utf8mb4 and a binary collation, so
 * names, tags and addresses compare case-sensitively as they do on PostgreSQL and SQLite.
 */
export function createTable(db: Kysely<unknown>, engine: DatabaseEngine, name: string): CreateTableBuilder<string, never> {
  const builder = db.schema.createTable(name)
  return engine === 'mysql' ? builder.modifyEnd(sql`engine = InnoDB default charset = utf8mb4 collate = utf8mb4_bin`) : builder
}
