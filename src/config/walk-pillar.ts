import { INVALID, Struct, bool, formatPath, isMapping, show, type DefaultContext, type Option, type Path, type Problem } from './option.ts'
import type { PillarTree } from './pillar-tree.ts'
import { ALIASES, GROUPS, ROLES, ROLE_SECTIONS, type Role } from './schema.ts'

// Where things live in the pillar (docs/configuration.md):
//   octavia.<group>            shared option groups (our addition)
//   octavia.<role>.<group>     the same groups inside a role section (the samples' layout)
//   octavia.<role>.<key>       role-only keys: enabled, bind, metrics, and the agent's own
// Each leaf option may be given in several of these places; all of them must agree.

/** Where an effective option's value was given. */
export interface Placement {
  readonly value: unknown
  readonly pillarPath: string
  readonly source: string | undefined
}

/** Effective path (`database.host`, `api.bind.port`, `roles.agent`) -> where it was given. */
export type Placements = Map<string, Placement>

export interface Reporter {
  error(path: Path, message: string): void
  warn(path: Path, message: string): void
}

const roleEnabled = bool()

function isGroup(key: string): key is keyof typeof GROUPS {
  return Object.hasOwn(GROUPS, key)
}

function isRole(key: string): key is Role {
  return (ROLES as readonly string[]).includes(key)
}

/** The option at a pillar path (`octavia.manager.database.host`), or undefined if none is known there. */
export function optionAtPillarPath(path: readonly string[]): Option<unknown> | undefined {
  const [top, first, second, ...rest] = path
  if (top !== 'octavia' || first === undefined) return undefined
  if (isGroup(first)) return descend(GROUPS[first], second === undefined ? [] : [second, ...rest])
  if (!isRole(first) || second === undefined) return undefined
  if (second === 'enabled') return rest.length === 0 ? roleEnabled : undefined
  const fields = ROLE_SECTIONS[first].fields as Record<string, Option<unknown>>
  if (Object.hasOwn(fields, second)) return descend(fields[second]!, rest)
  return isGroup(second) ? descend(GROUPS[second], rest) : undefined
}

function descend(option: Option<unknown>, path: readonly string[]): Option<unknown> | undefined {
  let node: Option<unknown> | undefined = option
  for (const key of path) {
    node = node instanceof Struct && Object.hasOwn(node.fields, key) ? (node.fields[key] as Option<unknown>) : undefined
    if (node === undefined) return undefined
  }
  return node
}

/**
 * Checks every value of the merged pillar and records where each effective option was given.
 * Conflicting values for one option, in two places, are reported at the later place.
 */
export function walkPillar(tree: PillarTree, ctx: DefaultContext, report: Reporter): Placements {
  const placements: Placements = new Map()
  const root = tree.root
  for (const key of Object.keys(root)) if (key !== 'octavia') report.warn([key], 'unknown key')
  const octavia = root.octavia
  if (octavia === null || octavia === undefined) return placements
  if (!isMapping(octavia)) {
    report.error(['octavia'], `expected a mapping, got ${show(octavia)}`)
    return placements
  }

  const place = (effective: string, value: unknown, at: Path): void => {
    const earlier = placements.get(effective)
    if (earlier === undefined) {
      placements.set(effective, { value, pillarPath: formatPath(at), source: tree.sourceOf(at) })
    } else if (!sameValue(earlier.value, value)) {
      const secret = optionAtPillarPath(at.map(String))?.secret ?? false
      const shown = (v: unknown): string => (secret ? '"***"' : show(v))
      report.error(at, `conflicts with ${earlier.pillarPath} (${shown(value)} vs ${shown(earlier.value)})`)
    }
  }

  const walkOption = (option: Option<unknown>, input: unknown, effective: readonly string[], at: Path): void => {
    if (input === null || input === undefined) return
    if (option instanceof Struct) {
      if (!isMapping(input)) {
        report.error(at, `expected a mapping, got ${show(input)}`)
        return
      }
      for (const [key, value] of Object.entries(input)) {
        if (Object.hasOwn(option.fields, key)) walkOption(option.fields[key] as Option<unknown>, value, [...effective, key], [...at, key])
        else report.warn([...at, key], 'unknown key')
      }
      return
    }
    const problems: Problem[] = []
    const value = option.check(input, at, problems, ctx)
    for (const problem of problems) (problem.warning ? report.warn : report.error)(problem.at, problem.message)
    if (value !== INVALID) place(effective.join('.'), value, at)
  }

  // Shared groups first, then the roles in a fixed order, so a conflict is reported at the role section.
  for (const key of Object.keys(octavia)) {
    if (!isGroup(key) && !isRole(key)) report.warn(['octavia', key], 'unknown key')
  }
  for (const group of Object.keys(GROUPS)) {
    if (group in octavia) walkOption(GROUPS[group as keyof typeof GROUPS], octavia[group], [group], ['octavia', group])
  }
  for (const role of ROLES) {
    if (!(role in octavia)) continue
    const section = octavia[role] ?? {}
    const at = ['octavia', role]
    if (!isMapping(section)) {
      report.error(at, `expected a mapping, got ${show(section)}`)
      continue
    }
    if (section.enabled === null || section.enabled === undefined) {
      report.warn([...at, 'enabled'], `not given, so the ${role} role is off on this host`)
    }
    const fields = ROLE_SECTIONS[role].fields as Record<string, Option<unknown>>
    for (const [key, value] of Object.entries(section)) {
      if (key === 'enabled') walkOption(roleEnabled, value, ['roles', role], [...at, key])
      else if (Object.hasOwn(fields, key)) walkOption(fields[key]!, value, [role, key], [...at, key])
      else if (isGroup(key)) walkOption(GROUPS[key], value, [key], [...at, key])
      else report.warn([...at, key], 'unknown key')
    }
  }
  return placements
}

/** One option under two names (schema.ts ALIASES): both take the value given; two values must agree. */
export function unifyAliases(placements: Placements, report: Reporter): void {
  for (const [left, right] of ALIASES) {
    const a = placements.get(left)
    const b = placements.get(right)
    if (a && b) {
      if (!sameValue(a.value, b.value)) {
        report.error(b.pillarPath.split('.'), `conflicts with ${a.pillarPath} (${show(b.value)} vs ${show(a.value)})`)
      }
    } else if (a) {
      placements.set(right, a)
    } else if (b) {
      placements.set(left, b)
    }
  }
}

export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => sameValue(x, b[i]))
  if (isMapping(a) && isMapping(b)) {
    const keys = Object.keys(a)
    return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && sameValue(a[k], b[k]))
  }
  return false
}
