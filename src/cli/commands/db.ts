import type { Command } from 'commander'
import { createLogger } from '../../common/logger.ts'
import type { OctaviaConfig } from '../../config/schema.ts'
import type { Database } from '../database.ts'
import type { CliContext } from '../cli-context.ts'
import { loadCliConfig } from '../load-cli-config.ts'

export function registerDbCommands(program: Command, cli: CliContext): void {
  const db = program.command('db').description('manage the database schema')
  db.command('upgrade')
    .description('apply every pending migration (idempotent) and record the configured version')
    .action(() => withDatabase(cli, async (database, config) => {
      const { currentVersion, migrateToLatest, recordVersion } = await import('../../db/migrations.ts')
      const { applied } = await migrateToLatest(database)
      await recordVersion(database, config.version)
      for (const name of applied) process.stdout.write(`applied ${name}\n`)
      const { head } = await currentVersion(database)
      process.stdout.write(`${config.database.engine} database at ${head}${applied.length === 0 ? ' (already at head)' : ''}\n`)
    }))
  db.command('current')
    .description('show the schema version of the database and what is pending')
    .action(() => withDatabase(cli, async (database) => {
      const { currentVersion } = await import('../../db/migrations.ts')
      const { current, head, pending } = await currentVersion(database)
      process.stdout.write(`current: ${current ?? '(empty database)'}\nhead: ${head}\n`)
      process.stdout.write(pending.length === 0 ? 'pending: none\n' : `pending: ${pending.join(', ')}\n`)
    }))
}

/** Runs `fn` on the configured database, closing it afterwards. */
async function withDatabase(cli: CliContext, fn: (db: Database, config: OctaviaConfig) => Promise<void>): Promise<void> {
  const config = loadCliConfig(cli.globals())
  // The database code is loaded only by the commands that use it.
  const { openDatabase } = await import('../database.ts')
  const database = await openDatabase(config, createLogger())
  try {
    await fn(database, config)
  } finally {
    await database.close()
  }
}
