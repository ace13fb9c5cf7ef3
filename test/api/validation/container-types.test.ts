import { test } from 'node:test'
import assert from 'node:assert/strict'
import { dict, list, tags } from '../../../src/api/validation/container-types.ts'
import { cidr, ipAddress } from '../../../src/api/validation/address-types.ts'
import { int, str, uuid } from '../../../src/api/validation/scalar-types.ts'
import { object } from '../../../src/api/validation/object-type.ts'
import { assertAccepts, assertInvalid, assertRefuses } from './field-assertions.ts'

test('list parses each item and shows the whole list when a scalar item is bad', () => {
  assertAccepts(list(cidr()), [[[], []], [['192.0.2.0/24', '10.0.0.0/8'], ['192.0.2.0/24', '10.0.0.0/8']]])
  assertAccepts(list(uuid()), [[['6F1B2A3C4D5E4F608A7B9C0D1E2F3A4B'], ['6f1b2a3c-4d5e-4f60-8a7b-9c0d1e2f3a4b']]])
  assertRefuses(list(cidr()), [
    [['10.0.1.0/33'], "['10.0.1.0/33']", 'Value should be IPv4 or IPv6 CIDR format'],
    [['192.0.2.0/24', null], "['192.0.2.0/24', None]", 'Value should be IPv4 or IPv6 CIDR format'],
    ['192.0.2.0/24', '192.0.2.0/24', 'Value not a valid list: 192.0.2.0/24'],
    [{ a: 1 }, "{'a': 1}", "Value not a valid list: {'a': 1}"],
    [5, '5', 'Value not a valid list: 5'],
  ])
  assertRefuses(list(str({ max: 32 })), [[['TLSv1.2', 3], "['TLSv1.2', 3]", 'Value should be string']])
  assertRefuses(list(int({ max: 10 })), [[[1, '11'], "[1, '11']", 'Value should be lower or equal to 10']])
})

test('a list of objects reports the bad item, or the nested field by its own name', () => {
  const members = list(object({ address: { type: ipAddress(), mandatory: true } }))
  const at = { field: 'members', arg: 'pool_.pool.members' }
  assert.deepEqual(members.parse([{ address: '192.0.2.1' }], at), [{ address: '192.0.2.1' }])
  assertInvalid(() => members.parse(['x'], at), "Invalid input for field/attribute members. Value: 'x'. Value not a valid dict: x")
  assertInvalid(() => members.parse([null], at), "Invalid input for field/attribute members. Value: 'None'. Value not a valid dict: None")
  assertInvalid(() => members.parse([{ address: 'nope' }], at), "Invalid input for field/attribute address. Value: 'nope'. Value should be IPv4 or IPv6 format")
  assertInvalid(() => members.parse([{}], at), "Invalid input for field/attribute address. Value: 'None'. Mandatory field missing.")
  assertInvalid(() => members.parse([{ address: '192.0.2.1', port: 1 }], at), 'Unknown attribute for argument pool_.pool.members: port')
})

test('dict maps string keys to parsed values and shows the whole dict when a value is bad', () => {
  const headers = dict(str({ max: 255 }))
  assertAccepts(headers, [[{}, {}], [{ 'X-Forwarded-For': 'true', 'X-Forwarded-Port': 'false' }, { 'X-Forwarded-For': 'true', 'X-Forwarded-Port': 'false' }]])
  const parsed = headers.parse(JSON.parse('{"__proto__": "x"}') as Record<string, unknown>, { field: 'f', arg: 'f' })
  assert.deepEqual(Object.keys(parsed), ['__proto__'])
  assert.equal(Object.getPrototypeOf(parsed), Object.prototype)
  assertRefuses(headers, [
    [{ 'X-Forwarded-For': true }, "{'X-Forwarded-For': True}", 'Value should be string'],
    [{ 'X-Forwarded-For': null }, "{'X-Forwarded-For': None}", 'Value should be string'],
    [{ 'X-Forwarded-For': 'a'.repeat(256) }, `{'X-Forwarded-For': '${'a'.repeat(256)}'}`, 'Value should have a maximum character requirement of 255'],
    [['X-Forwarded-For'], "['X-Forwarded-For']", "Value not a valid dict: ['X-Forwarded-For']"],
    ['x', 'x', 'Value not a valid dict: x'],
  ])
})

test('tags are strings of at most 255 characters, returned deduplicated and sorted', () => {
  assertAccepts(tags(), [
    [[], []],
    [['b', 'a', 'c'], ['a', 'b', 'c']],
    [['x', 'x', 'y', 'x'], ['x', 'y']],
    [['b', 'B', 'a', 'A'], ['A', 'B', 'a', 'b']],
    [['\u{1f600}', '\uffff'], ['\uffff', '\u{1f600}']],
  ])
  assertRefuses(tags(), [
    [['ok', 1], "['ok', 1]", 'Value should be string'],
    [['a'.repeat(256)], `['${'a'.repeat(256)}']`, 'Value should have a maximum character requirement of 255'],
    ['tag', 'tag', 'Value not a valid list: tag'],
  ])
})
