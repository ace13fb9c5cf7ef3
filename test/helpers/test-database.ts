import type { TestContext } from 'node:test'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createDatabase } from '../../src/db/create-database.ts'
import type { Database } from '../../src/db/database.ts'
import type { DatabaseEngine, DatabaseOptions } from '../../src/db/database-options.ts'
import { DatabaseUnavailable } from '../../src/db/errors.ts'
import { migrateToLatest } from '../../src/db/migrations.ts'
import { createServerDatabase, dropServerDatabase } from '../../src/db/server-admin.ts'

/** Every db test runs the same code on each of these, against real servers (shared/services.md). */
export const ENGINES = ['sqlite', 'mysql', 'postgresql'] as const satisfies readonly DatabaseEngine[]

const START_COMMANDS: Record<'mysql' | 'postgresql', string> = {
  mysql: 'start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd',
  postgresql: 'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start',
}

/** Server credentials for tests: the CI machine's defaults, overridable by environment. */
export function serverOptions(engine: 'mysql' | 'postgresql'): DatabaseOptions {
  const env = process.env
  return engine === 'mysql'
    ? {
        engine, host: env.OCTAVIA_TEST_MYSQL_HOST ?? '127.0.0.1', port: Number(env.OCTAVIA_TEST_MYSQL_PORT ?? 3306),
        user: env.OCTAVIA_TEST_MYSQL_USER ?? 'root', password: env.OCTAVIA_TEST_MYSQL_PASSWORD ?? '', pool_timeout: 10,
      }
    : {
        engine, host: env.OCTAVIA_TEST_PG_HOST ?? '127.0.0.1', port: Number(env.OCTAVIA_TEST_PG_PORT ?? 5432),
        user: env.OCTAVIA_TEST_PG_USER ?? 'postgres', password: env.OCTAVIA_TEST_PG_PASSWORD ?? '', pool_timeout: 10,
      }
}

export interface TestDatabase {
  db: Database
  options: DatabaseOptions
  /** Closes the connection and removes the database. */
  drop(): Promise<void>
}

/**
 * A fresh, uniquely named database (`octavia_test_<pid>_<random>`) on the real server, or a
 * temporary SQLite file; migrated unless `migrate: false`. An unreachable server fails the
 * test with the command that starts it: these tests never skip.
 */
export async function openTestDatabase(engine: DatabaseEngine, { migrate = true } = {}): Promise<TestDatabase> {
  const name = `octavia_test_${process.pid}_${randomBytes(4).toString('hex')}`
  let options: DatabaseOptions
  let cleanup: () => Promise<void>
  if (engine === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'octavia-db-test-'))
    options = { engine, path: join(dir, `${name}.sqlite`) }
    cleanup = async () => rmSync(dir, { recursive: true, force: true })
  } else {
    options = { ...serverOptions(engine), name }
    try {
      await createServerDatabase(options)
    } catch (error) {
      if (error instanceof DatabaseUnavailable) {
        throw new Error(`${error.message}\nThe db tests need this server; start it with: ${START_COMMANDS[engine]}`, { cause: error })
      }
      throw error
    }
    cleanup = () => dropServerDatabase(options)
  }
  const db = createDatabase(options)
  const drop = async () => {
    await db.close()
    await cleanup()
  }
  if (migrate) {
    try {
      await migrateToLatest(db)
    } catch (error) {
      await drop()
      throw error
    }
  }
  return { db, options, drop }
}

/** openTestDatabase, dropped when the test `t` ends. */
export async function withTestDatabase(t: TestContext, engine: DatabaseEngine, settings: { migrate?: boolean } = {}): Promise<Database> {
  const handle = await openTestDatabase(engine, settings)
  t.after(() => handle.drop())
  return handle.db
}
