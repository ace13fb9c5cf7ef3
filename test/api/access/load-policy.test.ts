import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test, type TestContext } from 'node:test'
import { loadPolicy } from '../../../src/api/access/load-policy.ts'
import type { Credentials } from '../../../src/api/access/policy-enforcer.ts'
import { ConfigError } from '../../../src/config/config-error.ts'
import { runOctavia, scratchDir } from '../../helpers/run-octavia.ts'

const API = 'os_load-balancer_api:'

function caller(roles: string[], project = 'p1'): Credentials {
  return { roles, project_id: project, user_id: 'u', is_admin: false }
}

function policyFile(t: TestContext, text: string): string {
  const file = join(scratchDir(t), 'policy.yaml')
  writeFileSync(file, text)
  return file
}

function problems(file: string, enforceNewDefaults = true): string[] {
  try {
    loadPolicy({ enforce_new_defaults: enforceNewDefaults, enforce_scope: true, policy_file: file })
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err))
    return err.issues.map((issue) => {
      assert.equal(issue.file, file)
      return issue.message
    })
  }
  return []
}

test('secure defaults (rbac.md §2.1): the legacy load-balancer_* roles get nothing; legacy defaults (§2.2) OR them in', () => {
  const secure = loadPolicy({ enforce_new_defaults: true, enforce_scope: true, policy_file: null })
  const legacy = loadPolicy({ enforce_new_defaults: false, enforce_scope: true, policy_file: null })
  const own = { project_id: 'p1' }
  const other = { project_id: 'p2' }
  const read = `${API}loadbalancer:get_one`
  const write = `${API}loadbalancer:put`
  const global = `${API}loadbalancer:get_all-global`
  const quotaWrite = `${API}quota:put`
  for (const [who, roles, rule, target, inSecure, inLegacy] of [
    ['member', ['member', 'reader'], write, own, true, true],
    ['member, other project', ['member', 'reader'], read, other, false, false],
    ['reader', ['reader'], read, own, true, true],
    ['reader', ['reader'], write, own, false, false],
    ['load-balancer_observer', ['load-balancer_observer'], read, own, false, true],
    ['load-balancer_observer', ['load-balancer_observer'], read, other, false, false],
    ['load-balancer_member', ['load-balancer_member'], write, own, false, true],
    ['load-balancer_global_observer', ['load-balancer_global_observer'], read, other, false, true],
    ['load-balancer_global_observer', ['load-balancer_global_observer'], global, { project_id: null }, false, true],
    ['load-balancer_global_observer', ['load-balancer_global_observer'], write, own, false, false],
    ['load-balancer_quota_admin', ['load-balancer_quota_admin'], quotaWrite, other, false, true],
    ['load-balancer_quota_admin', ['load-balancer_quota_admin'], read, own, false, false],
    ['load-balancer_admin', ['load-balancer_admin'], write, other, false, true],
    ['admin', ['admin', 'member', 'reader'], write, other, true, true],
    ['service', ['service'], `${API}member:get_all`, other, true, true],
    ['service', ['service'], read, other, false, false],
  ] as const) {
    assert.equal(secure.check(rule, target, caller([...roles])), inSecure, `secure: ${who} ${rule} on ${target.project_id}`)
    assert.equal(legacy.check(rule, target, caller([...roles])), inLegacy, `legacy: ${who} ${rule} on ${target.project_id}`)
  }
  assert.equal(secure.isAdmin(caller(['load-balancer_admin'])), false)
  assert.equal(legacy.isAdmin(caller(['load-balancer_admin'])), true)
  assert.equal(secure.isAdmin(caller(['admin'])), true)
})

test('an override file replaces rules by name (a legacy alternative included) and may add helper rules', (t) => {
  const file = policyFile(t, [
    '# operator overrides',
    `"${API}loadbalancer:get_one": "rule:load-balancer:admin"`,
    `"${API}loadbalancer:get_all-global": "rule:auditor or rule:load-balancer:admin"`,
    'auditor: "role:Auditor"',
    '"load-balancer:member_and_owner": "role:member and rule:load-balancer:owner"',
    `"${API}loadbalancer:get_stats": ""`,
    '',
  ].join('\n'))
  const policy = loadPolicy({ enforce_new_defaults: false, enforce_scope: true, policy_file: file })
  const own = { project_id: 'p1' }
  assert.equal(policy.check(`${API}loadbalancer:get_one`, own, caller(['member', 'reader'])), false)
  assert.equal(policy.check(`${API}loadbalancer:get_one`, own, caller(['admin'])), true)
  assert.equal(policy.check(`${API}loadbalancer:get_all-global`, { project_id: null }, caller(['auditor'], 'p3')), true)
  // Overridden: the legacy alternative (role:load-balancer_member) no longer counts.
  assert.equal(policy.check(`${API}loadbalancer:put`, own, caller(['load-balancer_member'])), false)
  assert.equal(policy.check(`${API}loadbalancer:put`, own, caller(['member'])), true)
  // Not overridden: its legacy alternative still does.
  assert.equal(policy.check(`${API}loadbalancer:get_status`, own, caller(['load-balancer_observer'])), true)
  // An empty check string always passes (oslo.policy).
  assert.equal(policy.check(`${API}loadbalancer:get_stats`, { project_id: 'p2' }, caller([])), true)
})

test('an unusable policy file is a configuration error naming the file, the rule and what is wrong, every problem at once', (t) => {
  const file = policyFile(t, [
    `"${API}loadbalancer:get_one": "role:admin and"`,
    `"${API}loadbalancer:get_onee": "role:admin"`,
    `"${API}listener:get_one": 42`,
    `"${API}pool:get_one": ["role:admin"]`,
  ].join('\n'))
  assert.deepEqual(problems(file), [
    `rule "${API}listener:get_one": expected a check string, got number`,
    `rule "${API}pool:get_one": expected a check string, got a list`,
    `rule "${API}loadbalancer:get_onee": no such policy (the names are in docs/configuration.md)`,
    `rule "${API}loadbalancer:get_one": cannot parse "role:admin and": expected a check or "(" but found the end`,
  ])
  assert.deepEqual(problems(policyFile(t, 'a: "rule:b"\nb: "rule:a or rule:nobody"\n')), [
    'rule "b": refers to rule "nobody", which is not defined',
    'rule "a": rules refer to each other in a cycle: a -> b -> a',
  ])
  assert.deepEqual(problems(policyFile(t, '- role:admin\n')), ['a policy file must be a mapping of rule names to check strings'])
  assert.match(problems(policyFile(t, 'a: "@"\na: "!"\n'))[0] ?? '', /^YAML error: .*unique/i)
  assert.deepEqual(problems(join(scratchDir(t), 'absent.yaml')), ['cannot read the policy file: no such file'])
  assert.deepEqual(problems(policyFile(t, '')), [])
})

test('octavia config check refuses a configuration whose policy file is unusable (exit 2, the problem on one line)', async (t) => {
  const cwd = scratchDir(t)
  const file = policyFile(t, `"${API}loadbalancer:get_one": "(role:admin"\n`)
  const res = await runOctavia(['--set', `octavia.oslo_policy.policy_file=${file}`, 'config', 'check'], { cwd })
  assert.equal(res.code, 2)
  assert.equal(res.stderr, `${file}: rule "${API}loadbalancer:get_one": cannot parse "(role:admin": expected ")" but found the end\n`)
})
