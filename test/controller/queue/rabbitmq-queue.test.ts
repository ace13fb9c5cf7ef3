import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createLogger } from '../../../src/common/logger.ts'
import { RabbitmqQueue } from '../../../src/controller/queue/rabbitmq-queue.ts'
import { withTestQueue } from '../../helpers/rabbitmq-test-broker.ts'

// The broker going away and coming back is tested with the workers (test/controller/workers-rabbitmq.test.ts).

const log = createLogger({ level: 'silent' })

async function until(done: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 2000 && !done(); i++) await new Promise((r) => setTimeout(r, 10))
  assert.ok(done(), what)
}

test('job ids go through RabbitMQ, each to one of the listening workers', async (t) => {
  const { broker, queue } = withTestQueue(t)
  const api = new RabbitmqQueue({ broker, queue, log })
  const workers = [new RabbitmqQueue({ broker, queue, log }), new RabbitmqQueue({ broker, queue, log })]
  t.after(() => Promise.all([api, ...workers].map((q) => q.close())))
  const received: string[][] = [[], []]
  workers.forEach((w, i) => w.listen((id) => received[i]!.push(id)))
  await Promise.all([api, ...workers].map((q) => q.whenConnected()))

  const ids = Array.from({ length: 20 }, (_, i) => `job-${i}`)
  for (const id of ids) api.announce(id)
  await until(() => received.flat().length === ids.length, 'every announcement delivered')
  assert.deepEqual(received.flat().sort(), [...ids].sort(), 'each id once, to one of the workers')
  assert.ok(received.every((r) => r.length > 0), 'both workers take messages')
})

test('with no broker to reach, announcing drops the message and never throws; the queue keeps trying', async (t) => {
  // Port 1 on loopback: nothing listens there.
  const away = new RabbitmqQueue({ broker: { host: '127.0.0.1', port: 1, user: 'guest', password: 'guest', virtual_host: '/' }, log, reconnectMs: { first: 10, last: 20 } })
  t.after(() => away.close())
  assert.equal(away.connected, false)
  away.announce('job-1')
  await new Promise((r) => setTimeout(r, 100))
  assert.equal(away.connected, false)
})
