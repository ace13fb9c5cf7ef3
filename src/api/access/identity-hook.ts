import type { FastifyInstance } from 'fastify'
import { OctaviaError } from '../../common/errors.ts'
import type { RequestIdentity } from './request-identity.ts'

// spec/api-v2.md §3.1: version discovery and the health check skip authentication.
const UNAUTHENTICATED = new Set(['/', '/healthcheck'])

/**
 * Establishes the caller of every request (but `/` and `/healthcheck`) before its route runs,
 * including before body parsing, so an unauthenticated caller gets 401 and nothing else
 * (rbac.md §5). The 401 body is Keystone's (spec/api-v2.md §3.1), whichever engine refused.
 */
export function registerIdentityHook(app: FastifyInstance, identity: RequestIdentity): void {
  app.addHook('onRequest', async (req, reply) => {
    if (UNAUTHENTICATED.has(req.routeOptions.url ?? '')) return
    try {
      await identity.establish(req)
    } catch (err) {
      if (!(err instanceof OctaviaError) || err.kind !== 'unauthorized') throw err
      const challenge = (err as { wwwAuthenticate?: unknown }).wwwAuthenticate
      if (typeof challenge === 'string') reply.header('www-authenticate', challenge)
      return reply.code(401).send({ error: { code: 401, title: 'Unauthorized', message: err.message } })
    }
  })
}
