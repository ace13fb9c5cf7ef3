import assert from 'node:assert/strict'
import { test } from 'node:test'
import { SequenceGuard } from '../../src/health/sequence-guard.ts'

// The sequence rule (docs/health-manager.md): what real amphorae send always passes, copies and
// late old heartbeats do not.

const T0 = Date.parse('2024-05-06T07:00:00Z')
const S = 1000

/** An amphora's heartbeats, as sent: seq n at n * interval, with a fingerprint unique to the datagram. */
function sends(from: number, to: number, intervalS: number, start: number, tag = 'a'): Array<[number, string, number]> {
  const out: Array<[number, string, number]> = []
  for (let seq = from; seq <= to; seq++) out.push([seq, `${tag}${seq}`, start + (seq - from) * intervalS * S])
  return out
}

test('a steady sender, with lost packets, passes', () => {
  const guard = new SequenceGuard()
  for (const [seq, fp, at] of sends(0, 50, 10, T0)) {
    if (seq % 7 === 3) continue // lost on the way
    assert.equal(guard.admit('amp', seq, fp, at), 'accepted', `seq ${seq}`)
  }
})

test('round robin over three health managers: each sees every third heartbeat and passes them all', () => {
  const managers = [new SequenceGuard(), new SequenceGuard(), new SequenceGuard()]
  for (const [seq, fp, at] of sends(0, 60, 1, T0)) assert.equal(managers[seq % 3]!.admit('amp', seq, fp, at), 'accepted')
})

test('an agent restart (seq from 0 again) passes, at once or later, with any interval and any number of managers', () => {
  for (const intervalS of [1, 10]) {
    for (const managers of [1, 2, 3]) {
      const guards = Array.from({ length: managers }, () => new SequenceGuard())
      // Runs long enough for seq to be well above what a restarted agent sends first.
      const before = sends(0, 40, intervalS, T0, 'old')
      for (const [seq, fp, at] of before) assert.equal(guards[seq % managers]!.admit('amp', seq, fp, at), 'accepted')
      // Restarted right after its last send (the first heartbeat goes out at once), round robin from the first manager.
      const lastAt = before.at(-1)![2]
      for (const [seq, fp, at] of sends(0, 12, intervalS, lastAt + 50, 'new')) {
        assert.equal(guards[seq % managers]!.admit('amp', seq, fp, at), 'accepted', `interval ${intervalS}, ${managers} managers, seq ${seq}`)
      }
    }
  }
})

test('a restart right after start, and two restarts in a row, pass', () => {
  const guard = new SequenceGuard()
  assert.equal(guard.admit('amp', 0, 'x0', T0), 'accepted')
  assert.equal(guard.admit('amp', 0, 'y0', T0 + 300), 'accepted')
  assert.equal(guard.admit('amp', 1, 'y1', T0 + 1300), 'accepted')
  assert.equal(guard.admit('amp', 0, 'z0', T0 + 1500), 'accepted')
  assert.equal(guard.admit('amp', 1, 'z1', T0 + 2500), 'accepted')
})

test('copies of recent datagrams and late old heartbeats are dropped', () => {
  const guard = new SequenceGuard()
  const stream = sends(0, 100, 10, T0)
  for (const [seq, fp, at] of stream) assert.equal(guard.admit('amp', seq, fp, at), 'accepted')
  const [lastSeq, lastFp, lastAt] = stream.at(-1)!
  assert.equal(guard.admit('amp', lastSeq, lastFp, lastAt + 5), 'duplicate')
  assert.equal(guard.admit('amp', 99, 'a99', lastAt + 10), 'duplicate')
  // An old heartbeat delivered (or replayed) late: its seq is far above what a restarted agent could send by now.
  assert.equal(guard.admit('amp', 50, 'a50', lastAt + 2 * S), 'stale')
  assert.equal(guard.admit('amp', 96, 'a96', lastAt + 30 * S), 'stale')
  // The real stream goes on.
  assert.equal(guard.admit('amp', 101, 'a101', lastAt + 10 * S), 'accepted')
  // Other amphorae are judged on their own.
  assert.equal(guard.admit('other', 50, 'a50', lastAt + 10 * S), 'accepted')
})

test('a heartbeat without seq always passes; forgotten senders start afresh', () => {
  const guard = new SequenceGuard()
  assert.equal(guard.admit('amp', undefined, 'x', T0), 'accepted')
  assert.equal(guard.admit('amp', undefined, 'x', T0), 'accepted')
  assert.equal(guard.admit('amp', 500, 'a500', T0), 'accepted')
  assert.equal(guard.admit('amp', 100, 'a100', T0 + S), 'stale')
  guard.forget(T0 + 1)
  assert.equal(guard.size, 0)
  assert.equal(guard.admit('amp', 100, 'a100', T0 + S), 'accepted')
})
