import { Command, CommanderError } from 'commander'
import type { CliContext } from './cli-context.ts'
import { registerConfigCommands } from './commands/config.ts'
import { registerDbCommands } from './commands/db.ts'
import { registerHostCommands } from './commands/host.ts'
import { registerJobCommands } from './commands/job.ts'
import { registerNetworkCommands } from './commands/network.ts'
import { registerServiceCommands } from './commands/services.ts'
import { registerStatusCommands } from './commands/status.ts'
import { CommandFailed, EXIT } from './exit-codes.ts'
import type { GlobalOptions } from './load-cli-config.ts'

const collect = (value: string, previous: string[]) => [...previous, value]

/** Runs the `octavia` command line and resolves to the process exit status. */
export async function main(argv: string[]): Promise<number> {
  let exitCode: number = EXIT.ok
  const program = new Command('octavia')
    .description('An Octavia-compatible load-balancing service: the OpenStack Octavia v2 API in front of HAProxy amphorae.')
    .option('-c, --config <file>', 'pillar YAML file; repeat to layer files, later ones override earlier ones', collect, [])
    .option('--set <key.path=value>', 'override one key, e.g. --set octavia.api.bind.port=9877 (repeatable)', collect, [])
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
  const cli: CliContext = {
    globals: () => program.opts<GlobalOptions>(),
    exit: (code) => void (exitCode = code),
  }
  registerServiceCommands(program, cli)
  registerDbCommands(program, cli)
  registerConfigCommands(program, cli)
  registerNetworkCommands(program, cli)
  registerHostCommands(program, cli)
  registerStatusCommands(program, cli)
  registerJobCommands(program, cli)

  try {
    await program.parseAsync(argv, { from: 'user' })
    return exitCode
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end with "errors" whose exit code is 0.
      return err.exitCode === 0 ? EXIT.ok : EXIT.config
    }
    if (err instanceof CommandFailed) {
      process.stderr.write(`${err.message}\n`)
      return err.exitCode
    }
    process.stderr.write(`octavia: unexpected error: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`)
    return EXIT.failure
  }
}
