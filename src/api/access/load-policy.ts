import { ConfigError, type ConfigIssue } from '../../config/config-error.ts'
import type { OsloPolicyConfig } from '../../config/schema.ts'
import { baseRules } from './base-rules.ts'
import { readPolicyFile } from './policy-file.ts'
import { PolicyEnforcer, parseRuleSet } from './policy-enforcer.ts'
import { POLICIES, POLICY_PREFIX } from './policy-table.ts'

/**
 * The rules in force (rbac.md §2, §3): the base rules chosen by `enforce_new_defaults`, every
 * per-call policy with its default, then the operator's policy file, whose rules replace
 * same-named ones outright. Throws ConfigError listing every problem of the file: unreadable,
 * not a mapping, a check that does not parse, an unknown `os_load-balancer_api:` name, a
 * reference to an undefined rule, a reference cycle.
 */
export function loadPolicy(options: OsloPolicyConfig): PolicyEnforcer {
  const rules = new Map(Object.entries(baseRules(options.enforce_new_defaults)))
  for (const [action, check] of POLICIES) rules.set(`${POLICY_PREFIX}${action}`, check)

  const file = options.policy_file
  if (file === null) return build(rules, [], undefined)
  const { rules: overrides, problems: fileProblems } = readPolicyFile(file)
  const issues: ConfigIssue[] = fileProblems.map((message) => ({ file, path: '', message }))
  for (const [name, check] of overrides) {
    if (name.startsWith(POLICY_PREFIX) && !rules.has(name)) {
      issues.push({ file, path: '', message: `rule "${name}": no such policy (the names are in docs/configuration.md)` })
    }
    rules.set(name, check)
  }
  return build(rules, issues, file)
}

function build(rules: ReadonlyMap<string, string>, issues: ConfigIssue[], file: string | undefined): PolicyEnforcer {
  const { checks, problems } = parseRuleSet(rules)
  const enforcer = new PolicyEnforcer(checks)
  const all = [...problems, ...(problems.length === 0 ? enforcer.problems() : [])]
  issues.push(...all.map(({ rule, message }) => ({ ...(file === undefined ? {} : { file }), path: '', message: `rule "${rule}": ${message}` })))
  if (issues.length > 0) throw new ConfigError(issues)
  return enforcer
}
