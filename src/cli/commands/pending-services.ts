import type { Command } from 'commander'
import { CommandFailed } from '../exit-codes.ts'
import type { CliContext } from '../cli-context.ts'
import { loadCliConfig } from '../load-cli-config.ts'

// Services whose command exists from the start but whose implementation arrives in a later release.
const PENDING = [
  { name: 'housekeeping', what: 'housekeeping (spare amphorae, database clean-up, certificate rotation)' },
] as const

export function registerPendingServices(program: Command, cli: CliContext): void {
  for (const service of PENDING) {
    program
      .command(service.name)
      .description(`run ${service.what}; not available in this release`)
      .action(() => {
        loadCliConfig(cli.globals())
        throw new CommandFailed(`octavia ${service.name}: ${service.what.replace(/ \(.*/, '')} is not available in this release yet; nothing was started`)
      })
  }
}
