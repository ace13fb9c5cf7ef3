import { loadPolicy } from '../api/access/load-policy.ts'
import { loadConfig } from '../config/load-config.ts'
import type { OctaviaConfig } from '../config/schema.ts'
import { ConfigError } from '../config/config-error.ts'
import { CommandFailed, EXIT } from './exit-codes.ts'

/** The options every subcommand accepts (commander puts them on the root program). */
export interface GlobalOptions {
  config: string[]
  set: string[]
}

/**
 * Loads the effective configuration for a command, printing unknown-key warnings on stderr.
 * An invalid configuration becomes a CommandFailed with every problem listed and exit status 2;
 * the operator's policy file (oslo_policy.policy_file) is part of the configuration.
 */
export function loadCliConfig(options: GlobalOptions, files: string[] = options.config): OctaviaConfig {
  try {
    const { config, warnings } = loadConfig({ files, env: process.env, sets: options.set })
    for (const w of warnings) process.stderr.write(`warning: ${w.file ? `${w.file}: ` : ''}${w.path}: ${w.message}\n`)
    loadPolicy(config.oslo_policy)
    return config
  } catch (err) {
    if (err instanceof ConfigError) throw new CommandFailed(err.message, EXIT.config)
    throw err
  }
}
