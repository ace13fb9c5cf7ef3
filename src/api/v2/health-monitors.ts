import type { FastifyInstance, FastifyRequest } from 'fastify'
import { Conflict, InvalidInput, NotFound } from '../../common/errors.ts'
import { newId } from '../../common/ids.ts'
import { DuplicateEntry } from '../../db/errors.ts'
import type { LoadBalancer } from '../../db/repositories/load-balancer-repository.ts'
import {
  HealthMonitorRepository, type HealthMonitor, type HealthMonitorChanges,
} from '../../db/repositories/health-monitor-repository.ts'
import { PoolRepository, type Pool } from '../../db/repositories/pool-repository.ts'
import type { PolicyAction } from '../access/access.ts'
import { LIST_SPECS } from '../list/list-specs.ts'
import { selectFields } from '../list/select-fields.ts'
import { requestedFields } from '../request-url.ts'
import { parseBody } from '../validation/body-schema.ts'
import type { ApiDeps } from './api-deps.ts'
import { listObjects } from './list-objects.ts'
import { enqueueChildJob } from './child-mutation.ts'
import {
  DEFAULT_MAX_RETRIES_DOWN, HEALTH_MONITOR_CREATE_FIELDS, HEALTH_MONITOR_MUTABLE_FIELDS, HTTP_ONLY_FIELDS, HTTP_TYPES,
  checkHttpVersionForDomain, checkNewHealthMonitorType, checkTypeForPool, newHealthMonitorValues, required,
} from './health-monitor-rules.ts'
import { renderHealthMonitor } from './health-monitor-view.ts'
import { lockPoolForChild } from './child-mutation.ts'
import { lbaasPaths } from './paths.ts'

const LABEL = 'Health Monitor'

const CREATE = { arg: 'health_monitor_', envelope: 'healthmonitor', fields: HEALTH_MONITOR_CREATE_FIELDS } as const
const UPDATE = { arg: 'health_monitor_', envelope: 'healthmonitor', fields: HEALTH_MONITOR_MUTABLE_FIELDS } as const

const validation = (text: string) => new InvalidInput(`Validation failure: ${text}`)

export function registerHealthMonitorRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { db } = deps
  const monitors = new HealthMonitorRepository(db, deps.clock)
  const pools = new PoolRepository(db, deps.clock)
  const settings = deps.config.api_settings

  async function find(id: string): Promise<HealthMonitor> {
    const monitor = await monitors.get(id)
    if (!monitor) throw new NotFound(LABEL, id)
    return monitor
  }

  /** The monitor of a path id (404), then the call's policy on its project (403): rbac.md §5's order. */
  async function authorized(req: FastifyRequest, id: string, action: PolicyAction): Promise<HealthMonitor> {
    const monitor = await find(id)
    deps.access.enforce(req, action, monitor.project_id)
    return monitor
  }

  /** The monitor's pool and its LB's provider name. */
  async function loadParent(poolId: string): Promise<{ pool: Pool; lb: LoadBalancer }> {
    const pool = await pools.get(poolId)
    const lb = pool?.load_balancer_id ? await deps.loadBalancers.get(pool.load_balancer_id) : undefined
    if (!pool || !lb) throw new NotFound('Pool', poolId)
    return { pool, lb }
  }

  for (const path of lbaasPaths('/healthmonitors')) {
    app.post(path, async (req, reply) => {
      const body = parseBody(req.body, CREATE)
      const { pool, lb } = await loadParent(body.pool_id)
      deps.access.enforce(req, 'healthmonitor:post', lb.project_id)
      checkNewHealthMonitorType(settings, pool.protocol, body.type, body.delay)
      const driver = deps.providers.load(lb.provider)
      const id = newId()
      const job = await db.transaction(async (trx) => {
        await deps.quotas.consume(trx, req, lb.project_id, 'health_monitor')
        const locked = await lockPoolForChild(deps, trx, pool.id)
        const values = newHealthMonitorValues(body)
        if (locked.healthmonitor_id) throw new Conflict('This pool already has a health monitor')
        try {
          await monitors.create({ ...values, id, project_id: lb.project_id, pool_id: pool.id }, trx)
        } catch (err) {
          // Another monitor won the race for this pool between our read and our insert.
          if (err instanceof DuplicateEntry) throw new Conflict('This pool already has a health monitor')
          throw err
        }
        driver.checkHealthMonitorType(values.type)
        return enqueueChildJob(deps, trx, { kind: 'healthmonitor.create', target_type: 'healthmonitor', target_id: id, load_balancer_id: lb.id, payload: { pool_id: pool.id } })
      })
      // Rendered before the worker is told, so the answer shows the statuses this call wrote.
      const healthmonitor = renderHealthMonitor(await find(id))
      deps.notifyWorker(job.id)
      return reply.code(201).send({ healthmonitor })
    })

    app.get(path, async (req) => {
      const spec = LIST_SPECS.healthmonitor
      return listObjects(req, deps, spec, (ids) => monitors.getMany(ids), renderHealthMonitor)
    })
  }

  for (const path of lbaasPaths('/healthmonitors/:id')) {
    app.get<{ Params: { id: string } }>(path, async (req) => ({
      healthmonitor: selectFields([renderHealthMonitor(await authorized(req, req.params.id, 'healthmonitor:get_one'))], requestedFields(req))[0],
    }))

    app.put<{ Params: { id: string } }>(path, async (req) => {
      const { id } = req.params
      const body = parseBody(req.body, UPDATE)
      const current = await authorized(req, id, 'healthmonitor:put')
      if (!HTTP_TYPES.includes(current.type)) {
        // On update the key alone is refused, even with null (spec/api-v2.md §12.2).
        for (const field of HTTP_ONLY_FIELDS) {
          if (body[field] !== undefined) throw new InvalidInput(`${field} is not a valid option for health monitors of type ${current.type}`)
        }
      }
      required(body.delay, 'delay')
      required(body.max_retries, 'max_retries')
      required(body.timeout, 'timeout')
      // Upstream combines the request with the stored values by truthiness: a null in the request defers to the row.
      if (body.domain_name && !(current.http_version || body.http_version)) {
        throw validation("'http_version' must be specified when 'domain_name' is provided.")
      }
      if ((current.http_version || body.http_version) && (current.domain_name || body.domain_name)) {
        checkHttpVersionForDomain(body.http_version || current.http_version)
      }
      const { pool, lb } = await loadParent(current.pool_id)
      checkTypeForPool(settings, pool.protocol, current.type, body.delay)
      const changes: HealthMonitorChanges = {
        ...(body.name !== undefined && { name: body.name }),
        ...(body.delay != null && { delay: body.delay }),
        ...(body.timeout != null && { timeout: body.timeout }),
        ...(body.max_retries != null && { rise_threshold: body.max_retries }),
        // spec/api-v2.md §12.4: null puts these back to their defaults.
        ...(body.max_retries_down !== undefined && { fall_threshold: body.max_retries_down ?? DEFAULT_MAX_RETRIES_DOWN }),
        ...(body.http_method !== undefined && { http_method: body.http_method ?? 'GET' }),
        ...(body.url_path !== undefined && { url_path: body.url_path ?? '/' }),
        ...(body.expected_codes !== undefined && { expected_codes: body.expected_codes ?? '200' }),
        ...(body.admin_state_up !== undefined && { enabled: body.admin_state_up === true }),
        ...(body.http_version !== undefined && { http_version: body.http_version }),
        ...(body.domain_name !== undefined && { domain_name: body.domain_name }),
        ...(body.tags !== undefined && body.tags !== null && { tags: body.tags }),
      }
      deps.providers.load(lb.provider)
      const job = await db.transaction(async (trx) => {
        await lockPoolForChild(deps, trx, pool.id)
        await monitors.update(id, changes, trx)
        await monitors.setProvisioningStatus(id, 'PENDING_UPDATE', {}, trx)
        return enqueueChildJob(deps, trx, { kind: 'healthmonitor.update', target_type: 'healthmonitor', target_id: id, load_balancer_id: lb.id, payload: { pool_id: pool.id } })
      })
      const healthmonitor = renderHealthMonitor(await find(id))
      deps.notifyWorker(job.id)
      return { healthmonitor }
    })

    app.delete<{ Params: { id: string } }>(path, async (req, reply) => {
      const { id } = req.params
      const current = await authorized(req, id, 'healthmonitor:delete')
      const { pool, lb } = await loadParent(current.pool_id)
      deps.providers.load(lb.provider)
      const job = await db.transaction(async (trx) => {
        await lockPoolForChild(deps, trx, pool.id)
        await monitors.setProvisioningStatus(id, 'PENDING_DELETE', {}, trx)
        return enqueueChildJob(deps, trx, { kind: 'healthmonitor.delete', target_type: 'healthmonitor', target_id: id, load_balancer_id: lb.id, payload: { pool_id: pool.id } })
      })
      deps.notifyWorker(job.id)
      return reply.code(204).send()
    })
  }
}
