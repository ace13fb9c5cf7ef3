import type { FastifyRequest } from 'fastify'
import type { RequestContext } from '../request-context.ts'
import { Forbidden, type Access, type PolicyAction, type ScopedListResource } from './access.ts'
import type { Credentials, PolicyEnforcer } from './policy-enforcer.ts'
import { POLICIES, POLICY_PREFIX } from './policy-table.ts'

export interface RbacAccessOptions {
  /** rbac.md §2: a caller without a project passes no policy (oslo_policy.enforce_scope; off under noauth). */
  enforceScope: boolean
}

/** Access decided by the policy rules (rbac.md §3–§5) for the caller the identity engine established. */
export class RbacAccess implements Access {
  constructor(
    private readonly policy: PolicyEnforcer,
    private readonly context: (req: FastifyRequest) => RequestContext,
    private readonly options: RbacAccessOptions,
  ) {}

  enforce(req: FastifyRequest, action: PolicyAction, targetProjectId: string | null): void {
    if (!this.allows(req, action, targetProjectId)) throw new Forbidden()
  }

  allows(req: FastifyRequest, action: PolicyAction, targetProjectId: string | null): boolean {
    // An unknown name is a programming mistake, not a refusal (oslo raises PolicyNotRegistered).
    if (!POLICIES.has(action)) throw new Error(`no policy ${POLICY_PREFIX}${action} (src/api/access/policy-table.ts)`)
    const context = this.context(req)
    if (this.options.enforceScope && context.projectId === null) return false
    return this.policy.check(`${POLICY_PREFIX}${action}`, { project_id: targetProjectId }, credentials(context))
  }

  listScope(req: FastifyRequest, resource: ScopedListResource, queryProjectId: string | undefined): string | null {
    if (this.allows(req, `${resource}:get_all-global`, queryProjectId ?? null)) return null
    const project = queryProjectId ?? this.context(req).projectId
    if (project === null) throw new Forbidden()
    this.enforce(req, `${resource}:get_all`, project)
    return project
  }
}

function credentials(context: RequestContext): Credentials {
  return { roles: context.roles.map((role) => role.toLowerCase()), project_id: context.projectId, user_id: context.userId, is_admin: context.isAdmin }
}
