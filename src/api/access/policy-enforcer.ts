import { parsePolicyCheck, referencedRules, type PolicyCheck } from './policy-check.ts'

/** What a check sees of the caller (rbac.md §1). Roles are lower case and include implied roles. */
export interface Credentials {
  readonly roles: readonly string[]
  readonly project_id: string | null
  readonly user_id: string | null
  readonly is_admin: boolean
}

/** The object a call is about: rbac.md §1 gives it one key, the owner project. */
export interface PolicyTarget {
  readonly project_id: string | null
}

/** One rule of a rule set that cannot be used; `rule` names it. */
export interface RuleProblem {
  rule: string
  message: string
}

/**
 * A rule set (rule name → check), parsed once, and its evaluation. Unknown `rule:` references
 * and reference cycles are problems of the set, reported by `problems()` before it is used.
 */
export class PolicyEnforcer {
  private readonly checks: ReadonlyMap<string, PolicyCheck>

  /** `checks` as parseRuleSet makes them. */
  constructor(checks: ReadonlyMap<string, PolicyCheck>) {
    this.checks = checks
  }

  has(name: string): boolean {
    return this.checks.has(name)
  }

  /** Whether rule `name` passes; an unknown rule never does (oslo.policy's behaviour). */
  check(name: string, target: PolicyTarget, credentials: Credentials): boolean {
    const check = this.checks.get(name)
    return check !== undefined && this.evaluate(check, target, credentials)
  }

  /** rbac.md §1: `is_admin` is whether `context_is_admin` passes for the caller, with the caller's own project as target. */
  isAdmin(credentials: Omit<Credentials, 'is_admin'>): boolean {
    return this.check('context_is_admin', { project_id: credentials.project_id }, { ...credentials, is_admin: false })
  }

  /** References to missing rules and reference cycles. */
  problems(): RuleProblem[] {
    const problems: RuleProblem[] = []
    for (const [name, check] of this.checks) {
      for (const ref of referencedRules(check)) {
        if (!this.checks.has(ref)) problems.push({ rule: name, message: `refers to rule "${ref}", which is not defined` })
      }
    }
    const done = new Set<string>()
    const visit = (name: string, path: string[]): void => {
      if (done.has(name)) return
      const at = path.indexOf(name)
      if (at >= 0) {
        problems.push({ rule: name, message: `rules refer to each other in a cycle: ${[...path.slice(at), name].join(' -> ')}` })
        return
      }
      const check = this.checks.get(name)
      for (const ref of check ? referencedRules(check) : []) visit(ref, [...path, name])
      done.add(name)
    }
    for (const name of this.checks.keys()) visit(name, [])
    return problems
  }

  private evaluate(check: PolicyCheck, target: PolicyTarget, credentials: Credentials): boolean {
    switch (check.kind) {
      case 'always': return true
      case 'never': return false
      case 'rule': return this.check(check.name, target, credentials)
      case 'not': return !this.evaluate(check.check, target, credentials)
      case 'and': return check.checks.every((c) => this.evaluate(c, target, credentials))
      case 'or': return check.checks.some((c) => this.evaluate(c, target, credentials))
      case 'role': {
        const role = substitute(check.match, target)
        return role !== undefined && credentials.roles.includes(role.toLowerCase())
      }
      case 'generic': {
        const match = substitute(check.match, target)
        if (match === undefined) return false
        if (check.literal) return match === check.left
        if (!Object.hasOwn(credentials, check.left)) return false
        const value = (credentials as unknown as Record<string, unknown>)[check.left]
        return Array.isArray(value) ? value.includes(match) : match === pythonStr(value)
      }
    }
  }
}

/** Parses every rule of `rules`, collecting syntax problems by rule name instead of stopping at the first. */
export function parseRuleSet(rules: ReadonlyMap<string, string>): { checks: Map<string, PolicyCheck>; problems: RuleProblem[] } {
  const checks = new Map<string, PolicyCheck>()
  const problems: RuleProblem[] = []
  for (const [name, text] of rules) {
    try {
      checks.set(name, parsePolicyCheck(text))
    } catch (err) {
      problems.push({ rule: name, message: `cannot parse "${text}": ${(err as Error).message}` })
    }
  }
  return { checks, problems }
}

/** `%(key)s` from the target, as oslo formats it; undefined when the target lacks the key (the check fails). */
function substitute(match: string, target: PolicyTarget): string | undefined {
  let missing = false
  const text = match.replace(/%\(([^)]*)\)s/g, (_all, key: string) => {
    if (!Object.hasOwn(target, key)) {
      missing = true
      return ''
    }
    return pythonStr((target as unknown as Record<string, unknown>)[key])
  })
  return missing ? undefined : text
}

/** Python's str() of a credential or target value: oslo compares the strings. */
function pythonStr(value: unknown): string {
  if (value === null || value === undefined) return 'None'
  if (value === true) return 'True'
  if (value === false) return 'False'
  return String(value)
}
