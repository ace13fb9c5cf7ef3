import YAML from 'yaml'
import type { ConfigIssue } from './config-error.ts'
import { ListOption, formatPath } from './option.ts'
import { optionAtPillarPath } from './walk-pillar.ts'

/** One override of a pillar key, from the environment or the command line. */
export interface Override {
  /** Full pillar path, starting with `octavia`. */
  readonly path: readonly string[]
  readonly value: unknown
  /** `env OCTAVIA__DATABASE__HOST` or `--set`: the `file` of any issue about this value. */
  readonly source: string
}

export const ENV_PREFIX = 'OCTAVIA__'

/**
 * `OCTAVIA__MANAGER__HOUSE_KEEPING__SPARE_AMPHORA_POOL_SIZE=2`: path segments below `octavia`,
 * separated by `__`, case-insensitive. Only variables with the double-underscore prefix are
 * read, so OCTAVIA_LOG_LEVEL and the like are not configuration. Applied in name order, so
 * `OCTAVIA__DATABASE` comes before `OCTAVIA__DATABASE__HOST`.
 */
export function envOverrides(env: Readonly<Record<string, string | undefined>>, issues: ConfigIssue[]): Override[] {
  const overrides: Override[] = []
  for (const name of Object.keys(env).filter((n) => n.startsWith(ENV_PREFIX)).sort()) {
    const text = env[name]
    if (text === undefined) continue
    const source = `env ${name}`
    const segments = name.slice(ENV_PREFIX.length).split('__').map((s) => s.toLowerCase())
    if (segments.some((s) => s === '')) {
      issues.push({ file: source, path: '', message: 'not a configuration path: segments are separated by a double underscore, e.g. OCTAVIA__DATABASE__HOST' })
      continue
    }
    const value = parseOverride(['octavia', ...segments], text, source, issues)
    if (value !== undefined) overrides.push({ path: ['octavia', ...segments], value, source })
  }
  return overrides
}

/** `--set octavia.manager.house_keeping.spare_amphora_pool_size=2`: a full pillar path, then the value. */
export function setOverrides(sets: readonly string[], issues: ConfigIssue[]): Override[] {
  const overrides: Override[] = []
  for (const expression of sets) {
    const source = '--set'
    const equals = expression.indexOf('=')
    const segments = (equals < 0 ? expression : expression.slice(0, equals)).trim().split('.')
    if (equals < 0 || segments[0] !== 'octavia' || segments.length < 2 || segments.some((s) => s === '')) {
      issues.push({ file: source, path: '', message: `expected octavia.<path>=<value>, such as octavia.database.host=db1, got ${JSON.stringify(expression)}` })
      continue
    }
    const value = parseOverride(segments, expression.slice(equals + 1), source, issues)
    if (value !== undefined) overrides.push({ path: segments, value, source })
  }
  return overrides
}

/**
 * Override text is read as YAML (`2` an integer, `true` a boolean, `[a, b]` a list), except that
 * a string option takes the text verbatim (so a password `p@ss #1` stays whole) and a list option
 * also takes comma-separated items (`a,b`), as oslo.config does. Returns undefined on a YAML error.
 */
function parseOverride(path: readonly string[], text: string, source: string, issues: ConfigIssue[]): unknown {
  const option = optionAtPillarPath(path)
  if (option?.textual) return text
  if (option instanceof ListOption && !text.trimStart().startsWith('[')) {
    if (text.trim() === '') return []
    return text.split(',').map((item) => (option.item.textual ? item.trim() : parseYaml(item, path, source, issues)))
  }
  return parseYaml(text, path, source, issues)
}

function parseYaml(text: string, path: readonly string[], source: string, issues: ConfigIssue[]): unknown {
  const document = YAML.parseDocument(text, { prettyErrors: false })
  if (document.errors.length > 0) {
    issues.push({ file: source, path: formatPath(path), message: `not a valid YAML value: ${document.errors[0]!.message}` })
    return undefined
  }
  return document.toJS() as unknown
}
