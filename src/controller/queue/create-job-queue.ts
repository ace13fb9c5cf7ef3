import type { Logger } from '../../common/logger.ts'
import type { MessageQueueConfig } from '../../config/schema.ts'
import type { JobQueue } from './job-queue.ts'
import { MemoryQueue } from './memory-queue.ts'
import { RabbitmqQueue } from './rabbitmq-queue.ts'

/** The queue the configuration names (message_queue.engine): in-process, or RabbitMQ. */
export function createJobQueue(config: MessageQueueConfig, log: Logger): JobQueue {
  if (config.engine === 'memory') return new MemoryQueue()
  // config-rules.ts requires the host for rabbitmq.
  const host = config.host ?? '127.0.0.1'
  return new RabbitmqQueue({ broker: { host, port: config.port, user: config.user, password: config.password, virtual_host: config.virtual_host }, log })
}
