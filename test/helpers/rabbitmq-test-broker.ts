import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { promisify } from 'node:util'
import type { TestContext } from 'node:test'
import { connect } from 'amqplib'
import { amqpUrl, type RabbitmqOptions } from '../../src/controller/queue/probe-rabbitmq.ts'

const run = promisify(execFile)

/** RabbitMQ's own tool, as the CI machine has it (shared/services.md: the broker on 127.0.0.1:5672, guest/guest). */
async function rabbitmqctl(...args: string[]): Promise<void> {
  try {
    await run('rabbitmqctl', args, { timeout: 60_000 })
  } catch (err) {
    throw new Error(`rabbitmqctl ${args.join(' ')} failed (start the broker with: rabbitmq-server -detached): ${String(err)}`, { cause: err })
  }
}

export interface TestVhost {
  broker: RabbitmqOptions
  /** Deletes the vhost: the broker closes every connection to it and refuses new ones. */
  remove(): Promise<void>
  /** Creates it again with guest's permissions. */
  restore(): Promise<void>
}

/** A vhost of its own for this test (`octavia_test_<pid>_<random>`), removed when the test ends. */
export async function withTestVhost(t: TestContext): Promise<TestVhost> {
  const name = `octavia_test_${process.pid}_${randomBytes(4).toString('hex')}`
  const restore = async () => {
    await rabbitmqctl('add_vhost', name)
    await rabbitmqctl('set_permissions', '-p', name, 'guest', '.*', '.*', '.*')
  }
  const remove = () => rabbitmqctl('delete_vhost', name)
  await restore()
  // The test may have removed it itself.
  t.after(() => remove().catch(() => undefined))
  return {
    broker: { host: '127.0.0.1', port: Number(process.env.OCTAVIA_TEST_RABBITMQ_PORT ?? 5672), user: 'guest', password: 'guest', virtual_host: name },
    remove,
    restore,
  }
}

export interface TestQueue {
  broker: RabbitmqOptions
  /** A queue name of its own on the default vhost. */
  queue: string
}

/**
 * A queue of its own on the broker's default vhost (`octavia_test_<pid>_<random>`), deleted when
 * the test ends: cheaper than a vhost (no rabbitmqctl) where the test does not take the broker away.
 */
export function withTestQueue(t: TestContext): TestQueue {
  const queue = `octavia_test_${process.pid}_${randomBytes(4).toString('hex')}`
  const broker = { host: '127.0.0.1', port: Number(process.env.OCTAVIA_TEST_RABBITMQ_PORT ?? 5672), user: 'guest', password: 'guest', virtual_host: '/' }
  t.after(async () => {
    const connection = await connect(amqpUrl(broker))
    const channel = await connection.createChannel()
    await channel.deleteQueue(queue)
    await connection.close()
  })
  return { broker, queue }
}
