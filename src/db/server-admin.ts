import { createConnection } from 'mysql2/promise'
import pg from 'pg'
import { rmSync } from 'node:fs'
import { DEFAULT_PORTS, describeTarget, type DatabaseOptions } from './database-options.ts'
import { DatabaseUnavailable } from './errors.ts'
import { connectionFailureReason } from './translate-error.ts'

// Creating and dropping the database itself, on the server (not through the pool, which
// needs the database to exist). Used by tests and by operators' first `db upgrade`.

const SAFE_NAME = /^[A-Za-z0-9_]+$/

function checkedName(options: DatabaseOptions): string {
  const name = options.name ?? 'octavia'
  if (!SAFE_NAME.test(name)) throw new Error(`database name ${JSON.stringify(name)} must be letters, digits and underscores`)
  return name
}

async function withServer<T>(options: DatabaseOptions, action: (query: (text: string) => Promise<unknown[]>) => Promise<T>): Promise<T> {
  const target = describeTarget(options)
  if (options.engine === 'mysql') {
    let connection
    try {
      connection = await createConnection({
        host: options.host ?? '127.0.0.1', port: options.port ?? DEFAULT_PORTS.mysql,
        user: options.user ?? 'octavia', password: options.password ?? '',
        connectTimeout: (options.pool_timeout ?? 30) * 1000,
      })
    } catch (error) {
      throw new DatabaseUnavailable(target, connectionFailureReason(error), { cause: error })
    }
    try {
      return await action(async (text) => (await connection.query(text))[0] as unknown[])
    } finally {
      await connection.end()
    }
  }
  // PostgreSQL: connect to the maintenance database to create or drop ours.
  const client = new pg.Client({
    host: options.host ?? '127.0.0.1', port: options.port ?? DEFAULT_PORTS.postgresql,
    user: options.user ?? 'octavia', password: options.password ?? '', database: 'postgres',
    connectionTimeoutMillis: (options.pool_timeout ?? 30) * 1000,
  })
  try {
    await client.connect()
  } catch (error) {
    throw new DatabaseUnavailable(target, connectionFailureReason(error), { cause: error })
  }
  try {
    return await action(async (text) => (await client.query(text)).rows)
  } finally {
    await client.end()
  }
}

/** Creates the configured database if it does not exist (MySQL: utf8mb4, binary collation). Returns whether it did. */
export async function createServerDatabase(options: DatabaseOptions): Promise<boolean> {
  if (options.engine === 'sqlite') return false
  const name = checkedName(options)
  return withServer(options, async (query) => {
    if (options.engine === 'mysql') {
      const exists = await query(`select 1 from information_schema.schemata where schema_name = '${name}'`)
      if (exists.length > 0) return false
      await query(`create database if not exists \`${name}\` character set utf8mb4 collate utf8mb4_bin`)
      return true
    }
    const exists = await query(`select 1 from pg_database where datname = '${name}'`)
    if (exists.length > 0) return false
    await query(`create database "${name}" encoding 'UTF8' template template0`)
    return true
  })
}

/** Drops the configured database (SQLite: deletes the file and its WAL). Missing is fine. */
export async function dropServerDatabase(options: DatabaseOptions): Promise<void> {
  if (options.engine === 'sqlite') {
    const path = options.path ?? ':memory:'
    if (path === ':memory:') return
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true })
    return
  }
  const name = checkedName(options)
  await withServer(options, async (query) => {
    if (options.engine === 'mysql') await query(`drop database if exists \`${name}\``)
    else await query(`drop database if exists "${name}" with (force)`)
  })
}
