import type { FastifyInstance } from 'fastify'
import { registerIdentityHook } from '../access/identity-hook.ts'
import type { ApiDeps } from './api-deps.ts'
import { registerAmphoraRoutes } from './amphorae.ts'
import { registerCatalogRoutes } from './catalog-routes.ts'
import { registerHealthMonitorRoutes } from './health-monitors.ts'
import { registerL7PolicyRoutes } from './l7policies.ts'
import { registerL7RuleRoutes } from './l7rules.ts'
import { registerListenerRoutes } from './listeners.ts'
import { registerLoadBalancerRoutes } from './load-balancers.ts'
import { registerMemberRoutes } from './members.ts'
import { registerPoolRoutes } from './pools.ts'
import { registerQuotaRoutes } from './quotas.ts'
import { registerProviderRoutes } from './providers.ts'

/**
 * Every Octavia v2 resource module, in registration order, after the identity hook: a root hook,
 * so it also establishes the caller of the Neutron subset and of unknown paths (rbac.md §5: 401
 * first), wherever the app registers these.
 */
export const V2_ROUTES: ReadonlyArray<(app: FastifyInstance, deps: ApiDeps) => void> = [
  (app, deps) => registerIdentityHook(app, deps.identity),
  registerLoadBalancerRoutes,
  registerListenerRoutes,
  registerPoolRoutes,
  registerMemberRoutes,
  registerHealthMonitorRoutes,
  registerAmphoraRoutes,
  registerL7PolicyRoutes,
  registerL7RuleRoutes,
  registerQuotaRoutes,
  registerProviderRoutes,
  registerCatalogRoutes,
]
