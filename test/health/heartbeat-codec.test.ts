import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { createHmac, randomBytes } from 'node:crypto'
import { deflateSync } from 'node:zlib'
import { test } from 'node:test'
import { HeartbeatRejected, decodeHeartbeat, encodeHeartbeat } from '../../src/health/heartbeat-codec.ts'
import { heartbeatPools, type HeartbeatDocument } from '../../src/health/heartbeat-document.ts'

// The wire format of spec/heartbeat.md §2 checked against bytes made independently by Python's
// zlib/hmac/json (what Octavia's amphora agent and health manager use), in both directions.

const KEY = 'insecure-test-key'
const AMP = 'a0000000-0000-4000-8000-000000000001'
const LISTENER = 'b0000000-0000-4000-8000-000000000002'
const POOL = 'c0000000-0000-4000-8000-000000000003'
const MEMBER = 'd0000000-0000-4000-8000-000000000004'
const STATS = { tx: 10, rx: 20, conns: 3, totconns: 40, ereq: 1 }

/** One document per version of spec/heartbeat.md §3.3. */
const DOCUMENTS: Record<string, HeartbeatDocument> = {
  'ver absent': {
    id: AMP, seq: 7,
    listeners: { [LISTENER]: { status: 'OPEN', stats: STATS, pools: { [POOL]: { status: 'UP', members: { [MEMBER]: 'UP' } } } } },
  },
  'ver 0': {
    id: AMP, seq: 8, ver: 0,
    listeners: { [LISTENER]: { status: 'FULL', stats: STATS, pools: { [POOL]: { status: 'DOWN', members: { [MEMBER]: 'DOWN' } } } } },
  },
  'ver 1': {
    id: AMP, seq: 9, ver: 1,
    listeners: { [LISTENER]: { status: 'OPEN', stats: STATS, pools: { [`${POOL}:${LISTENER}`]: { status: 'UP', members: { [MEMBER]: 'DRAIN' } } } } },
  },
  'ver 2': {
    id: AMP, seq: 10, ver: 2,
    listeners: { [LISTENER]: { status: 'OPEN', stats: STATS } },
    pools: { [`${POOL}:${LISTENER}`]: { status: 'UP', members: { [MEMBER]: 'UP 1/3' } } },
  },
  'ver 3': {
    id: AMP, seq: 11, ver: 3,
    listeners: { [LISTENER]: { status: 'OPEN', stats: STATS } },
    pools: { [`${POOL}:${LISTENER}`]: { status: 'UP', members: { [MEMBER]: 'no check' } } },
  },
  'ver 3, empty amphora, unicode key': { id: AMP, seq: 0, ver: 3, listeners: {}, pools: {} },
}

/** Runs a Python program with a JSON value on stdin and returns its JSON output. */
function python(program: string, input: unknown): unknown {
  return JSON.parse(execFileSync('python3', ['-c', program], { input: JSON.stringify(input), encoding: 'utf8' })) as unknown
}

// As Octavia's sender does it: json.dumps, zlib level 9, HMAC-SHA256 of the compressed bytes.
const PYTHON_WRAP = `
import base64, hashlib, hmac, json, sys, zlib
out = []
for case in json.load(sys.stdin):
    payload = zlib.compress(json.dumps(case['doc']).encode('utf-8'), 9)
    mac = hmac.new(case['key'].encode('utf-8'), payload, hashlib.sha256)
    digest = mac.hexdigest().encode('utf-8') if case['digest'] == 'hex' else mac.digest()
    out.append(base64.b64encode(payload + digest).decode('ascii'))
print(json.dumps(out))
`

// As Octavia's receiver does it: last 64 bytes are the hex digest, compare_digest, inflate, json.loads.
const PYTHON_UNWRAP = `
import base64, hashlib, hmac, json, sys, zlib
out = []
for case in json.load(sys.stdin):
    data = base64.b64decode(case['datagram'])
    payload, digest = data[:-64], data[-64:]
    expected = hmac.new(case['key'].encode('utf-8'), payload, hashlib.sha256).hexdigest().encode('utf-8')
    if not hmac.compare_digest(digest, expected):
        out.append(None)
    else:
        out.append(json.loads(zlib.decompress(payload).decode('utf-8')))
print(json.dumps(out))
`

function keyOf(name: string): string {
  return name.includes('unicode') ? 'clé-🔑-secrète' : KEY
}

test('the spec test vector decodes to the document it describes (spec/heartbeat.md §2)', () => {
  const datagram = Buffer.from(
    'eNqrVspMUbJSUEo0gABdMGECIixgXCgwVNJRUCpOLQQqNwCycjKLS1LzUouKgfxqpSTC+o3A'
    + 'CotLEktKQXqU/ANc/cBGAkUghpRUQM0ugjGS8/PyiqHskvwSZG5qEcQptbW1QF5Bfn4OxJBk'
    + 'wi4xtiLDuaEBIMfmpuYmwfycQtgQE5DOvHyF5IzU5GwliFPLUouAosa1ABqjW11kMDljNjcx'
    + 'M2JjNzljZTVkZDk1YTM5ZjMwOTQxYmVjZjQxY2IzOTM4NzBjMTJjMDUxYTkwNDFlOTg3Mjk1'
    + 'MmE5', 'base64')
  assert.equal(datagram.length, 219)
  assert.equal(datagram.subarray(155).toString('latin1'), 'd09c6713bc79ce5dd95a39f30941becf41cb393870c12c051a9041e9872952a9')
  assert.deepEqual(decodeHeartbeat(datagram, KEY), {
    id: AMP, seq: 0, ver: 3,
    listeners: { [LISTENER]: { status: 'OPEN', stats: { tx: 0, rx: 0, conns: 0, totconns: 0, ereq: 0 } } },
    pools: { [`${POOL}:${LISTENER}`]: { status: 'UP', members: { [MEMBER]: 'no check' } } },
  })
  assert.throws(() => decodeHeartbeat(datagram, 'another-key'), (err: unknown) => err instanceof HeartbeatRejected && err.reason === 'hmac')
})

test('datagrams made by Python decode to the same document, every version, hex and legacy binary digests', () => {
  const cases = Object.entries(DOCUMENTS).flatMap(([name, doc]) => (['hex', 'binary'] as const).map((digest) => ({ name, doc, digest, key: keyOf(name) })))
  const datagrams = python(PYTHON_WRAP, cases) as string[]
  cases.forEach((c, i) => {
    const datagram = Buffer.from(datagrams[i]!, 'base64')
    assert.deepEqual(decodeHeartbeat(datagram, c.key), c.doc, `${c.name}, ${c.digest} digest`)
    assert.throws(() => decodeHeartbeat(datagram, `${c.key}x`), HeartbeatRejected, `${c.name}, ${c.digest}: wrong key`)
  })
})

test('datagrams made by our encoder are accepted by Python as Octavia checks them, every version', () => {
  const cases = Object.entries(DOCUMENTS).map(([name, doc]) => ({ name, doc, key: keyOf(name), datagram: encodeHeartbeat(doc, keyOf(name)).toString('base64') }))
  const decoded = python(PYTHON_UNWRAP, cases) as unknown[]
  cases.forEach((c, i) => assert.deepEqual(decoded[i], c.doc, c.name))
  // zlib stream format (RFC 1950) at level 9 starts 78 da, and the digest is 64 lowercase hex characters.
  const datagram = encodeHeartbeat(DOCUMENTS['ver 3']!, KEY)
  assert.deepEqual([...datagram.subarray(0, 2)], [0x78, 0xda])
  assert.match(datagram.subarray(-64).toString('latin1'), /^[0-9a-f]{64}$/)
  // Python with the wrong key refuses it.
  assert.deepEqual(python(PYTHON_UNWRAP, [{ key: 'other', datagram: datagram.toString('base64') }]), [null])
})

test('our encoder round-trips, legacy binary digest included', () => {
  for (const [name, doc] of Object.entries(DOCUMENTS)) {
    assert.deepEqual(decodeHeartbeat(encodeHeartbeat(doc, KEY), KEY), doc, name)
    assert.deepEqual(decodeHeartbeat(encodeHeartbeat(doc, KEY, 'binary'), KEY), doc, `${name} binary`)
  }
})

test('pools are read from where each version keeps them (spec/heartbeat.md §3.3)', () => {
  assert.deepEqual([...heartbeatPools(DOCUMENTS['ver absent']!).keys()], [POOL])
  assert.deepEqual([...heartbeatPools(DOCUMENTS['ver 1']!).keys()], [`${POOL}:${LISTENER}`])
  assert.deepEqual([...heartbeatPools(DOCUMENTS['ver 3']!).keys()], [`${POOL}:${LISTENER}`])
  // A version 3 document's stray nested pools are not pools; a version 1 document's top-level ones neither.
  const mixed = { ...DOCUMENTS['ver 1']!, pools: { other: { status: 'UP', members: {} } } }
  assert.deepEqual([...heartbeatPools(decodeHeartbeat(encodeHeartbeat(mixed, KEY), KEY)).keys()], [`${POOL}:${LISTENER}`])
})

function rejection(datagram: Buffer, key = KEY): string {
  try {
    decodeHeartbeat(datagram, key)
  } catch (err) {
    if (err instanceof HeartbeatRejected) return err.reason
    throw err
  }
  return 'accepted'
}

function signed(payload: Buffer): Buffer {
  return Buffer.concat([payload, Buffer.from(createHmac('sha256', KEY).update(payload).digest('hex'), 'latin1')])
}

test('forged, truncated, oversized, random and malformed datagrams are rejected with their reason', () => {
  const good = encodeHeartbeat(DOCUMENTS['ver 3']!, KEY)
  assert.equal(rejection(good), 'accepted')
  assert.equal(rejection(good, 'wrong'), 'hmac')
  assert.equal(rejection(good.subarray(0, good.length - 1)), 'hmac')
  assert.equal(rejection(good.subarray(1)), 'hmac')
  assert.equal(rejection(Buffer.concat([good, Buffer.from('0')])), 'hmac')
  const flipped = Buffer.from(good)
  flipped[5]! ^= 0x01
  assert.equal(rejection(flipped), 'hmac')
  // Octavia compares the hex text: an upper-case digest is not the same digest.
  assert.equal(rejection(Buffer.concat([good.subarray(0, -64), Buffer.from(good.subarray(-64).toString('latin1').toUpperCase(), 'latin1')])), 'hmac')
  assert.equal(rejection(Buffer.alloc(0)), 'hmac')
  assert.equal(rejection(Buffer.alloc(20)), 'hmac')
  for (let i = 0; i < 200; i++) assert.equal(rejection(randomBytes(1 + (i * 37) % 1500)), 'hmac')
  assert.equal(rejection(Buffer.concat([randomBytes(65537 - 64), good.subarray(-64)])), 'oversized')
  // Authentic but not zlib, or zlib but not JSON: indistinguishable from a bad digest, as upstream.
  assert.equal(rejection(signed(Buffer.from('not zlib at all'))), 'hmac')
  assert.equal(rejection(signed(deflateSync(Buffer.from('{not json')))), 'hmac')
  // Authentic JSON that is not a heartbeat.
  for (const doc of [[], null, 'x', {}, { id: 5, listeners: {} }, { id: AMP, listeners: [] }, { id: AMP, seq: 'one', listeners: {} },
    { id: AMP, ver: 3, listeners: { l: { stats: STATS } } }, { id: AMP, ver: 3, listeners: {}, pools: { p: { status: 'UP', members: { m: 1 } } } }]) {
    assert.equal(rejection(signed(deflateSync(Buffer.from(JSON.stringify(doc))))), 'malformed', JSON.stringify(doc))
  }
})

test('unusable counters leave a listener out of the statistics but in the document', () => {
  const doc = { id: AMP, ver: 3, listeners: { [LISTENER]: { status: 'OPEN', stats: { ...STATS, tx: -1 } } }, pools: {} }
  assert.deepEqual(decodeHeartbeat(signed(deflateSync(Buffer.from(JSON.stringify(doc)))), KEY).listeners, { [LISTENER]: { status: 'OPEN' } })
})
