import assert from 'node:assert/strict'
import { test } from 'node:test'
import { contains, formatIp, overlaps, parseCidr, parseHostPort, parseIp } from '../../src/config/ip-address.ts'
import { defaultAllocationPools, networkIdFor } from '../../src/config/subnet-defaults.ts'

test('IPv4 and IPv6 addresses parse and format back canonically', () => {
  for (const [text, canonical] of [
    ['192.0.2.1', '192.0.2.1'],
    ['2001:db8::1', '2001:db8::1'],
    ['2001:0db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['::ffff:192.0.2.1', '::ffff:c000:201'],
    ['::', '::'],
    ['::1', '::1'],
  ] as const) {
    const parsed = parseIp(text)
    assert.ok(parsed, text)
    assert.equal(formatIp(parsed), canonical)
  }
  assert.equal(parseIp('192.0.2.256'), null)
  assert.equal(parseIp('fe80::1%eth0'), null)
})

test('CIDRs: host bits, containment and overlap', () => {
  const parsed = parseCidr('192.0.2.0/24')
  assert.ok(parsed.ok)
  assert.ok(contains(parsed.network, parseIp('192.0.2.200')!))
  assert.ok(!contains(parsed.network, parseIp('192.0.3.1')!))
  assert.deepEqual(parseCidr('192.0.2.1/24'), { ok: false, reason: 'host bits are set; did you mean 192.0.2.0/24?' })
  assert.deepEqual(parseCidr('192.0.2.0'), { ok: false, reason: 'a CIDR needs a prefix length, such as /24' })
  const a = parseCidr('2001:db8::/32')
  const b = parseCidr('2001:db8:1::/48')
  assert.ok(a.ok && b.ok && overlaps(a.network, b.network))
})

test('host:port pairs, IPv6 in brackets', () => {
  assert.deepEqual(parseHostPort('192.0.2.10:5555'), { host: '192.0.2.10', port: 5555 })
  assert.deepEqual(parseHostPort('[2001:db8::1]:5555'), { host: '2001:db8::1', port: 5555 })
  assert.equal(parseHostPort('192.0.2.10'), null)
  assert.equal(parseHostPort('192.0.2.10:0'), null)
})

test('default allocation pools follow Neutron: no network, broadcast or gateway address', () => {
  assert.deepEqual(defaultAllocationPools('192.0.2.0/24', null), [{ start: '192.0.2.1', end: '192.0.2.254' }])
  assert.deepEqual(defaultAllocationPools('192.0.2.0/24', '192.0.2.100'), [
    { start: '192.0.2.1', end: '192.0.2.99' }, { start: '192.0.2.101', end: '192.0.2.254' },
  ])
  assert.deepEqual(defaultAllocationPools('192.0.2.8/31', null), [{ start: '192.0.2.8', end: '192.0.2.9' }])
  assert.deepEqual(defaultAllocationPools('2001:db8::/64', null), [{ start: '2001:db8::1', end: '2001:db8::ffff:ffff:ffff:ffff' }])
})

test('derived network ids are name-based UUIDs, stable and distinct per subnet', () => {
  const id = networkIdFor('6d1f6f47-8a2e-4f4b-9d8e-0e3f2b1a4c55')
  assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
  assert.equal(networkIdFor('6d1f6f47-8a2e-4f4b-9d8e-0e3f2b1a4c55'), id)
  assert.notEqual(networkIdFor('7e2a7a58-9b3f-4a5c-8e9f-1f4a3c2b5d66'), id)
})
