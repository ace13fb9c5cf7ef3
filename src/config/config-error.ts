/**
 * One problem found while loading the configuration.
 * `file` is where the offending value came from: a pillar file as given, `env OCTAVIA__…` for an
 * environment override, `--set` for a command-line override; absent for the embedded defaults.
 * `path` is the pillar key path (`octavia.manager.house_keeping.spare_amphora_pool_size`), or
 * empty when the problem has no key (a YAML syntax error, an unreadable file).
 */
export interface ConfigIssue {
  file?: string
  /** 1-based, for YAML syntax errors. */
  line?: number
  column?: number
  path: string
  message: string
}

/** `pillar.yaml: octavia.api.bind.port: expected …`; `pillar.yaml:3:7: YAML syntax error: …`. */
export function formatIssue(issue: ConfigIssue): string {
  let where = issue.file ?? ''
  if (where !== '' && issue.line !== undefined) where += `:${issue.line}${issue.column === undefined ? '' : `:${issue.column}`}`
  return [where, issue.path, issue.message].filter((part) => part !== '').join(': ')
}

/** The configuration is unusable; `issues` holds every problem found, not just the first. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError'
  readonly issues: ConfigIssue[]

  constructor(issues: ConfigIssue[]) {
    super(issues.map(formatIssue).join('\n'))
    this.issues = issues
  }
}
