import assert from 'node:assert/strict'
import { test } from 'node:test'
import { POLICIES } from '../../../src/api/access/policy-table.ts'
import { readPolicyTableFixture } from './policy-table-fixture.ts'

test('the policy table in the code is spec/rbac.md §3 (test/fixtures/rbac-policy-table.md): same names, same default rules', () => {
  const { exact, wildcards } = readPolicyTableFixture()
  assert.ok(exact.size > 60, `only ${exact.size} policies read from the fixture`)
  for (const [name, check] of exact) assert.equal(POLICIES.get(name as `${string}:${string}`), check, name)
  for (const [prefix, check] of wildcards) {
    const covered = [...POLICIES].filter(([name]) => name.startsWith(prefix))
    assert.ok(covered.length > 0, `no policy ${prefix}*`)
    for (const [name, actual] of covered) assert.equal(actual, check, name)
  }
  const unlisted = [...POLICIES.keys()].filter((name) => !exact.has(name) && ![...wildcards.keys()].some((prefix) => name.startsWith(prefix)))
  assert.deepEqual(unlisted, [], 'policies in the code that the spec does not list')
})

test('the batch member update row names the three member policies it combines', () => {
  for (const action of ['member:post', 'member:put', 'member:delete'] as const) assert.ok(POLICIES.has(action), action)
})
