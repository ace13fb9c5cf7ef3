import type { FastifyRequest } from 'fastify'
import type { RequestContext } from '../request-context.ts'

/**
 * How a request's caller is established (rbac.md §1): noauth, headers (an authenticating proxy
 * sets X-Project-Id / X-Roles) or keystone (X-Auth-Token validated with Keystone). Runs once per
 * request before the route; throws an `unauthorized` OctaviaError (401) when the caller cannot
 * be established. The resulting context's roles already include implied roles
 * (admin ⇒ member ⇒ reader).
 */
export interface IdentityEngine {
  readonly name: 'noauth' | 'headers' | 'keystone'
  authenticate(req: FastifyRequest): Promise<RequestContext>
  /** Releases timers/connections (keystone's cache and service token). */
  close?(): Promise<void>
}
