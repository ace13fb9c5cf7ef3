import { test } from 'node:test'
import assert from 'node:assert/strict'
import { pythonFloatRepr, pythonRepr, pythonStr } from '../../src/common/python-repr.ts'

test('pythonStr prints strings as they are and everything else as Python repr', () => {
  const cases: Array<[unknown, string]> = [
    ['abc', 'abc'],
    ["it's", "it's"],
    [null, 'None'],
    [true, 'True'],
    [false, 'False'],
    [80, '80'],
    [-3, '-3'],
    [80.9, '80.9'],
    [['10.0.1.0/33'], "['10.0.1.0/33']"],
    [[1, 'a', null, true, [2.5]], "[1, 'a', None, True, [2.5]]"],
    [{ a: 1, 'X-Forwarded-For': 'true' }, "{'a': 1, 'X-Forwarded-For': 'true'}"],
    [{}, '{}'],
    [[], '[]'],
    [{ nested: { list: [] } }, "{'nested': {'list': []}}"],
    [1e21, '1000000000000000000000'],
  ]
  for (const [value, expected] of cases) assert.equal(pythonStr(value), expected, JSON.stringify(value))
})

test('pythonRepr quotes and escapes strings as Python 3 does', () => {
  const cases: Array<[string, string]> = [
    ['abc', "'abc'"],
    ["it's", `"it's"`],
    [`both ' and "`, `'both \\' and "'`],
    ['back\\slash', "'back\\\\slash'"],
    ['tab\tnl\ncr\r', "'tab\\tnl\\ncr\\r'"],
    ['\x00\x1f\x7f', "'\\x00\\x1f\\x7f'"],
    ['\x85\xa0', "'\\x85\\xa0'"],
    ['é ü ß 中文 😀', "'é ü ß 中文 😀'"],
    ['\u200b\u2028', "'\\u200b\\u2028'"],
    ['\ud800', "'\\ud800'"],
    ['\u{e0001}', "'\\U000e0001'"],
  ]
  for (const [value, expected] of cases) assert.equal(pythonRepr(value), expected, JSON.stringify(value))
  assert.equal(pythonRepr(['a']), "['a']")
  assert.equal(pythonRepr({ "k'": "v" }), `{"k'": 'v'}`)
})

test('pythonFloatRepr follows repr(float): shortest digits, exponent outside 1e-4..1e16', () => {
  const cases: Array<[number, string]> = [
    [1, '1.0'],
    [2, '2.0'],
    [1.1, '1.1'],
    [0.1, '0.1'],
    [-0.5, '-0.5'],
    [0, '0.0'],
    [-0, '-0.0'],
    [0.0001, '0.0001'],
    [0.00001, '1e-05'],
    [1.5e-7, '1.5e-07'],
    [123456789.125, '123456789.125'],
    [1e15, '1000000000000000.0'],
    [1e16, '1e+16'],
    [1.2345e20, '1.2345e+20'],
    [1e100, '1e+100'],
    [Infinity, 'inf'],
    [-Infinity, '-inf'],
    [NaN, 'nan'],
  ]
  for (const [value, expected] of cases) assert.equal(pythonFloatRepr(value), expected, String(value))
  // A non-integral JSON number prints as a float inside containers too.
  assert.equal(pythonRepr([0.00001, 2]), '[1e-05, 2]')
})
