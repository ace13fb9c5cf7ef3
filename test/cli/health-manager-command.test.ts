import assert from 'node:assert/strict'
import { createSocket } from 'node:dgram'
import { join } from 'node:path'
import { test } from 'node:test'
import { systemClock } from '../../src/common/clock.ts'
import { createDatabase } from '../../src/db/create-database.ts'
import { AmphoraRepository } from '../../src/db/repositories/amphora-repository.ts'
import { encodeHeartbeat } from '../../src/health/heartbeat-codec.ts'
import { runOctavia, scratchDir, startOctavia } from '../helpers/run-octavia.ts'

const KEY = 'cli-test-heartbeat-key'
const SETS = ['--set', `octavia.health_manager.heartbeat_key=${KEY}`, '--set', 'octavia.health_manager.bind_port=0',
  '--set', 'octavia.manager.metrics.health_manager_port=0']

async function sendUdp(port: number, datagram: Buffer): Promise<void> {
  const socket = createSocket('udp4')
  await new Promise<void>((resolve, reject) => socket.send(datagram, port, '127.0.0.1', (err) => (err ? reject(err) : resolve())))
  socket.close()
}

test('`octavia health-manager` receives heartbeats into the database, counts them in its metrics and stops on SIGTERM', async (t) => {
  const cwd = scratchDir(t)
  const refused = await runOctavia([...SETS, 'health-manager'], { cwd })
  assert.equal(refused.code, 1)
  assert.match(refused.stderr, /^octavia health-manager: the database schema is at nothing, not \S+; run `octavia db upgrade` first\n$/)

  assert.equal((await runOctavia(['db', 'upgrade'], { cwd })).code, 0)
  const db = createDatabase({ engine: 'sqlite', path: join(cwd, 'var', 'octavia.sqlite') })
  t.after(() => db.close())
  const amphorae = new AmphoraRepository(db, systemClock)
  const spare = await amphorae.create({ status: 'READY' })

  const service = startOctavia(t, [...SETS, 'health-manager'], { cwd })
  const receiver = await service.waitForLog((l) => l.msg === 'heartbeat receiver listening')
  const metrics = await service.waitForLog((l) => l.msg === 'metrics listening')
  assert.equal(receiver.address, '127.0.0.1')
  await sendUdp(Number(receiver.port), Buffer.from('not a heartbeat'))
  await sendUdp(Number(receiver.port), encodeHeartbeat({ id: spare.id, seq: 0, ver: 3, listeners: {}, pools: {} }, KEY))
  for (let i = 0; !(await amphorae.getHealth(spare.id)); i++) {
    if (i > 400) assert.fail('the heartbeat never reached the database')
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  const text = await (await fetch(String(metrics.url))).text()
  assert.match(text, /octavia_heartbeats_received_total\{service="octavia-health-manager"\} 2/)
  assert.match(text, /octavia_heartbeats_dropped_total\{reason="hmac",service="octavia-health-manager"\} 1/)
  assert.equal(await service.stop('SIGTERM'), 0)
})

test('`octavia up` runs the health manager too; a heartbeat address in use is a one-line error', async (t) => {
  const ephemeral = ['--set', 'octavia.api.bind.port=0', '--set', 'octavia.api.metrics.port=0']
  const first = startOctavia(t, [...ephemeral, 'up'], { cwd: scratchDir(t) })
  const receiver = await first.waitForLog((l) => l.msg === 'heartbeat receiver listening')
  await first.waitForLog((l) => l.msg === 'api listening')
  const second = await runOctavia([...ephemeral, 'up'], { cwd: scratchDir(t), env: { OCTAVIA__HEALTH_MANAGER__BIND_PORT: String(receiver.port) } })
  assert.equal(second.code, 1)
  assert.match(second.stderr, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${String(receiver.port)} \\(UDP\\) for heartbeats: EADDRINUSE`))
  assert.doesNotMatch(second.stderr, /^\s+at /m)
  assert.equal(await first.stop('SIGTERM'), 0)
})
