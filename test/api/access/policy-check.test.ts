import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parsePolicyCheck, PolicySyntaxError } from '../../../src/api/access/policy-check.ts'
import { PolicyEnforcer, parseRuleSet, type Credentials } from '../../../src/api/access/policy-enforcer.ts'

const caller = (roles: string[], project: string | null = 'p1', isAdmin = false): Credentials =>
  ({ roles, project_id: project, user_id: 'u1', is_admin: isAdmin })

function enforcer(rules: Record<string, string>): PolicyEnforcer {
  const { checks, problems } = parseRuleSet(new Map(Object.entries(rules)))
  assert.deepEqual(problems, [])
  return new PolicyEnforcer(checks)
}

test('the rule language: not binds tighter than and, and tighter than or; parentheses, @ and ! and an empty rule', () => {
  assert.deepEqual(parsePolicyCheck('role:a or role:b and not role:c'), {
    kind: 'or', checks: [{ kind: 'role', match: 'a' }, { kind: 'and', checks: [{ kind: 'role', match: 'b' }, { kind: 'not', check: { kind: 'role', match: 'c' } }] }],
  })
  assert.deepEqual(parsePolicyCheck('((role:a or role:b)) AND rule:x'), {
    kind: 'and', checks: [{ kind: 'or', checks: [{ kind: 'role', match: 'a' }, { kind: 'role', match: 'b' }] }, { kind: 'rule', name: 'x' }],
  })
  assert.deepEqual(parsePolicyCheck(''), { kind: 'always' })
  assert.deepEqual(parsePolicyCheck('  @ '), { kind: 'always' })
  assert.deepEqual(parsePolicyCheck('!'), { kind: 'never' })
  assert.deepEqual(parsePolicyCheck('project_id:%(project_id)s'), { kind: 'generic', left: 'project_id', literal: false, match: '%(project_id)s' })
  assert.deepEqual(parsePolicyCheck("'p1':%(project_id)s"), { kind: 'generic', left: 'p1', literal: true, match: '%(project_id)s' })
})

test('check strings that do not parse are refused with the reason', () => {
  for (const [text, reason] of [
    ['role:a and', /expected a check or "\(" but found the end/],
    ['(role:a or role:b', /expected "\)" but found the end/],
    ['role:a role:b', /unexpected "role:b"/],
    ['role:a or or role:b', /found "or"/],
    ['admin', /"admin" is not a check/],
    ['rule:', /names no rule/],
    ['http://policy.example/check', /not supported/],
    [')', /found "\)"/],
  ] as const) {
    assert.throws(() => parsePolicyCheck(text), (err: unknown) => err instanceof PolicySyntaxError && reason.test(err.message), text)
  }
})

test('evaluation: roles case-insensitively, the target project, is_admin:True, rule references, not', () => {
  const policy = enforcer({
    owner: 'project_id:%(project_id)s',
    'member-owner': 'role:Member and rule:owner',
    admin: 'is_admin:True',
    'not-admin': 'not rule:admin',
    literal: "'p9':%(project_id)s",
    'missing-ref': 'rule:nowhere',
  })
  assert.equal(policy.check('member-owner', { project_id: 'p1' }, caller(['member'])), true)
  assert.equal(policy.check('member-owner', { project_id: 'p2' }, caller(['member'])), false)
  assert.equal(policy.check('member-owner', { project_id: 'p1' }, caller(['reader'])), false)
  // oslo formats a missing value as None: a caller without a project never owns an object without one.
  assert.equal(policy.check('owner', { project_id: null }, caller([], null)), true)
  assert.equal(policy.check('owner', { project_id: null }, caller([], 'p1')), false)
  assert.equal(policy.check('admin', { project_id: 'p1' }, caller([], 'p1', true)), true)
  assert.equal(policy.check('admin', { project_id: 'p1' }, caller(['admin'], 'p1', false)), false)
  assert.equal(policy.check('not-admin', { project_id: 'p1' }, caller([])), true)
  assert.equal(policy.check('literal', { project_id: 'p9' }, caller([])), true)
  assert.equal(policy.check('literal', { project_id: 'p1' }, caller([])), false)
  assert.equal(policy.check('missing-ref', { project_id: 'p1' }, caller(['admin'])), false)
  assert.equal(policy.check('no-such-rule', { project_id: 'p1' }, caller(['admin'])), false)
})

test('a rule set names references to undefined rules and reference cycles', () => {
  const { checks } = parseRuleSet(new Map([['a', 'rule:b or rule:ghost'], ['b', 'rule:c'], ['c', 'rule:a'], ['d', '@']]))
  const problems = new PolicyEnforcer(checks).problems()
  assert.deepEqual(problems.map((p) => p.message).sort(), [
    'refers to rule "ghost", which is not defined',
    'rules refer to each other in a cycle: a -> b -> c -> a',
  ])
})
