import { readFileSync } from 'node:fs'
import YAML from 'yaml'

/**
 * Reads the operator's policy file: a YAML (or JSON) mapping of rule names to check strings
 * (rbac.md §1). Returns the rules in file order, or the problems that make the file unusable.
 */
export function readPolicyFile(file: string): { rules: Map<string, string>; problems: string[] } {
  const rules = new Map<string, string>()
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : (err as Error).message
    return { rules, problems: [`cannot read the policy file: ${reason}`] }
  }
  const document = YAML.parseDocument(text, { uniqueKeys: true, prettyErrors: false })
  if (document.errors.length > 0) return { rules, problems: document.errors.map((e) => `YAML error: ${e.message}`) }
  const value: unknown = document.toJS()
  if (value === null || value === undefined) return { rules, problems: [] }
  if (typeof value !== 'object' || Array.isArray(value)) {
    return { rules, problems: ['a policy file must be a mapping of rule names to check strings'] }
  }
  const problems: string[] = []
  for (const [name, check] of Object.entries(value as Record<string, unknown>)) {
    if (typeof check === 'string') rules.set(name, check)
    else problems.push(`rule "${name}": expected a check string, got ${check === null ? 'null' : Array.isArray(check) ? 'a list' : typeof check}`)
  }
  return { rules, problems }
}
