import { OctaviaError, ProviderError, type ErrorKind } from '../common/errors.ts'
import { DatabaseError } from '../db/errors.ts'

// A new ErrorKind fails to compile until it is mapped here.
const STATUS: Record<ErrorKind, number> = {
  invalid: 400,
  unauthorized: 401,
  forbidden: 403,
  quota: 403,
  'not-found': 404,
  conflict: 409,
  immutable: 409,
  provider: 500,
  'not-implemented': 501,
  unavailable: 503,
}

export interface Fault {
  status: number
  body: { faultcode: 'Client' | 'Server'; faultstring: string; debuginfo: null }
}

/** Octavia's fault envelope (spec/api-v2.md §4.1); unknown errors never leak their message or stack. */
export function toFault(err: unknown): Fault {
  // The database down or busy past its waits: nothing the caller did; the same request may succeed later.
  if (err instanceof DatabaseError && err.retryable) {
    return { status: 503, body: { faultcode: 'Server', faultstring: 'The database is unavailable or busy. Please try again later.', debuginfo: null } }
  }
  const known = err instanceof OctaviaError
  const status = err instanceof ProviderError ? err.status : known ? STATUS[err.kind] : 500
  const faultstring = known ? err.message : 'Internal Server Error'
  return { status, body: { faultcode: status < 500 ? 'Client' : 'Server', faultstring, debuginfo: null } }
}

/** The bare bodies of spec/api-v2.md §4.2 (routing errors raised before a resource handler runs). */
export function routingError(code: 404 | 405 | 406, description: string | null = null) {
  const title = { 404: 'Not Found', 405: 'Method Not Allowed', 406: 'Not Acceptable' }[code]
  return { code, title, description }
}
