import { hostname } from 'node:os'
import { buildConfig } from './build-config.ts'
import { ConfigError, type ConfigIssue } from './config-error.ts'
import { applyConfigRules } from './config-rules.ts'
import { EMBEDDED_PILLAR } from './defaults.ts'
import { formatPath, type DefaultContext, type Path } from './option.ts'
import { envOverrides, setOverrides, type Override } from './overrides.ts'
import { PillarTree } from './pillar-tree.ts'
import { readPillarFile } from './read-pillar-file.ts'
import { GROUPS, ROLES, type OctaviaConfig } from './schema.ts'
import { unifyAliases, walkPillar, type Reporter } from './walk-pillar.ts'

export interface LoadConfigOptions {
  /** Pillar files, merged in order (later ones win key by key; lists are replaced). None: the embedded default. */
  files?: string[]
  /** Where `OCTAVIA__…` overrides (and Octavia's OS_OCTAVIA_* certificate defaults) are read; default process.env. */
  env?: Record<string, string | undefined>
  /** `octavia.<path>=<value>` overrides, applied last. */
  sets?: string[]
}

/**
 * Loads the operator's configuration: files in order < env < --set, validated once.
 * Returns a deeply frozen config and the warnings (unknown keys); throws ConfigError listing
 * every problem when anything is wrong.
 */
export function loadConfig(options: LoadConfigOptions): { config: OctaviaConfig; warnings: ConfigIssue[] } {
  const files = options.files ?? []
  const env = options.env ?? process.env
  const issues: ConfigIssue[] = []
  const warnings: ConfigIssue[] = []

  const tree = new PillarTree()
  if (files.length === 0) tree.merge(EMBEDDED_PILLAR, undefined)
  for (const file of files) {
    const document = readPillarFile(file, issues, warnings)
    if (document !== undefined) tree.merge(document, file)
  }
  for (const override of [...envOverrides(env, issues), ...setOverrides(options.sets ?? [], issues)]) applyOverride(tree, override)

  const issueAt = (path: Path, message: string): ConfigIssue => {
    const file = tree.sourceOf(path)
    return { ...(file === undefined ? {} : { file }), path: formatPath(path), message }
  }
  const report: Reporter = {
    error: (path, message) => void issues.push(issueAt(path, message)),
    warn: (path, message) => void warnings.push(issueAt(path, message)),
  }
  const context = { env, hostname: hostname() }
  const walkContext: DefaultContext = {
    ...context,
    sibling: () => undefined,
    lookup: (path) => { throw new Error(`a default that reads ${path} cannot be used inside a list`) },
  }

  const placements = walkPillar(tree, walkContext, report)
  unifyAliases(placements, report)
  const { version, ...rest } = buildConfig(placements, context) as Omit<OctaviaConfig, 'sources'>
  const config = applyConfigRules({ version, sources: [...files], ...rest }, placements, report)

  if (issues.length > 0) throw new ConfigError(issues)
  return { config: deepFreeze(config), warnings }
}

/**
 * Applies an override. One given at a shared group (`octavia.database.host`) also goes to every
 * role section that gives that group, so the places still agree.
 */
function applyOverride(tree: PillarTree, override: Override): void {
  tree.set(override.path, override.value, override.source)
  const [, group, ...rest] = override.path
  if (group === undefined || !Object.hasOwn(GROUPS, group)) return
  for (const role of ROLES) {
    if (tree.get(['octavia', role, group]) !== undefined) tree.set(['octavia', role, group, ...rest], override.value, override.source)
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const child of Object.values(value)) deepFreeze(child)
  }
  return value
}
