import type { Logger } from '../common/logger.ts'

export interface PeriodicTask {
  /** Stops the loop; resolves once the run in progress, if any, has ended. */
  stop(): Promise<void>
}

/**
 * Runs `run` now, then again `intervalMs` after each run ends, until stopped (spec/operations.md
 * §1: a failure is logged and the loop goes on).
 */
export function startPeriodicTask(name: string, intervalMs: number, run: () => Promise<unknown>, log: Logger): PeriodicTask {
  let stopped = false
  let timer: NodeJS.Timeout | undefined
  let wake: (() => void) | undefined
  const loop = async () => {
    while (!stopped) {
      try {
        await run()
      } catch (err) {
        log.error({ err, task: name }, 'housekeeping task failed; it runs again after its interval')
      }
      if (stopped) break
      await new Promise<void>((resolve) => {
        wake = resolve
        timer = setTimeout(resolve, intervalMs)
      })
    }
  }
  const running = loop()
  return {
    stop: async () => {
      stopped = true
      clearTimeout(timer)
      wake?.()
      await running
    },
  }
}
