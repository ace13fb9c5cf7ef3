import type { Logger } from '../common/logger.ts'

/** Something a long-running command started and must stop on SIGINT/SIGTERM. */
export interface Stoppable {
  name: string
  stop(): Promise<void>
}

/**
 * Waits for SIGINT or SIGTERM, then stops the parts in reverse start order.
 * A second signal while stopping exits at once.
 */
export async function runUntilSignal(parts: Stoppable[], log: Logger): Promise<number> {
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'))
    process.once('SIGTERM', () => resolve('SIGTERM'))
  })
  log.info({ signal }, 'stopping')
  const forceExit = () => process.exit(130)
  process.once('SIGINT', forceExit)
  process.once('SIGTERM', forceExit)
  for (const part of [...parts].reverse()) {
    try {
      await part.stop()
    } catch (err) {
      log.error({ err, part: part.name }, 'stop failed')
    }
  }
  process.off('SIGINT', forceExit)
  process.off('SIGTERM', forceExit)
  log.info('stopped')
  return 0
}
