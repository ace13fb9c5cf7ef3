import type { Command } from 'commander'
import { renderCheckTable, worstCode } from '../check-table.ts'
import type { CliContext } from '../cli-context.ts'

export function registerStatusCommands(program: Command, cli: CliContext): void {
  const status = program.command('status').description('report on the deployment')
  const upgrade = status.command('upgrade').description('checks to run before and after an upgrade')
  upgrade.command('check')
    .description('check configuration, database, schema, queue and certificates; exit 0 success, 1 warning, 2 failure')
    .action(async () => {
      // The checks' code (database, queue, identity) is loaded only when they run.
      const { runUpgradeChecks } = await import('../upgrade-checks.ts')
      const results = await runUpgradeChecks(cli.globals())
      process.stdout.write(renderCheckTable(results))
      cli.exit(worstCode(results))
    })
}
