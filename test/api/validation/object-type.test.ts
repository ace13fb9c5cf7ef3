import { test } from 'node:test'
import assert from 'node:assert/strict'
import { object, parseFields } from '../../../src/api/validation/object-type.ts'
import { list } from '../../../src/api/validation/container-types.ts'
import { bool, int, oneOf, str, uuid } from '../../../src/api/validation/scalar-types.ts'
import { assertInvalid } from './field-assertions.ts'

const FIELDS = {
  name: { type: str({ max: 255 }) },
  protocol: { type: oneOf(['HTTP', 'TCP']), mandatory: true },
  protocol_port: { type: int({ min: 1, max: 65535 }), mandatory: true },
  admin_state_up: { type: bool() },
  delay: { type: int({ min: 0 }), mandatory: true, acceptsNull: true },
} as const

test('parseFields returns exactly the keys sent, with explicit nulls kept', () => {
  assert.deepEqual(parseFields({ protocol: 'HTTP', protocol_port: '80', delay: 5 }, FIELDS, 'a'), { protocol: 'HTTP', protocol_port: 80, delay: 5 })
  const parsed = parseFields({ name: null, admin_state_up: 'yes', protocol: 'TCP', protocol_port: 22, delay: null }, FIELDS, 'a')
  assert.deepEqual(parsed, { name: null, protocol: 'TCP', protocol_port: 22, admin_state_up: true, delay: null })
  assert.ok(!('admin_state_up' in parseFields({ protocol: 'TCP', protocol_port: 22, delay: 1 }, FIELDS, 'a')))
})

test('parseFields reports unknown attributes first, then fields in declaration order', () => {
  const cases: Array<[Record<string, unknown>, string]> = [
    [{ id: 'x', protocol: 'nope' }, 'Unknown attribute for argument listener_.listener: id'],
    [{ zeta: 1, alpha: 2, protocol: 'nope' }, 'Unknown attributes for argument listener_.listener: alpha, zeta'],
    [{ name: 5, protocol: 'nope' }, "Invalid input for field/attribute name. Value: '5'. Value should be string"],
    [{ protocol: 'nope', protocol_port: 0 }, "Invalid input for field/attribute protocol. Value: 'nope'. Value should be one of: HTTP, TCP"],
    [{ protocol_port: 0 }, "Invalid input for field/attribute protocol. Value: 'None'. Mandatory field missing."],
    [{ protocol: null, protocol_port: 80 }, "Invalid input for field/attribute protocol. Value: 'None'. Mandatory field missing."],
    [{ protocol: 'TCP', protocol_port: 0 }, "Invalid input for field/attribute protocol_port. Value: '0'. Value should be greater or equal to 1"],
    [{ protocol: 'TCP', protocol_port: 80, admin_state_up: 'maybe' }, "Invalid input for field/attribute admin_state_up. Value: 'maybe'. Value not an unambiguous boolean: maybe"],
    [{ protocol: 'TCP', protocol_port: 80 }, "Invalid input for field/attribute delay. Value: 'None'. Mandatory field missing."],
  ]
  for (const [value, message] of cases) assertInvalid(() => parseFields(value, FIELDS, 'listener_.listener'), message)
})

test('nested objects refuse unknown keys under the dotted argument path, without list indexes', () => {
  const pool = object({ name: { type: str({ max: 255 }) }, members: { type: list(object({ address: { type: str({ max: 64 }), mandatory: true } })) } })
  const listener = object({ protocol: { type: oneOf(['HTTP']) }, default_pool: { type: pool } })
  const fields = { listeners: { type: list(listener) }, vip_subnet_id: { type: uuid() } }
  const arg = 'load_balancer.loadbalancer'
  const body = { vip_subnet_id: '6F1B2A3C4D5E4F608A7B9C0D1E2F3A4B', listeners: [{ protocol: 'HTTP', default_pool: { name: 'p', members: [{ address: 'a' }] } }] }
  assert.deepEqual(parseFields(body, fields, arg), {
    listeners: [{ protocol: 'HTTP', default_pool: { name: 'p', members: [{ address: 'a' }] } }],
    vip_subnet_id: '6f1b2a3c-4d5e-4f60-8a7b-9c0d1e2f3a4b',
  })
  assertInvalid(() => parseFields({ listeners: [{ foo: 1 }] }, fields, arg), 'Unknown attribute for argument load_balancer.loadbalancer.listeners: foo')
  assertInvalid(() => parseFields({ listeners: [{}, { default_pool: { bar: 1, baz: 2 } }] }, fields, arg),
    'Unknown attributes for argument load_balancer.loadbalancer.listeners.default_pool: bar, baz')
  assertInvalid(() => parseFields({ listeners: [{ default_pool: { members: [{ address: 'a', weight: 1 }] } }] }, fields, arg),
    'Unknown attribute for argument load_balancer.loadbalancer.listeners.default_pool.members: weight')
  assertInvalid(() => parseFields({ listeners: [{ default_pool: { members: [{}] } }] }, fields, arg),
    "Invalid input for field/attribute address. Value: 'None'. Mandatory field missing.")
  assertInvalid(() => parseFields({ listeners: [{ default_pool: 'p' }] }, fields, arg),
    "Invalid input for field/attribute default_pool. Value: 'p'. Value not a valid dict: p")
  assertInvalid(() => parseFields({ listeners: {} }, fields, arg),
    "Invalid input for field/attribute listeners. Value: '{}'. Value not a valid list: {}")
})
