/**
 * How often and how patiently something is retried, in Octavia's shape (spec/flows.md §1.3):
 * the wait starts at `initialMs` and grows by `backoffMs` per attempt, up to `maxMs`.
 */
export interface RetryPolicy {
  /** Retries after the first try. */
  readonly attempts: number
  readonly initialMs: number
  readonly backoffMs: number
  readonly maxMs: number
}

/** The wait before retry number `retry` (1 = the first retry). */
export function retryDelay(policy: RetryPolicy, retry: number): number {
  return Math.min(policy.initialMs + policy.backoffMs * Math.max(0, retry - 1), policy.maxMs)
}
