/**
 * A provider driver: the back end that realises load balancers (spec/api-v2.md §7).
 * The API calls `check*` before it commits (a refusal rolls the change back); the worker runs
 * the job the API queued with the flow the driver names.
 */
export interface ProviderDriver {
  /** The implementation's own name ('amphora' serves both `amphora` and `octavia`). */
  readonly driver: string
  /** Throws ProviderError (501) for a pool algorithm the driver cannot serve. */
  checkPoolAlgorithm(algorithm: string): void
}
