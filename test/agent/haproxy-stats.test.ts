import assert from 'node:assert/strict'
import { test } from 'node:test'
import { amphoraStats, parseShowStat } from '../../src/agent/haproxy-stats.ts'

// spec/heartbeat.md §3.1-3.2 from HAProxy 2.6 `show stat` output (columns cut to those used).

const L = '11111111-0000-4000-8000-000000000001'
const P = `22222222-0000-4000-8000-000000000002:${L}`
const CSV = `# pxname,svname,scur,stot,bin,bout,ereq,status,weight,
${L},FRONTEND,3,40,1000,5000,2,OPEN,,
${P},m-up,0,0,0,0,,UP,1,
${P},m-drain,0,0,0,0,,UP,0,
${P},m-down,0,0,0,0,,DOWN 1/2,1,
${P},m-nocheck,0,0,0,0,,no check,1,
${P},m-maint,0,0,0,0,,MAINT,1,
${P},BACKEND,0,0,0,0,,UP,3,
prometheus-exporter,FRONTEND,0,9,9,9,0,OPEN,,

`

test('show stat rows become listeners with delta statistics and pools with member statuses', () => {
  const rows = parseShowStat(CSV)
  assert.equal(rows.length, 8)
  const first = amphoraStats(rows, {})
  assert.deepEqual(first.listeners, { [L]: { status: 'OPEN', stats: { tx: 5000, rx: 1000, conns: 3, totconns: 40, ereq: 2 } } })
  assert.deepEqual(first.pools, { [P]: { status: 'UP', members: { 'm-up': 'UP', 'm-drain': 'DRAIN', 'm-down': 'DOWN 1/2', 'm-nocheck': 'no check', 'm-maint': 'MAINT' } } })
  assert.deepEqual(first.counters, { [L]: { bin: 1000, bout: 5000, ereq: 2, stot: 40 } })

  // Deltas against the previous counters; a counter that went down (haproxy restarted) counts from 0.
  const next = amphoraStats(parseShowStat(CSV.replace(`${L},FRONTEND,3,40,1000,5000,2`, `${L},FRONTEND,1,45,1500,100,2`)), first.counters)
  assert.deepEqual(next.listeners[L]?.stats, { tx: 100, rx: 500, conns: 1, totconns: 5, ereq: 0 })
  assert.deepEqual(parseShowStat(''), [])
})
