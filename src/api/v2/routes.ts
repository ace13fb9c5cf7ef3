import type { FastifyInstance } from 'fastify'
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

/** Every Octavia v2 resource module, in registration order. */
export const V2_ROUTES: ReadonlyArray<(app: FastifyInstance, deps: ApiDeps) => void> = [
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
