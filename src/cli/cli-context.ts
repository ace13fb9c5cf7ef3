import type { GlobalOptions } from './load-cli-config.ts'

/** What every subcommand gets from the root program. */
export interface CliContext {
  /** The root options (--config, --set), wherever they were written on the command line. */
  globals(): GlobalOptions
  /** Sets the exit status the command ends with (errors use CommandFailed instead). */
  exit(code: number): void
}
