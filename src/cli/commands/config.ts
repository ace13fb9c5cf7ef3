import type { Command } from 'commander'
import { maskSecrets } from '../../config/mask-secrets.ts'
import { toYaml } from '../../config/render-pillar.ts'
import type { CliContext } from '../cli-context.ts'
import { loadCliConfig } from '../load-cli-config.ts'

export function registerConfigCommands(program: Command, cli: CliContext): void {
  const config = program.command('config').description('validate and show the configuration')
  config.command('check')
    .argument('[files...]', 'pillar files to validate together, in order (default: the --config files)')
    .description('validate configuration files; exit 0 when valid, 2 when not')
    .action((files: string[]) => {
      const options = cli.globals()
      const effective = loadCliConfig(options, files.length > 0 ? files : options.config)
      const what = effective.sources.length > 0 ? effective.sources.join(', ') : 'embedded defaults'
      process.stdout.write(`configuration is valid: ${what}\n`)
    })
  config.command('show')
    .description('print the effective configuration (files, environment and --set applied) with secrets masked')
    .action(() => {
      process.stdout.write(toYaml(maskSecrets(loadCliConfig(cli.globals()))))
    })
}
