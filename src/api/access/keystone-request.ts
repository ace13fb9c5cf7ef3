import { ServiceUnavailable } from '../../common/errors.ts'
import type { Logger } from '../../common/logger.ts'

/** What keystonemiddleware answers when it cannot reach Keystone (503). */
export const KEYSTONE_UNAVAILABLE = 'The Keystone service is temporarily unavailable.'

export type Fetch = typeof globalThis.fetch

/**
 * Keystone cannot be used right now (503 to the caller, with keystonemiddleware's message);
 * `reason` says why, for operators (logs, `octavia status upgrade check`).
 */
export class KeystoneUnavailable extends ServiceUnavailable {
  constructor(readonly reason: string) {
    super(KEYSTONE_UNAVAILABLE)
  }
}

/** Errors of a kept-alive connection the server closed just as a request went out on it. */
const STALE_CONNECTION = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET'])

/** Whether `err` (fetch's TypeError) came from such a connection: sent again at once on a new one. */
export function isStaleConnection(err: unknown): boolean {
  const cause = err instanceof Error ? err.cause as { code?: unknown } | undefined : undefined
  return typeof cause?.code === 'string' && STALE_CONNECTION.has(cause.code)
}

/**
 * One HTTP call to Keystone. A request cut on a kept-alive connection the server had just closed
 * goes again once (every call here can be repeated: token validations, service logins). A
 * refused connection, a reset or a timeout then becomes ServiceUnavailable (503), never a 500:
 * the caller may retry once Keystone is back.
 */
export async function keystoneRequest(fetchFn: Fetch, url: string, init: RequestInit, timeoutMs: number, log: Logger): Promise<Response> {
  const signal = AbortSignal.timeout(timeoutMs)
  for (let attempt = 1; ; attempt++) {
    try {
      return await fetchFn(url, { ...init, signal })
    } catch (err) {
      if (attempt === 1 && isStaleConnection(err)) continue
      log.warn({ err, url }, 'keystone unreachable')
      const cause = err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err)
      throw new KeystoneUnavailable(`${url.split('?')[0]} unreachable: ${cause}`)
    }
  }
}

/** The body as JSON, or null when it is not JSON (a proxy's error page, a cut connection). */
export async function jsonBody(res: Response): Promise<unknown> {
  try {
    return await res.json()
  } catch {
    // The callers treat a missing or unreadable body as Keystone misbehaving (503).
    return null
  }
}
