import type { Logger } from '../common/logger.ts'
import type { OctaviaConfig } from '../config/schema.ts'
import { createDatabase } from '../db/create-database.ts'
import type { Database } from '../db/database.ts'
import { DatabaseError } from '../db/errors.ts'
import { CommandFailed } from './exit-codes.ts'

export type { Database }

/**
 * Opens the configured database and proves it answers. An unreachable server becomes a
 * one-line CommandFailed ("cannot connect to mysql at 127.0.0.1:3306 (database octavia): ...").
 */
export async function openDatabase(config: OctaviaConfig, log: Logger): Promise<Database> {
  const { engine, path, host, port, name, user, password, max_pool_size, pool_timeout } = config.database
  const db = createDatabase(
    { engine, path, name, user, max_pool_size, pool_timeout, host: host ?? undefined, port: port ?? undefined, password: password ?? undefined },
    log,
  )
  try {
    await db.ping()
    return db
  } catch (err) {
    await db.close()
    if (err instanceof DatabaseError) throw new CommandFailed(err.message)
    throw err
  }
}
