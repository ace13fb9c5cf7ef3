import type { FastifyInstance, FastifyRequest } from 'fastify'
import { Conflict, InvalidInput, NotFound } from '../../common/errors.ts'
import type { LoadBalancer } from '../../db/repositories/load-balancer-repository.ts'
import { PoolRepository, type ListenerRef, type Pool, type PoolChanges } from '../../db/repositories/pool-repository.ts'
import type { PolicyAction } from '../access/access.ts'
import { LIST_SPECS } from '../list/list-specs.ts'
import { selectFields } from '../list/select-fields.ts'
import { requestedFields } from '../request-url.ts'
import { parseBody } from '../validation/body-schema.ts'
import { mandatoryFieldMissing } from '../validation/field-type.ts'
import type { ApiDeps } from './api-deps.ts'
import { listObjects } from './list-objects.ts'
import { enqueueChildJob, lockLoadBalancerForChild } from './child-mutation.ts'
import {
  checkAlpnProtocols, checkCiphers, checkListenerTakesChildren, checkPoolProtocolForListener, checkTlsVersions,
} from './listener-pool-rules.ts'
import { lbaasPaths } from './paths.ts'
import {
  POOL_CREATE_FIELDS, POOL_UPDATE_FIELDS, checkCaAndCrl, checkNewPoolTls, checkSessionPersistence, newPoolValues, poolTls,
  storedPersistence, type RequestedPersistence,
} from './pool-rules.ts'
import { renderPool } from './pool-view.ts'

const LABEL = 'Pool'

const CREATE = { arg: 'pool_', envelope: 'pool', fields: POOL_CREATE_FIELDS } as const
const UPDATE = { arg: 'pool_', envelope: 'pool', fields: POOL_UPDATE_FIELDS } as const

const validation = (detail: string) => new InvalidInput(`Validation failure: ${detail}`)

/** The listener/pool protocol rule of spec/api-v2.md §9.2 (PROMETHEUS takes no pool at all). */
function checkListenerProtocol(listener: ListenerRef, poolProtocol: string): void {
  checkListenerTakesChildren(listener.protocol)
  checkPoolProtocolForListener(listener.protocol, poolProtocol)
}

export function registerPoolRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { db, config } = deps
  const settings = config.api_settings
  const pools = new PoolRepository(db, deps.clock)

  /** The pool of a path id, 404 when unknown. */
  async function find(id: string): Promise<Pool> {
    const pool = await pools.get(id)
    if (!pool || pool.provisioning_status === 'DELETED') throw new NotFound(LABEL, id)
    return pool
  }

  async function loadBalancerOf(pool: Pool): Promise<LoadBalancer> {
    const lb = pool.load_balancer_id === null ? undefined : await deps.loadBalancers.get(pool.load_balancer_id)
    if (!lb) throw new NotFound(LABEL, pool.id)
    return lb
  }

  async function rendered(id: string) {
    return renderPool(await find(id))
  }

  /** The pool of a path id (404), then the call's policy on its project (403): rbac.md §5's order. */
  async function authorized(req: FastifyRequest, id: string, action: PolicyAction): Promise<Pool> {
    const pool = await find(id)
    deps.access.enforce(req, action, pool.project_id)
    return pool
  }

  for (const path of lbaasPaths('/pools')) {
    app.post(path, async (req, reply) => {
      const body = parseBody(req.body, CREATE)
      if (body.healthmonitor !== undefined && body.healthmonitor !== null) {
        throw validation('healthmonitor may only be specified when creating a fully populated load balancer.')
      }
      if (Array.isArray(body.members) && body.members.length > 0) {
        throw validation('members may only be specified when creating a fully populated load balancer.')
      }

      let lb: LoadBalancer | undefined
      let listener: ListenerRef | undefined
      if (body.loadbalancer_id) {
        // A DELETED load balancer is found here and refused by the status test below (409).
        lb = await deps.loadBalancers.get(body.loadbalancer_id)
        if (!lb) throw new NotFound('Load Balancer', body.loadbalancer_id)
      }
      if (body.listener_id) {
        // spec/api-v2.md §18: an unknown listener is a 404, not upstream's 500.
        listener = await pools.listener(body.listener_id)
        if (!listener) throw new NotFound('Listener', body.listener_id)
        if (!lb && listener.load_balancer_id !== null) lb = await deps.loadBalancers.get(listener.load_balancer_id)
        if (!lb) throw new NotFound('Load Balancer', listener.load_balancer_id ?? body.listener_id)
      }
      if (!lb) throw validation('Must provide at least one of: loadbalancer_id, listener_id')
      deps.access.enforce(req, 'pool:post', lb.project_id)
      // A listener named next to the caller's own LB must be the caller's too: no probing other projects' listeners.
      if (listener && listener.project_id !== lb.project_id) deps.access.enforce(req, 'pool:post', listener.project_id)

      // spec/api-v2.md §18: checked whenever a listener is named, also next to a loadbalancer_id.
      if (listener) checkListenerProtocol(listener, body.protocol)
      checkSessionPersistence(body.protocol, body.session_persistence, 'create')
      const driver = deps.providers.load(lb.provider)

      const tls = poolTls(body, settings)
      const values = newPoolValues(body, tls, lb)
      const { id } = values
      const loadBalancerId = lb.id
      const projectId = lb.project_id

      const job = await db.transaction(async (trx) => {
        await deps.quotas.consume(trx, req, projectId, 'pool')
        if (listener) {
          const current = await pools.listener(listener.id, trx)
          if (current?.default_pool_id) throw new Conflict('This listener already has a default pool')
        }
        await lockLoadBalancerForChild(deps, trx, loadBalancerId)
        if (listener) await pools.setListenersProvisioningStatus([listener.id], 'PENDING_UPDATE', {}, trx)
        checkNewPoolTls(body, tls, settings)
        await pools.create(values, trx)
        // Upstream's wording for a listener of another load balancer (spec/api-v2.md §18).
        if (listener && !(await pools.setDefaultPoolOf(listener.id, loadBalancerId, id, trx))) throw new NotFound(LABEL, id)
        driver.checkPoolProtocol(body.protocol)
        driver.checkPoolAlgorithm(body.lb_algorithm)
        return enqueueChildJob(deps, trx, { kind: 'pool.create', target_type: 'pool', target_id: id, load_balancer_id: loadBalancerId })
      })
      deps.notifyWorker(job.id)
      return reply.code(201).send({ pool: await rendered(id) })
    })

    app.get(path, async (req) => {
      const spec = LIST_SPECS.pool
      return listObjects(req, deps, spec, (ids) => pools.getMany(ids), renderPool)
    })
  }

  for (const path of lbaasPaths('/pools/:id')) {
    app.get<{ Params: { id: string } }>(path, async (req) => ({
      pool: selectFields([renderPool(await authorized(req, req.params.id, 'pool:get_one'))], requestedFields(req))[0],
    }))

    app.put<{ Params: { id: string } }>(path, async (req) => {
      const { id } = req.params
      const body = parseBody(req.body, UPDATE)
      // Upstream writes a null algorithm into a NOT NULL column (500); refused like a missing mandatory field (§18).
      if (body.lb_algorithm === null) throw mandatoryFieldMissing('lb_algorithm')
      const algorithm = body.lb_algorithm
      const pool = await authorized(req, id, 'pool:put')
      const lb = await loadBalancerOf(pool)

      // spec/api-v2.md §10.4: null ciphers and versions mean the configured defaults.
      const tlsCiphers = body.tls_ciphers === null ? settings.default_pool_ciphers : body.tls_ciphers
      const tlsVersions = body.tls_versions === null ? settings.default_pool_tls_versions : body.tls_versions
      let persistence: RequestedPersistence | null | undefined = body.session_persistence
      if (persistence && !persistence.type && pool.session_persistence) persistence = { ...persistence, type: pool.session_persistence.type }

      checkSessionPersistence(pool.protocol, persistence, 'update')
      checkCaAndCrl(body, pool)
      // Certificate references are syntax-checked only until the TLS issue brings the secret store.
      checkCiphers(tlsCiphers, settings)
      if (tlsVersions !== undefined) checkTlsVersions(tlsVersions, settings)
      if (body.alpn_protocols !== undefined && body.alpn_protocols !== null) checkAlpnProtocols(body.alpn_protocols)
      const driver = deps.providers.load(lb.provider)

      const changes: PoolChanges = {
        ...(body.name !== undefined && { name: body.name }),
        ...(body.description !== undefined && { description: body.description }),
        ...(body.admin_state_up !== undefined && { enabled: body.admin_state_up === true }),
        ...(algorithm !== undefined && { lb_algorithm: algorithm }),
        ...(persistence !== undefined && { session_persistence: persistence === null ? null : storedPersistence(persistence) }),
        ...(body.tags !== undefined && body.tags !== null && { tags: body.tags }),
        ...(body.tls_container_ref !== undefined && { tls_certificate_id: body.tls_container_ref }),
        ...(body.ca_tls_container_ref !== undefined && { ca_tls_certificate_id: body.ca_tls_container_ref }),
        ...(body.crl_container_ref !== undefined && { crl_container_id: body.crl_container_ref }),
        ...(body.tls_enabled !== undefined && { tls_enabled: body.tls_enabled === true }),
        ...(tlsCiphers !== undefined && { tls_ciphers: tlsCiphers }),
        ...(tlsVersions !== undefined && { tls_versions: tlsVersions.join(',') }),
        ...(body.alpn_protocols !== undefined && { alpn_protocols: body.alpn_protocols === null ? null : body.alpn_protocols.join(',') }),
      }
      const job = await db.transaction(async (trx) => {
        await lockLoadBalancerForChild(deps, trx, lb.id)
        await pools.setListenersProvisioningStatus(await pools.listenersUsing(id, trx), 'PENDING_UPDATE', {}, trx)
        await pools.setProvisioningStatus(id, 'PENDING_UPDATE', {}, trx)
        if (algorithm !== undefined) driver.checkPoolAlgorithm(algorithm)
        await pools.update(id, changes, trx)
        return enqueueChildJob(deps, trx, { kind: 'pool.update', target_type: 'pool', target_id: id, load_balancer_id: lb.id })
      })
      deps.notifyWorker(job.id)
      return { pool: await rendered(id) }
    })

    app.delete<{ Params: { id: string } }>(path, async (req, reply) => {
      const { id } = req.params
      const pool = await authorized(req, id, 'pool:delete')
      const policy = await pools.l7PolicyRedirectingTo(id)
      if (policy !== undefined) throw new Conflict(`Pool ${id} is in use by L7 policy ${policy}`)
      const lb = await loadBalancerOf(pool)
      deps.providers.load(lb.provider)
      const job = await db.transaction(async (trx) => {
        await lockLoadBalancerForChild(deps, trx, lb.id)
        await pools.setListenersProvisioningStatus(await pools.listenersUsing(id, trx), 'PENDING_UPDATE', {}, trx)
        await pools.setProvisioningStatus(id, 'PENDING_DELETE', {}, trx)
        return enqueueChildJob(deps, trx, { kind: 'pool.delete', target_type: 'pool', target_id: id, load_balancer_id: lb.id })
      })
      deps.notifyWorker(job.id)
      return reply.code(204).send()
    })
  }
}
