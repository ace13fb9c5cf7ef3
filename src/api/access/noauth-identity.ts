import type { FastifyRequest } from 'fastify'
import { noauthContext, type RequestContext } from '../request-context.ts'
import type { IdentityEngine } from './identity-engine.ts'
import { withImpliedRoles } from './role-implications.ts'

/** rbac.md §6: no authentication; every caller is an administrator. */
export class NoauthIdentity implements IdentityEngine {
  readonly name = 'noauth'
  constructor(private readonly defaultProjectId: string) {}

  async authenticate(req: FastifyRequest): Promise<RequestContext> {
    const context = noauthContext(req, this.defaultProjectId)
    return { ...context, roles: withImpliedRoles(context.roles) }
  }
}
