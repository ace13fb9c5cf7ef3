import type { FastifyRequest } from 'fastify'
import type { RequestContext } from '../request-context.ts'
import type { IdentityEngine } from './identity-engine.ts'

/** Each request's caller, established once by the identity hook and read by the routes. */
export class RequestIdentity {
  private readonly contexts = new WeakMap<FastifyRequest, RequestContext>()

  constructor(readonly engine: IdentityEngine) {}

  /** Runs the engine for `req` (throws its 401) and remembers the result. */
  async establish(req: FastifyRequest): Promise<RequestContext> {
    const context = await this.engine.authenticate(req)
    this.contexts.set(req, context)
    return context
  }

  /** The caller of a request the identity hook has seen; anything else is a wiring mistake. */
  context(req: FastifyRequest): RequestContext {
    const context = this.contexts.get(req)
    if (!context) throw new Error(`no identity was established for ${req.method} ${req.url}: is the identity hook registered?`)
    return context
  }

  async close(): Promise<void> {
    await this.engine.close?.()
  }
}
