import type { FastifyInstance } from 'fastify'
import { NotFound } from '../../common/errors.ts'
import { QUOTA_RESOURCES, QuotaRepository, type QuotaLimits } from '../../db/repositories/quota-repository.ts'
import { listResponse } from '../list/list-response.ts'
import { LIST_SPECS } from '../list/list-specs.ts'
import { parseListQuery } from '../list/parse-list-query.ts'
import { runList } from '../list/run-list.ts'
import { listBaseUrl, rawQuery } from '../request-url.ts'
import { parseBody } from '../validation/body-schema.ts'
import { invalidField } from '../validation/field-type.ts'
import { int, type Parsed } from '../validation/field-types.ts'
import type { ApiDeps } from './api-deps.ts'
import { lbaasPaths } from './paths.ts'
import { effectiveLimits, renderQuota } from './quota-view.ts'

const LABEL = 'Quotas'

// spec/api-v2.md §14.1: -1 = unlimited, 0 = none allowed.
const limit = { type: int({ min: -1, max: 2000000000 }) }

const QUOTA_FIELDS = {
  loadbalancer: limit, load_balancer: limit, listener: limit, member: limit, pool: limit,
  healthmonitor: limit, health_monitor: limit, l7policy: limit, l7rule: limit,
} as const

// Octavia's body argument for quotas is `quotas` (spec/api-v2.md §3.4).
const UPDATE = { arg: 'quotas', envelope: 'quota', fields: QUOTA_FIELDS } as const

// The quotas table's project_id column (an id column, like every owner's).
const PROJECT_ID_MAX = 36

type ProjectParams = { Params: { project_id: string } }

/**
 * The kinds a PUT sets (null = back to the default). When both spellings of a kind are sent,
 * the unsuffixed one wins, null included (spec/api-v2.md §14.1).
 */
function requestedLimits(body: Parsed<typeof QUOTA_FIELDS>): Partial<QuotaLimits> {
  const chosen: Partial<QuotaLimits> = {
    load_balancer: body.loadbalancer !== undefined ? body.loadbalancer : body.load_balancer,
    listener: body.listener,
    member: body.member,
    pool: body.pool,
    health_monitor: body.healthmonitor !== undefined ? body.healthmonitor : body.health_monitor,
    l7policy: body.l7policy,
    l7rule: body.l7rule,
  }
  return Object.fromEntries(QUOTA_RESOURCES.filter((r) => chosen[r] !== undefined).map((r) => [r, chosen[r]]))
}

/**
 * Quotas (spec/api-v2.md §14.2): the raw stored records, a project's effective quota, the
 * deployment defaults, set and reset. Policy comes first on every call (rbac.md §5);
 * `/quotas/defaults` is simply the quota of a project named "defaults", as upstream has it.
 */
export function registerQuotaRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const quotas = new QuotaRepository(deps.db)
  const defaults = deps.config.quotas

  async function effective(projectId: string) {
    return renderQuota(projectId, effectiveLimits(await quotas.get(projectId), defaults))
  }

  for (const path of lbaasPaths('/quotas')) {
    app.get(path, async (req) => {
      const spec = LIST_SPECS.quota
      const raw = rawQuery(req)
      const scope = deps.access.listScope(req, 'quota', new URLSearchParams(raw).get('project_id') ?? undefined)
      // `fields` is parsed like any list's but not applied: the quota list ignores it (spec/api-v2.md §5.6).
      const query = parseListQuery(raw, spec, deps.config.api_settings)
      const page = await runList(deps.db, spec, query, {
        baseUrl: listBaseUrl(req),
        // rbac.md §4: only the caller's project, and only its record can serve as the marker.
        ...(scope !== null && { projectId: scope }),
      })
      return listResponse(spec, page.rows.map((row) => renderQuota(row.project_id, row)), page.links)
    })
  }

  for (const path of lbaasPaths('/quotas/:project_id')) {
    app.get<ProjectParams>(path, async (req) => {
      const projectId = req.params.project_id
      deps.access.enforce(req, 'quota:get_one', projectId)
      return { quota: await effective(projectId) }
    })

    app.put<ProjectParams>(path, async (req, reply) => {
      const projectId = req.params.project_id
      const body = parseBody(req.body, UPDATE)
      deps.access.enforce(req, 'quota:put', projectId)
      // Upstream's column overflows into a 500; a client mistake here is a 400 (our deviation).
      if (projectId.length > PROJECT_ID_MAX) {
        throw invalidField('project_id', projectId, `Value should have a maximum character requirement of ${PROJECT_ID_MAX}`)
      }
      await quotas.set(projectId, requestedLimits(body))
      return reply.code(202).send({ quota: await effective(projectId) })
    })

    app.delete<ProjectParams>(path, async (req, reply) => {
      const projectId = req.params.project_id
      deps.access.enforce(req, 'quota:delete', projectId)
      if (!await quotas.reset(projectId)) throw new NotFound(LABEL, projectId)
      return reply.code(202).send()
    })
  }

  for (const path of lbaasPaths('/quotas/:project_id/default')) {
    app.get<ProjectParams>(path, async (req) => {
      const projectId = req.params.project_id
      deps.access.enforce(req, 'quota:get_defaults', projectId)
      return { quota: renderQuota(projectId, effectiveLimits(undefined, defaults)) }
    })
  }
}
