// Typed errors in domain words. Only src/api/fault.ts turns them into HTTP statuses.

export const ERROR_KINDS = [
  'invalid', 'not-found', 'conflict', 'immutable', 'forbidden', 'unauthorized',
  'quota', 'not-implemented', 'provider', 'unavailable',
] as const
export type ErrorKind = (typeof ERROR_KINDS)[number]

export abstract class OctaviaError extends Error {
  abstract readonly kind: ErrorKind
}

export class InvalidInput extends OctaviaError {
  readonly kind = 'invalid'
}

export class NotFound extends OctaviaError {
  readonly kind = 'not-found'
  constructor(label: string, id: string) {
    super(`${label} ${id} not found.`)
  }
}

export class Conflict extends OctaviaError {
  readonly kind = 'conflict'
}

export class NotImplemented extends OctaviaError {
  readonly kind = 'not-implemented'
}

/** A dependency (database, queue, agent) cannot be reached; the caller may retry later. */
export class ServiceUnavailable extends OctaviaError {
  readonly kind = 'unavailable'
}

/** Creating more objects of a kind would go over the project's quota (spec/api-v2.md §14.3). */
export class QuotaExceeded extends OctaviaError {
  readonly kind = 'quota'
  /** @param label the kind as Octavia names it in this message: `Load Balancer`, `Health Monitor`, `L7 Rule`, ... */
  constructor(label: string) {
    super(`Quota has been met for resources: ${label}`)
  }
}

/** The object or its load balancer is in a state that forbids the change (PENDING_*, ERROR). */
export class Immutable extends OctaviaError {
  readonly kind = 'immutable'
}

/** A provider driver refused or failed (spec/api-v2.md §7); `status` picks 400, 500 or 501. */
export class ProviderError extends OctaviaError {
  readonly kind = 'provider'
  constructor(message: string, readonly status: 400 | 409 | 500 | 501) {
    super(message)
  }
}
