import { test } from 'node:test'
import assert from 'node:assert/strict'
import { cidr, ipAddress, normaliseCidr, normaliseIp } from '../../../src/api/validation/address-types.ts'
import { assertAccepts, assertRefuses } from './field-assertions.ts'

test('ipAddress accepts IPv4 and IPv6 as sent and refuses anything else', () => {
  assertAccepts(ipAddress(), [
    ['192.0.2.10', '192.0.2.10'],
    ['2001:db8::1', '2001:db8::1'],
    ['2001:DB8:0:0:0:0:0:1', '2001:DB8:0:0:0:0:0:1'],
    ['::ffff:192.0.2.1', '::ffff:192.0.2.1'],
    ['::', '::'],
  ])
  const reason = 'Value should be IPv4 or IPv6 format'
  assertRefuses(ipAddress(), [
    ['192.0.2.256', '192.0.2.256', reason],
    ['010.0.0.1', '010.0.0.1', reason],
    ['192.0.2', '192.0.2', reason],
    [' 192.0.2.1', ' 192.0.2.1', reason],
    ['192.0.2.0/24', '192.0.2.0/24', reason],
    ['fe80::1%eth0', 'fe80::1%eth0', reason],
    ['2001:db8:::1', '2001:db8:::1', reason],
    ['example.com', 'example.com', reason],
    [3232235777, '3232235777', reason],
  ])
})

test('normaliseIp gives the compact lower-case form', () => {
  const cases: Array<[string, string]> = [
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['2001:0db8:0000:0000:0001:0000:0000:0001', '2001:db8::1:0:0:1'],
    ['0:0:0:0:0:0:0:0', '::'],
    ['fe80:0:0:0:0:0:0:1', 'fe80::1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['192.0.2.10', '192.0.2.10'],
  ]
  for (const [text, expected] of cases) assert.equal(normaliseIp(text), expected, text)
  assert.throws(() => normaliseIp('nope'), TypeError)
})

test('cidr accepts what netaddr.IPNetwork accepts and returns it as sent', () => {
  assertAccepts(cidr(), [
    ['192.0.2.0/24', '192.0.2.0/24'],
    ['192.0.2.5/24', '192.0.2.5/24'],
    ['192.0.2.5', '192.0.2.5'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['192.0.2.0/255.255.255.0', '192.0.2.0/255.255.255.0'],
    ['2001:DB8::/32', '2001:DB8::/32'],
    ['::/0', '::/0'],
  ])
  const reason = 'Value should be IPv4 or IPv6 CIDR format'
  assertRefuses(cidr(), [
    ['10.0.1.0/33', '10.0.1.0/33', reason],
    ['2001:db8::/129', '2001:db8::/129', reason],
    ['10.0.1.0/', '10.0.1.0/', reason],
    ['10.0.1.0/-1', '10.0.1.0/-1', reason],
    ['10.0.1.0/255.0.255.0', '10.0.1.0/255.0.255.0', reason],
    ['10.0.1/24', '10.0.1/24', reason],
    ['any', 'any', reason],
    [24, '24', reason],
  ])
})

test('normaliseCidr gives the network with its prefix, as upstream stores allowed_cidrs', () => {
  const cases: Array<[string, string]> = [
    ['192.0.2.5/24', '192.0.2.0/24'],
    ['192.0.2.5', '192.0.2.5/32'],
    ['192.0.2.130/255.255.255.128', '192.0.2.128/25'],
    ['10.1.2.3/0.0.255.255', '10.1.0.0/16'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['2001:DB8:1:2::5/64', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8::1/128'],
  ]
  for (const [text, expected] of cases) assert.equal(normaliseCidr(text), expected, text)
  assert.throws(() => normaliseCidr('10.0.1.0/33'), TypeError)
})
