import { enabledOnCreate } from './admin-state.ts'
import { Conflict, InvalidInput } from '../../common/errors.ts'
import type { NewL7Rule } from '../../db/repositories/l7rule-repository.ts'
import { pythonRegexError } from '../validation/python-regex.ts'
import { bool, oneOf, str, tags, type Parsed } from '../validation/field-types.ts'

// What a valid L7 rule is (spec/api-v2.md §13.5, §13.6): its fields and the per-type checks,
// shared by the rule resource and the full-graph load balancer create (§8.3).

export const L7RULE_TYPES = [
  'HOST_NAME', 'PATH', 'FILE_TYPE', 'HEADER', 'COOKIE', 'SSL_CONN_HAS_CERT', 'SSL_VERIFY_RESULT', 'SSL_DN_FIELD',
] as const
export const L7RULE_COMPARE_TYPES = ['REGEX', 'STARTS_WITH', 'ENDS_WITH', 'CONTAINS', 'EQUAL_TO'] as const

/** spec/api-v2.md §13.7: rules per policy, counting rows in any status. */
export const MAX_RULES_PER_POLICY = 50

// Types whose key means nothing: an update clears it (spec/api-v2.md §13.7).
const KEYLESS_TYPES: readonly string[] = ['HOST_NAME', 'PATH', 'FILE_TYPE']

// A CR or LF would end the HAProxy configuration line the value is written into.
const ONE_LINE = { max: 255, pattern: /^[^\r\n]*$/ } as const

/** The full graph's rule fields (spec/api-v2.md §8.3): no line check there, as upstream. */
export const GRAPH_L7RULE_FIELDS = {
  type: { type: oneOf(L7RULE_TYPES), mandatory: true },
  compare_type: { type: oneOf(L7RULE_COMPARE_TYPES), mandatory: true },
  key: { type: str({ max: 255 }) },
  value: { type: str({ max: 255 }), mandatory: true },
  invert: { type: bool() },
  admin_state_up: { type: bool() },
  tags: { type: tags() },
} as const

/** The standalone create body (spec/api-v2.md §13.5); owner fields are ignored (§3.5). */
export const L7RULE_CREATE_FIELDS = {
  type: GRAPH_L7RULE_FIELDS.type,
  compare_type: GRAPH_L7RULE_FIELDS.compare_type,
  key: { type: str(ONE_LINE) },
  value: { type: str(ONE_LINE), mandatory: true },
  invert: GRAPH_L7RULE_FIELDS.invert,
  admin_state_up: GRAPH_L7RULE_FIELDS.admin_state_up,
  project_id: { type: str({ max: 36 }) },
  tenant_id: { type: str({ max: 36 }) },
  tags: GRAPH_L7RULE_FIELDS.tags,
} as const

/** What PUT accepts: every rule field, none mandatory. */
export const L7RULE_UPDATE_FIELDS = {
  type: { type: oneOf(L7RULE_TYPES) },
  compare_type: { type: oneOf(L7RULE_COMPARE_TYPES) },
  key: L7RULE_CREATE_FIELDS.key,
  value: { type: str(ONE_LINE) },
  invert: GRAPH_L7RULE_FIELDS.invert,
  admin_state_up: GRAPH_L7RULE_FIELDS.admin_state_up,
  tags: GRAPH_L7RULE_FIELDS.tags,
} as const

export type L7RuleCreateBody = Parsed<typeof GRAPH_L7RULE_FIELDS>

/** The four fields the per-type checks look at; null where the rule has none. */
export interface RuleMatch {
  type: string | null
  compare_type: string | null
  key: string | null
  value: string | null
}

// spec/api-v2.md §13.6 text classes. The header-name class is upstream's `+-.` range, comma included.
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+,\-.^_`|~]+$/
const HEADER_VALUE = /^[\x21-\x7e]+$/
const QUOTED_HEADER_VALUE = /^"[\x20-\x7e\t]*"$/
const COOKIE_VALUE = /^[\x21\x23-\x3a\x3c-\x5b\x5d-\x7e]+$/
const DN_FIELD = /^[A-Za-z][A-Za-z0-9-]*$/
const DIGITS = /^[0-9]+$/

/** `Error parsing L7Rule: Invalid L7 Rule: <reason>` */
const invalidRule = (reason: string) => new InvalidInput(`Error parsing L7Rule: Invalid L7 Rule: ${reason}`)
/** `Error parsing L7Rule: <reason>` (character and regex problems). */
const parseError = (reason: string) => new InvalidInput(`Error parsing L7Rule: ${reason}`)

function checkRegex(value: string): void {
  const error = pythonRegexError(value)
  if (error !== null) throw parseError(`Unable to parse regular expression: ${error}`)
}

function checkHeaderValue(value: string, what: string): void {
  if (!HEADER_VALUE.test(value) && !QUOTED_HEADER_VALUE.test(value)) throw parseError(`Invalid characters in ${what}`)
}

/** spec/api-v2.md §13.6: what each rule type requires of its compare type, key and value. */
export function checkL7Rule(rule: RuleMatch): void {
  const { type, compare_type: compare, key, value } = rule
  if (!value) throw invalidRule('L7 rule type requires a value')
  switch (type) {
    case 'HEADER':
    case 'COOKIE': {
      if (!key) throw invalidRule('L7 rule type requires a key')
      if (!HEADER_NAME.test(key)) throw parseError('Invalid characters in key')
      if (compare === 'REGEX') checkRegex(value)
      else if (compare === 'STARTS_WITH' || compare === 'ENDS_WITH' || compare === 'CONTAINS' || compare === 'EQUAL_TO') {
        if (type === 'HEADER') checkHeaderValue(value, 'header value')
        else if (!COOKIE_VALUE.test(value)) throw parseError('Invalid characters in cookie value')
      } else throw invalidRule('invalid comparison type for rule type')
      return
    }
    case 'HOST_NAME':
    case 'PATH':
      if (compare === 'REGEX') checkRegex(value)
      else if (compare === 'STARTS_WITH' || compare === 'ENDS_WITH' || compare === 'CONTAINS' || compare === 'EQUAL_TO') {
        checkHeaderValue(value, 'comparison value')
      } else throw invalidRule('invalid comparison type for rule type')
      return
    case 'FILE_TYPE':
      if (compare === 'REGEX') checkRegex(value)
      else if (compare === 'EQUAL_TO') checkHeaderValue(value, 'comparison value')
      else throw invalidRule('invalid comparison type for rule type')
      return
    case 'SSL_CONN_HAS_CERT':
      if (key) throw invalidRule(`L7rule type ${type} does not use the "key" field.`)
      if (value.toLowerCase() !== 'true') throw invalidRule(`L7rule value ${value} is not a boolean True string.`)
      if (compare !== 'EQUAL_TO') throw invalidRule(`L7rule type ${type} only supports the EQUAL_TO compare type.`)
      return
    case 'SSL_VERIFY_RESULT':
      if (key) throw invalidRule(`L7rule type ${type} does not use the "key" field.`)
      if (!DIGITS.test(value)) throw invalidRule(`L7rule type ${type} needs a int value, which is >= 0`)
      if (compare !== 'EQUAL_TO') throw invalidRule(`L7rule type ${type} only supports the EQUAL_TO compare type.`)
      return
    case 'SSL_DN_FIELD':
      if (compare === 'REGEX') checkRegex(value)
      if (!key) throw invalidRule(`L7rule type ${type} needs to specify a key and a value.`)
      if (!DN_FIELD.test(key)) throw invalidRule('Invalid L7rule distinguished name field.')
      return
    default:
      throw invalidRule('invalid rule type')
  }
}

/** spec/api-v2.md §13.7: the 409 of a policy that already has its 50 rules. */
export function checkRuleCount(policyId: string, count: number): void {
  if (count >= MAX_RULES_PER_POLICY) throw new Conflict(`Too many rules on L7 policy ${policyId}`)
}

/** A new rule's row (spec/api-v2.md §13.5 defaults; PENDING_CREATE / OFFLINE by the repository's). */
export function newL7RuleValues(body: L7RuleCreateBody, policyId: string, projectId: string | null): NewL7Rule {
  return {
    l7policy_id: policyId,
    // spec/api-v2.md §3.5: a child belongs to its load balancer's project.
    project_id: projectId,
    type: body.type,
    compare_type: body.compare_type,
    key: body.key ?? null,
    value: body.value,
    // The column is NOT NULL: a null invert is the default (upstream fails with a database error).
    invert: body.invert ?? false,
    // spec/api-v2.md §3.4: admin_state_up null is stored as false.
    enabled: enabledOnCreate(body.admin_state_up),
    tags: body.tags ?? [],
  }
}

/** An update's key: cleared whenever the resulting type does not use one (spec/api-v2.md §13.7). */
export function keyAfterUpdate(type: string | null, key: string | null): string | null {
  return type !== null && KEYLESS_TYPES.includes(type) ? null : key
}
