import type { Command } from 'commander'
import { createLogger } from '../../common/logger.ts'
import { currentVersion, migrateToLatest, recordVersion } from '../../db/migrations.ts'
import { openDatabase } from '../database.ts'
import type { CliContext } from '../cli-context.ts'
import { loadCliConfig } from '../load-cli-config.ts'

export function registerDbCommands(program: Command, cli: CliContext): void {
  const db = program.command('db').description('manage the database schema')
  db.command('upgrade')
    .description('apply every pending migration (idempotent) and record the configured version')
    .action(async () => {
      const config = loadCliConfig(cli.globals())
      const database = await openDatabase(config, createLogger())
      try {
        const { applied } = await migrateToLatest(database)
        await recordVersion(database, config.version)
        for (const name of applied) process.stdout.write(`applied ${name}\n`)
        const { head } = await currentVersion(database)
        process.stdout.write(`${config.database.engine} database at ${head}${applied.length === 0 ? ' (already at head)' : ''}\n`)
      } finally {
        await database.close()
      }
    })
  db.command('current')
    .description('show the schema version of the database and what is pending')
    .action(async () => {
      const config = loadCliConfig(cli.globals())
      const database = await openDatabase(config, createLogger())
      try {
        const { current, head, pending } = await currentVersion(database)
        process.stdout.write(`current: ${current ?? '(empty database)'}\nhead: ${head}\n`)
        process.stdout.write(pending.length === 0 ? 'pending: none\n' : `pending: ${pending.join(', ')}\n`)
      } finally {
        await database.close()
      }
    })
}
