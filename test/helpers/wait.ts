import { readFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'

export interface UntilOptions {
  /** Give up after this long (ms, default 30 s). */
  timeoutMs?: number
  /** Between two probes (ms, default 50). */
  intervalMs?: number
  /** A probe that throws counts as "not yet" (a service still starting) instead of failing the wait. */
  ignoreErrors?: boolean
}

/**
 * Probes until `probe` yields a value (anything but undefined or null) and resolves with it;
 * throws naming `what` once `timeoutMs` has passed. Waits in tests are bounded this way, never
 * timed: how long things take is the benches' business.
 */
export async function until<T>(what: string, probe: () => Promise<T | undefined | null> | T | undefined | null, options: UntilOptions = {}): Promise<T> {
  const { timeoutMs = 30_000, intervalMs = 50, ignoreErrors = false } = options
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = ignoreErrors ? await Promise.resolve().then(probe).catch(() => undefined) : await probe()
    if (value !== undefined && value !== null) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(intervalMs)
  }
}

/** Whether a process runs: it exists and is not a zombie waiting for its parent to reap it. */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  } catch {
    return false
  }
}
