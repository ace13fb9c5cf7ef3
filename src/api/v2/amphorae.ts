import type { FastifyInstance, FastifyRequest } from 'fastify'
import { Immutable, NotFound } from '../../common/errors.ts'
import { AmphoraRepository, type Amphora } from '../../db/repositories/amphora-repository.ts'
import { LIST_SPECS } from '../list/list-specs.ts'
import { selectFields } from '../list/select-fields.ts'
import { requestedFields } from '../request-url.ts'
import type { ApiDeps } from './api-deps.ts'
import { renderAmphora } from './amphora-view.ts'
import { lockLoadBalancerForChild } from './child-mutation.ts'
import { listObjects } from './list-objects.ts'
import { octaviaPaths } from './paths.ts'

const LABEL = 'Amphora'

/** spec/api-v2.md §15: only a broken (ERROR) amphora may be deleted; spares belong to housekeeping. */
const DELETABLE = ['ERROR'] as const

type IdParams = { Params: { id: string } }

/** `amphora <id> is immutable ...`: lower-case, as upstream names the resource here (spec/api-v2.md §15). */
const immutableAmphora = (id: string) => new Immutable(`amphora ${id} is immutable and cannot be updated.`)

/**
 * The amphora admin API (spec/api-v2.md §15, rbac.md §3 and §5): list, show, stats and delete
 * check the admin policy against the caller's own project; failover and config look the amphora
 * up first and check the policy against its load balancer's project.
 */
export function registerAmphoraRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { db } = deps
  const amphorae = new AmphoraRepository(db, deps.clock)
  const caller = (req: FastifyRequest) => deps.context(req).projectId

  /** The amphora of a path id; 404 when unknown or DELETED. */
  async function find(id: string): Promise<Amphora> {
    const amphora = await amphorae.get(id)
    if (!amphora || amphora.status === 'DELETED') throw new NotFound(LABEL, id)
    return amphora
  }

  /** The owning load balancer's project, for the failover and config policies; null when it has none. */
  async function ownerProject(amphora: Amphora): Promise<string | null> {
    if (amphora.load_balancer_id === null) return null
    return (await deps.loadBalancers.get(amphora.load_balancer_id))?.project_id ?? null
  }

  for (const path of octaviaPaths('/amphorae')) {
    app.get(path, async (req) => {
      deps.access.enforce(req, 'amphora:get_all', caller(req))
      return listObjects(req, deps, LIST_SPECS.amphora, (ids) => amphorae.getMany(ids), renderAmphora)
    })
  }

  for (const path of octaviaPaths('/amphorae/:id')) {
    app.get<IdParams>(path, async (req) => {
      const amphora = await find(req.params.id)
      deps.access.enforce(req, 'amphora:get_one', caller(req))
      return { amphora: selectFields([renderAmphora(amphora)], requestedFields(req))[0] }
    })

    app.delete<IdParams>(path, async (req, reply) => {
      const { id } = req.params
      deps.access.enforce(req, 'amphora:delete', caller(req))
      const job = await db.transaction(async (trx) => {
        const amphora = await amphorae.get(id, trx)
        if (!amphora || amphora.status === 'DELETED') throw new NotFound(LABEL, id)
        // Compare-and-set: of two concurrent deletes, one wins and the other sees PENDING_DELETE.
        if (!await amphorae.setStatus(id, 'PENDING_DELETE', { from: DELETABLE }, trx)) throw immutableAmphora(id)
        return deps.jobs.enqueue(trx, { kind: 'amphora.delete', target_type: 'amphora', target_id: id, load_balancer_id: amphora.load_balancer_id })
      })
      deps.notifyWorker(job.id)
      return reply.code(204).send()
    })
  }

  for (const path of octaviaPaths('/amphorae/:id/stats')) {
    app.get<IdParams>(path, async (req) => {
      const { id } = req.params
      deps.access.enforce(req, 'amphora:get_stats', caller(req))
      const stats = await amphorae.statistics(id)
      if (stats.length === 0) throw new NotFound('Amphora stats for', id)
      return { amphora_stats: stats }
    })
  }

  for (const path of octaviaPaths('/amphorae/:id/failover')) {
    app.put<IdParams>(path, async (req, reply) => {
      const { id } = req.params
      const amphora = await find(id)
      deps.access.enforce(req, 'amphora:put_failover', await ownerProject(amphora))
      const lbId = amphora.load_balancer_id
      // spec/api-v2.md §18: an amphora without a load balancer is refused (upstream: 500).
      if (lbId === null) throw immutableAmphora(id)
      const job = await db.transaction(async (trx) => {
        await lockLoadBalancerForChild(deps, trx, lbId)
        return deps.jobs.enqueue(trx, { kind: 'amphora.failover', target_type: 'amphora', target_id: id, load_balancer_id: lbId })
      })
      deps.notifyWorker(job.id)
      return reply.code(202).send()
    })
  }

  for (const path of octaviaPaths('/amphorae/:id/config')) {
    app.put<IdParams>(path, async (req, reply) => {
      const { id } = req.params
      const amphora = await find(id)
      deps.access.enforce(req, 'amphora:put_config', await ownerProject(amphora))
      const lbId = amphora.load_balancer_id
      if (lbId === null) throw immutableAmphora(id)
      // No status changes: the refresh touches only the agent's own settings (spec/flows.md §7.4).
      const job = await db.transaction(async (trx) => {
        return deps.jobs.enqueue(trx, { kind: 'amphora.update_agent_config', target_type: 'amphora', target_id: id, load_balancer_id: lbId })
      })
      deps.notifyWorker(job.id)
      return reply.code(202).send()
    })
  }
}
