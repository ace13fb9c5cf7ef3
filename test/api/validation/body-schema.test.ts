import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseBody, parseListBody } from '../../../src/api/validation/body-schema.ts'
import { bool, int, str, uuid } from '../../../src/api/validation/scalar-types.ts'
import { ipAddress } from '../../../src/api/validation/address-types.ts'
import { tags } from '../../../src/api/validation/container-types.ts'
import { assertInvalid } from './field-assertions.ts'

const LB = {
  arg: 'load_balancer',
  envelope: 'loadbalancer',
  fields: {
    name: { type: str({ max: 255 }) },
    admin_state_up: { type: bool() },
    vip_subnet_id: { type: uuid() },
    tags: { type: tags() },
  },
} as const

const MEMBERS = {
  arg: 'members_',
  envelope: 'members',
  fields: {
    address: { type: ipAddress(), mandatory: true },
    protocol_port: { type: int({ min: 1, max: 65535 }), mandatory: true },
    weight: { type: int({ min: 0, max: 256 }) },
  },
} as const

test('parseBody returns the envelope fields that were sent, normalised, nulls kept', () => {
  assert.deepEqual(parseBody({ loadbalancer: {} }, LB), {})
  assert.deepEqual(
    parseBody({ loadbalancer: { name: null, admin_state_up: 0, vip_subnet_id: '{6F1B2A3C-4D5E-4F60-8A7B-9C0D1E2F3A4B}', tags: ['b', 'a', 'b'] } }, LB),
    { name: null, admin_state_up: false, vip_subnet_id: '6f1b2a3c-4d5e-4f60-8a7b-9c0d1e2f3a4b', tags: ['a', 'b'] },
  )
})

test('parseBody checks the envelope in a fixed order and names the argument as upstream does', () => {
  const cases: Array<[unknown, string]> = [
    [undefined, 'Missing argument: "load_balancer"'],
    [null, 'Missing argument: "load_balancer"'],
    [[], "Invalid input for field/attribute load_balancer. Value: '[]'. Value not a valid dict: []"],
    ['x', "Invalid input for field/attribute load_balancer. Value: 'x'. Value not a valid dict: x"],
    [{ loadbalancers: {} }, 'Unknown attribute for argument load_balancer: loadbalancers'],
    [{ loadbalancer: { foo: 1 }, b: 1, a: 2 }, 'Unknown attributes for argument load_balancer: a, b'],
    [{}, "Invalid input for field/attribute loadbalancer. Value: 'None'. Mandatory field missing."],
    [{ loadbalancer: null }, "Invalid input for field/attribute loadbalancer. Value: 'None'. Mandatory field missing."],
    [{ loadbalancer: ['x'] }, "Invalid input for field/attribute loadbalancer. Value: '['x']'. Value not a valid dict: ['x']"],
    [{ loadbalancer: { id: 'x' } }, 'Unknown attribute for argument load_balancer.loadbalancer: id'],
    [{ loadbalancer: { vip_vnic_type: 'x', id: 'y', name: 5 } }, 'Unknown attributes for argument load_balancer.loadbalancer: id, vip_vnic_type'],
    [{ loadbalancer: { name: 5, vip_subnet_id: 'x' } }, "Invalid input for field/attribute name. Value: '5'. Value should be string"],
    [{ loadbalancer: { vip_subnet_id: 'x' } }, "Invalid input for field/attribute vip_subnet_id. Value: 'x'. Value should be UUID format"],
  ]
  for (const [body, message] of cases) assertInvalid(() => parseBody(body, LB), message)
})

test('parseListBody parses the member batch body item by item', () => {
  assert.deepEqual(parseListBody({ members: [] }, MEMBERS), [])
  assert.deepEqual(parseListBody({ members: [{ address: '192.0.2.1', protocol_port: '80' }, { address: '2001:db8::1', protocol_port: 443, weight: null }] }, MEMBERS), [
    { address: '192.0.2.1', protocol_port: 80 },
    { address: '2001:db8::1', protocol_port: 443, weight: null },
  ])
  const cases: Array<[unknown, string]> = [
    [undefined, 'Missing argument: "members_"'],
    [{}, "Invalid input for field/attribute members. Value: 'None'. Mandatory field missing."],
    [{ member: [] }, 'Unknown attribute for argument members_: member'],
    [{ members: {} }, "Invalid input for field/attribute members. Value: '{}'. Value not a valid list: {}"],
    [{ members: [{ address: '192.0.2.1', protocol_port: 80, id: 'x' }] }, 'Unknown attribute for argument members_.members: id'],
    [{ members: [{ address: '192.0.2.1' }] }, "Invalid input for field/attribute protocol_port. Value: 'None'. Mandatory field missing."],
    [{ members: [{ address: '192.0.2.1', protocol_port: 80 }, 7] }, "Invalid input for field/attribute members. Value: '7'. Value not a valid dict: 7"],
  ]
  for (const [body, message] of cases) assertInvalid(() => parseListBody(body, MEMBERS), message)
})
