import type { FastifyRequest } from 'fastify'
import { OctaviaError } from '../../common/errors.ts'
import type { Transaction } from '../../db/database.ts'
import type { QuotaResource } from '../../db/repositories/quota-repository.ts'
import type { Schema } from '../../db/schema.ts'

/** A policy name without its `os_load-balancer_api:` prefix (rbac.md §3), e.g. `loadbalancer:get_one`. */
export type PolicyAction = `${string}:${string}`

/** The owned resources whose lists have a `get_all-global` rule (rbac.md §4). */
export type ScopedListResource = 'loadbalancer' | 'listener' | 'pool' | 'healthmonitor' | 'l7policy' | 'quota'

/** rbac.md §5: the policy refused the call. */
export class Forbidden extends OctaviaError {
  readonly kind = 'forbidden'
  constructor(message = 'Policy does not allow this request to be performed.') {
    super(message)
  }
}

/**
 * Authorisation as the routes use it (rbac.md). Routes call these at the point rbac.md §5
 * orders: after the object/parent lookup (404) for owned objects, before lookups for the
 * admin catalogue calls.
 */
export interface Access {
  /** Throws Forbidden unless `os_load-balancer_api:<action>` passes for the target project. */
  enforce(req: FastifyRequest, action: PolicyAction, targetProjectId: string | null): void
  /** Whether the policy passes (for a decision that is not a refusal, e.g. admin-only fields). */
  allows(req: FastifyRequest, action: PolicyAction, targetProjectId: string | null): boolean
  /**
   * rbac.md §4 for a list: null = every project (an explicit `?project_id=` is then an ordinary
   * filter); a string = the list is restricted to that project. Throws Forbidden.
   */
  listScope(req: FastifyRequest, resource: ScopedListResource, queryProjectId: string | undefined): string | null
}

/**
 * Quota enforcement (spec/api-v2.md §14.3), called inside the create transaction that inserts
 * the objects, so concurrent creates cannot both slip under a limit. Under noauth it counts
 * nothing and refuses nothing. `projectId` is the owner (a child's is its load balancer's); an
 * enforcing gate refuses a null one with 400, as upstream's quota check does.
 */
export interface QuotaGate {
  consume(trx: Transaction<Schema>, req: FastifyRequest, projectId: string | null, resource: QuotaResource, count?: number): Promise<void>
}

/** noauth (rbac.md §6): every caller is admin; lists are global; quotas are not enforced. */
export const noauthAccess: Access = {
  enforce: () => undefined,
  allows: () => true,
  listScope: () => null,
}

export const unenforcedQuotas: QuotaGate = {
  consume: async () => undefined,
}
