import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parsePythonFloat, parsePythonInt } from '../../../src/api/validation/python-numbers.ts'

test('parsePythonInt accepts what int(text, base) accepts', () => {
  const good: Array<[string, 10 | 16, bigint]> = [
    ['80', 10, 80n], [' 80 ', 10, 80n], ['+80', 10, 80n], ['-1', 10, -1n], ['080', 10, 80n],
    ['1_000', 10, 1000n], ['\t7\n', 10, 7n], ['99999999999999999999', 10, 99999999999999999999n],
    ['ff', 16, 255n], ['0xFF', 16, 255n], ['0x_f', 16, 15n], ['A_B', 16, 0xabn],
  ]
  for (const [text, base, expected] of good) assert.equal(parsePythonInt(text, base), expected, text)
  const bad: Array<[string, 10 | 16]> = [
    ['', 10], [' ', 10], ['80.9', 10], ['1e3', 10], ['0x50', 10], ['1__0', 10], ['_1', 10], ['1_', 10],
    ['8 0', 10], ['abc', 10], ['+-1', 10], ['g', 16], ['0x', 16],
  ]
  for (const [text, base] of bad) assert.equal(parsePythonInt(text, base), null, text)
})

test('parsePythonFloat accepts what float(text) accepts', () => {
  const good: Array<[string, number]> = [
    ['1.1', 1.1], [' 1.0 ', 1], ['1.', 1], ['.5', 0.5], ['1e3', 1000], ['-2.5E-1', -0.25], ['1_0.2_5', 10.25],
    ['inf', Infinity], ['-Infinity', -Infinity], ['+INF', Infinity],
  ]
  for (const [text, expected] of good) assert.equal(parsePythonFloat(text), expected, text)
  assert.ok(Number.isNaN(parsePythonFloat('nan')))
  for (const text of ['', '.', 'e3', '1e', '1._5', '1_.5', 'infinit', '0x10', '1,5', 'abc']) {
    assert.equal(parsePythonFloat(text), null, text)
  }
})
