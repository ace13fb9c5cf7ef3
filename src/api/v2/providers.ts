import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { ProviderCapability, ProviderDriver } from '../../drivers/provider/provider-driver.ts'
import { selectFields } from '../list/select-fields.ts'
import { rawQuery } from '../request-url.ts'
import type { ApiDeps } from './api-deps.ts'
import { lbaasPaths } from './paths.ts'

// spec/api-v2.md §16.1: the enabled providers and what flavor and availability zone metadata
// each understands. No paging, no links key; `fields` works; capability lists filter on
// `name` and `description` only and ignore every other parameter.

const CAPABILITIES = [
  { word: 'flavor_capabilities', policy: 'provider-flavor:get_all', list: (driver: ProviderDriver) => driver.flavorCapabilities() },
  {
    word: 'availability_zone_capabilities', policy: 'provider-availability-zone:get_all',
    list: (driver: ProviderDriver) => driver.availabilityZoneCapabilities(),
  },
] as const

function queryValues(req: FastifyRequest): URLSearchParams {
  return new URLSearchParams(rawQuery(req))
}

/** `fields` as spec/api-v2.md §5.6 reads it: repeatable, no comma splitting. */
function fieldsOf(query: URLSearchParams): string[] | undefined {
  const fields = query.getAll('fields')
  return fields.length > 0 ? fields : undefined
}

export function registerProviderRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const callerProject = (req: FastifyRequest) => deps.context(req).projectId

  for (const path of lbaasPaths('/providers')) {
    app.get(path, async (req) => {
      deps.access.enforce(req, 'provider:get_all', callerProject(req))
      return { providers: selectFields(deps.providers.list(), fieldsOf(queryValues(req))) }
    })
  }

  for (const { word, policy, list } of CAPABILITIES) {
    for (const path of lbaasPaths(`/providers/:provider/${word}`)) {
      app.get<{ Params: { provider: string } }>(path, async (req) => {
        deps.access.enforce(req, policy, callerProject(req))
        const capabilities: readonly ProviderCapability[] = list(deps.providers.load(req.params.provider))
        const query = queryValues(req)
        // Upstream reads one value of each and ignores an empty one.
        const name = query.get('name')
        const description = query.get('description')
        const kept = capabilities.filter((c) => (!name || c.name === name) && (!description || c.description === description))
        return { [word]: selectFields(kept, fieldsOf(query)) }
      })
    }
  }
}
