/**
 * A parsed check string of the oslo.policy rule language, the subset rbac.md §1 names:
 * `@`, `!`, `role:<name>`, `rule:<name>`, `<credential>:<value>` (e.g. `project_id:%(project_id)s`,
 * `is_admin:True`), `not`, `and`, `or` and parentheses.
 */
export type PolicyCheck =
  | { kind: 'always' }
  | { kind: 'never' }
  | { kind: 'role'; match: string }
  | { kind: 'rule'; name: string }
  /** `left:match`: left is a credential name, or a quoted literal; match may hold `%(key)s` from the target. */
  | { kind: 'generic'; left: string; literal: boolean; match: string }
  | { kind: 'not'; check: PolicyCheck }
  | { kind: 'and'; checks: PolicyCheck[] }
  | { kind: 'or'; checks: PolicyCheck[] }

/** A check string that does not parse; the message says where. */
export class PolicySyntaxError extends Error {
  override readonly name = 'PolicySyntaxError'
}

type Token = { type: '(' | ')' | 'and' | 'or' | 'not' } | { type: 'check'; text: string }

/**
 * Parses a check string as oslo.policy does: tokens are separated by white space, parentheses
 * may lead or trail a token, `not` binds tighter than `and`, which binds tighter than `or`.
 * An empty string is `@` (always). Throws PolicySyntaxError.
 */
export function parsePolicyCheck(text: string): PolicyCheck {
  const tokens = tokenize(text)
  if (tokens.length === 0) return { kind: 'always' }
  let at = 0
  const peek = (): Token | undefined => tokens[at]
  const describe = (token: Token | undefined): string => token === undefined ? 'the end' : token.type === 'check' ? `"${token.text}"` : `"${token.type}"`

  const parseOr = (): PolicyCheck => {
    const checks = [parseAnd()]
    while (peek()?.type === 'or') {
      at++
      checks.push(parseAnd())
    }
    return checks.length === 1 ? checks[0]! : { kind: 'or', checks }
  }
  const parseAnd = (): PolicyCheck => {
    const checks = [parseNot()]
    while (peek()?.type === 'and') {
      at++
      checks.push(parseNot())
    }
    return checks.length === 1 ? checks[0]! : { kind: 'and', checks }
  }
  const parseNot = (): PolicyCheck => {
    if (peek()?.type !== 'not') return parseAtom()
    at++
    return { kind: 'not', check: parseNot() }
  }
  const parseAtom = (): PolicyCheck => {
    const token = tokens[at++]
    if (token?.type === '(') {
      const inner = parseOr()
      const close = tokens[at++]
      if (close?.type !== ')') throw new PolicySyntaxError(`expected ")" but found ${describe(close)}`)
      return inner
    }
    if (token?.type === 'check') return parseCheck(token.text)
    throw new PolicySyntaxError(`expected a check or "(" but found ${describe(token)}`)
  }

  const check = parseOr()
  if (at < tokens.length) throw new PolicySyntaxError(`unexpected ${describe(tokens[at])}`)
  return check
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = []
  for (const word of text.split(/\s+/).filter((w) => w !== '')) {
    let rest = word
    while (rest.startsWith('(')) {
      tokens.push({ type: '(' })
      rest = rest.slice(1)
    }
    let closing = 0
    while (rest.endsWith(')')) {
      closing++
      rest = rest.slice(0, -1)
    }
    const lower = rest.toLowerCase()
    if (lower === 'and' || lower === 'or' || lower === 'not') tokens.push({ type: lower })
    else if (rest !== '') tokens.push({ type: 'check', text: rest })
    for (let i = 0; i < closing; i++) tokens.push({ type: ')' })
  }
  return tokens
}

const QUOTED = /^(['"])(.*)\1$/

function parseCheck(text: string): PolicyCheck {
  if (text === '@') return { kind: 'always' }
  if (text === '!') return { kind: 'never' }
  const colon = text.indexOf(':')
  if (colon <= 0) throw new PolicySyntaxError(`"${text}" is not a check (expected <kind>:<value>, @ or !)`)
  const left = text.slice(0, colon)
  const match = text.slice(colon + 1)
  if (left === 'rule') {
    if (match === '') throw new PolicySyntaxError('"rule:" names no rule')
    return { kind: 'rule', name: match }
  }
  if (left === 'role') {
    if (match === '') throw new PolicySyntaxError('"role:" names no role')
    return { kind: 'role', match }
  }
  if (left === 'http' || left === 'https') throw new PolicySyntaxError(`"${left}:" checks (a remote policy server) are not supported`)
  const quoted = QUOTED.exec(left)
  return quoted ? { kind: 'generic', left: quoted[2]!, literal: true, match } : { kind: 'generic', left, literal: false, match }
}

/** The rule names a check refers to with `rule:`. */
export function referencedRules(check: PolicyCheck): string[] {
  switch (check.kind) {
    case 'rule': return [check.name]
    case 'not': return referencedRules(check.check)
    case 'and':
    case 'or': return check.checks.flatMap(referencedRules)
    default: return []
  }
}
