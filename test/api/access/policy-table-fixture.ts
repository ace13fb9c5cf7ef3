import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'

/** spec/rbac.md §3's table, as copied into the repository. */
export const POLICY_TABLE_FIXTURE = resolve(import.meta.dirname, '../../fixtures/rbac-policy-table.md')

export interface FixturePolicies {
  /** Policy name (without prefix) → default check, as the spec's words translate. */
  exact: Map<string, string>
  /** `availability-zone-profile:*` → the check of every policy of that resource. */
  wildcards: Map<string, string>
}

/**
 * Reads the table: each row's backticked policy names (short names take the resource of the
 * first) and its default rules (`read / read-global`, `**admin**`, `read or \`rule:service\``),
 * one per name or one for all. Rows naming no policy (`GET /`) and the batch row (which only
 * combines member policies) are skipped.
 */
export function readPolicyTableFixture(): FixturePolicies {
  const exact = new Map<string, string>()
  const wildcards = new Map<string, string>()
  const rows = readFileSync(POLICY_TABLE_FIXTURE, 'utf8').split('\n').filter((line) => line.startsWith('| ')).slice(1)
  for (const row of rows) {
    const [, policyCell = '', ruleCell = ''] = row.split('|').slice(1, -1).map((cell) => cell.trim())
    if (policyCell.includes('**and**')) continue
    const names = [...policyCell.matchAll(/`([^`]+)`/g)].map((m) => m[1]!)
    if (names.length === 0 || !names[0]!.includes(':')) continue
    const resource = names[0]!.slice(0, names[0]!.indexOf(':'))
    const rules = ruleCell.replaceAll('**', '').replaceAll('`', '').split(' / ').map((rule) => rule.trim())
    if (rules.length !== 1 && rules.length !== names.length) throw new Error(`fixture row has ${names.length} policies but ${rules.length} rules: ${row}`)
    names.forEach((name, i) => {
      const full = name.includes(':') ? name : `${resource}:${name}`
      const check = toCheck(rules.length === 1 ? rules[0]! : rules[i]!)
      if (full.endsWith(':*')) wildcards.set(full.slice(0, -1), check)
      else exact.set(full, check)
    })
  }
  return { exact, wildcards }
}

/** `read or rule:service` → `rule:load-balancer:read or rule:service`. */
function toCheck(words: string): string {
  return words.split(' or ').map((term) => term.startsWith('rule:') ? term : `rule:load-balancer:${term}`).join(' or ')
}
