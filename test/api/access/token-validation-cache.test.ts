import assert from 'node:assert/strict'
import { test } from 'node:test'
import { TokenValidationCache } from '../../../src/api/access/token-validation-cache.ts'

test('answers until the entry runs out, remembers refusals, and forgets the oldest when full', () => {
  const cache = new TokenValidationCache<string>(2)
  cache.set('a', 'context a', 1000)
  cache.set('refused', null, 500)
  assert.deepEqual(cache.get('a', 999), { valid: true, value: 'context a' })
  assert.deepEqual(cache.get('refused', 499), { valid: false })
  assert.equal(cache.get('refused', 500), undefined)
  assert.equal(cache.get('a', 1000), undefined)
  assert.equal(cache.size, 0)

  cache.set('a', 'A', 10_000)
  cache.set('b', 'B', 10_000)
  cache.set('c', 'C', 10_000)
  assert.equal(cache.size, 2)
  assert.equal(cache.get('a', 0), undefined)
  assert.deepEqual(cache.get('c', 0), { valid: true, value: 'C' })
})
