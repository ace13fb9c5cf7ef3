import type { FastifyInstance } from 'fastify'
import type { ApiDeps } from './api-deps.ts'
import { availabilityZoneResource, flavorResource } from './catalog-entries.ts'
import { registerCatalogResource } from './catalog-resource.ts'
import { availabilityZoneProfileResource, flavorProfileResource } from './profile-resources.ts'

/** Flavors, flavor profiles, availability zones and availability zone profiles (spec/api-v2.md §16.2–§16.5). */
export function registerCatalogRoutes(app: FastifyInstance, deps: ApiDeps): void {
  registerCatalogResource(app, deps, flavorProfileResource(deps))
  registerCatalogResource(app, deps, flavorResource(deps))
  registerCatalogResource(app, deps, availabilityZoneProfileResource(deps))
  registerCatalogResource(app, deps, availabilityZoneResource(deps))
}
