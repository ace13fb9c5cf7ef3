import type { FastifyRequest } from 'fastify'
import type { RequestContext } from '../request-context.ts'
import type { IdentityEngine } from './identity-engine.ts'
import type { PolicyEnforcer } from './policy-enforcer.ts'
import { withImpliedRoles } from './role-implications.ts'
import { Unauthorized } from './unauthorized.ts'

/** The headers an authenticating proxy sets (keystonemiddleware's names); any one of them identifies a caller. */
const IDENTITY_HEADERS = ['x-user-id', 'x-project-id', 'x-tenant-id', 'x-roles'] as const

function header(req: FastifyRequest, name: string): string | undefined {
  const value = req.headers[name]
  const text = (Array.isArray(value) ? value.join(',') : value)?.trim()
  return text === '' ? undefined : text
}

/**
 * The `headers` engine: trusts the identity an authenticating proxy in front of the API put in
 * X-User-Id, X-Project-Id (alias X-Tenant-Id) and X-Roles (comma separated), as
 * keystonemiddleware does. The proxy must drop these headers from client requests.
 * A request with none of them, or that the proxy marked `X-Identity-Status: Invalid`, is 401.
 * No default project applies: a request without a project is unscoped (rbac.md §2: 403).
 */
export class HeadersIdentity implements IdentityEngine {
  readonly name = 'headers'
  constructor(private readonly policy: PolicyEnforcer) {}

  async authenticate(req: FastifyRequest): Promise<RequestContext> {
    const status = header(req, 'x-identity-status')
    if (status !== undefined && status.toLowerCase() !== 'confirmed') {
      throw new Unauthorized('The request you have made requires authentication: the authenticating proxy marked it X-Identity-Status: Invalid.')
    }
    if (IDENTITY_HEADERS.every((name) => header(req, name) === undefined)) {
      throw new Unauthorized('The request you have made requires authentication: it carries no identity (X-User-Id, X-Project-Id, X-Roles).')
    }
    const roles = withImpliedRoles((header(req, 'x-roles') ?? '').split(','))
    const projectId = header(req, 'x-project-id') ?? header(req, 'x-tenant-id') ?? null
    const userId = header(req, 'x-user-id') ?? null
    return { projectId, userId, roles, isAdmin: this.policy.isAdmin({ roles, project_id: projectId, user_id: userId }) }
  }
}
