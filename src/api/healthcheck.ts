import type { Clock } from '../common/clock.ts'

/** What /healthcheck asks: resolves when the API can serve (its database answers), rejects otherwise. */
export type HealthProbe = () => Promise<void>

export interface HealthResult {
  healthy: boolean
  reason: string
}

/**
 * Runs the probe at most once per refresh interval, as Octavia's healthcheck plugin caches its
 * database check (`healthcheck_refresh_interval`), so a load balancer polling /healthcheck cannot
 * load the database.
 */
export function cachedHealth(probe: HealthProbe, refreshSeconds: number, clock: Clock): () => Promise<HealthResult> {
  let last: { at: number; result: HealthResult } | undefined
  let running: Promise<HealthResult> | undefined
  return async () => {
    const now = clock.now().getTime()
    if (last && now - last.at < refreshSeconds * 1000) return last.result
    running ??= probe().then(
      () => ({ healthy: true, reason: 'OK' }),
      () => ({ healthy: false, reason: 'DB health check failed' }),
    ).then((result) => {
      last = { at: clock.now().getTime(), result }
      running = undefined
      return result
    })
    return running
  }
}
