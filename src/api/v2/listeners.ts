import type { FastifyInstance, FastifyRequest } from 'fastify'
import { InvalidInput, NotFound } from '../../common/errors.ts'
import type { OctaviaConfig } from '../../config/schema.ts'
import { ListenerRepository, type Listener, type ListenerChanges } from '../../db/repositories/listener-repository.ts'
import type { LoadBalancer } from '../../db/repositories/load-balancer-repository.ts'
import type { PolicyAction } from '../access/access.ts'
import { LIST_SPECS } from '../list/list-specs.ts'
import { selectFields } from '../list/select-fields.ts'
import { requestedFields } from '../request-url.ts'
import { parseBody } from '../validation/body-schema.ts'
import { normaliseCidr, type Parsed } from '../validation/field-types.ts'
import type { ApiDeps } from './api-deps.ts'
import { listObjects } from './list-objects.ts'
import { enqueueChildJob, lockLoadBalancerForChild } from './child-mutation.ts'
import {
  LISTENER_CREATE_FIELDS, LISTENER_MUTABLE_FIELDS, checkDefaultPool, checkListenerUpdate, checkNewListener, isListenerProtocol,
  newListenerValues,
} from './listener-rules.ts'
import { renderListener } from './listener-view.ts'
import { lbaasPaths } from './paths.ts'

const LABEL = 'Listener'

// Octavia's body argument for listeners is `listener_` (spec/api-v2.md §3.4).
const CREATE = { arg: 'listener_', envelope: 'listener', fields: LISTENER_CREATE_FIELDS } as const
const UPDATE = { arg: 'listener_', envelope: 'listener', fields: LISTENER_MUTABLE_FIELDS } as const

type UpdateBody = Parsed<typeof UPDATE.fields>

const validation = (text: string) => new InvalidInput(`Validation failure: ${text}`)

export function registerListenerRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { db } = deps
  const listeners = new ListenerRepository(db, deps.clock)

  /** The listener of a path id, 404 when unknown (spec/api-v2.md §9.4). */
  async function find(id: string): Promise<Listener> {
    const listener = await listeners.get(id)
    if (!listener || listener.provisioning_status === 'DELETED') throw new NotFound(LABEL, id)
    return listener
  }

  /** The listener of a path id (404), then the call's policy on its project (403): rbac.md §5's order. */
  async function authorized(req: FastifyRequest, id: string, action: PolicyAction): Promise<Listener> {
    const listener = await find(id)
    deps.access.enforce(req, action, listener.project_id)
    return listener
  }

  /** A DELETED load balancer is found: the status test refuses it with 409 (spec/api-v2.md §9.3 step 2). */
  async function findLoadBalancer(id: string | null): Promise<LoadBalancer> {
    const [lb] = id === null ? [] : await deps.loadBalancers.getMany([id])
    if (!lb) throw new NotFound('Load Balancer', String(id))
    return lb
  }

  for (const path of lbaasPaths('/listeners')) {
    app.post(path, async (req, reply) => {
      const body = parseBody(req.body, CREATE)
      for (const field of ['default_pool', 'l7policies'] as const) {
        const value = body[field]
        if (value !== undefined && value !== null && (!Array.isArray(value) || value.length > 0)) {
          throw validation(`${field} may only be specified when creating a fully populated load balancer.`)
        }
      }
      const lb = await findLoadBalancer(body.loadbalancer_id)
      deps.access.enforce(req, 'listener:post', lb.project_id)
      const driver = deps.providers.load(lb.provider)
      const values = newListenerValues(body, lb, deps.config)
      const { id } = values
      const { protocol } = body
      const job = await db.transaction(async (trx) => {
        await deps.quotas.consume(trx, req, lb.project_id, 'listener')
        if (values.default_pool_id) await checkDefaultPool(listeners, trx, lb.id, values.default_pool_id, protocol)
        // spec/api-v2.md §9.3: a busy load balancer is reported before the remaining 400s.
        await lockLoadBalancerForChild(deps, trx, lb.id)
        await checkNewListener(listeners, trx, lb, values, protocol, deps.config.api_settings)
        await listeners.create(values, trx)
        driver.checkListenerProtocol(protocol)
        return enqueueChildJob(deps, trx, { kind: 'listener.create', target_type: 'listener', target_id: id, load_balancer_id: lb.id })
      })
      deps.notifyWorker(job.id)
      return reply.code(201).send({ listener: renderListener(await find(id)) })
    })

    app.get(path, async (req) => {
      const spec = LIST_SPECS.listener
      return listObjects(req, deps, spec, (ids) => listeners.getMany(ids), renderListener)
    })
  }

  for (const path of lbaasPaths('/listeners/:id')) {
    app.get<{ Params: { id: string } }>(path, async (req) => ({
      listener: selectFields([renderListener(await authorized(req, req.params.id, 'listener:get_one'))], requestedFields(req))[0],
    }))

    app.put<{ Params: { id: string } }>(path, async (req) => {
      const { id } = req.params
      const body = parseBody(req.body, UPDATE)
      const current = await authorized(req, id, 'listener:put')
      const lb = await findLoadBalancer(current.load_balancer_id)
      const protocol = current.protocol
      if (!isListenerProtocol(protocol)) throw new Error(`listener ${id} has unknown protocol ${protocol}`)
      // spec/api-v2.md §9.4: on update the 400s come before the status test.
      checkListenerUpdate(body, current, lb, deps.config.api_settings)
      const changes = updateChanges(body, deps.config)
      const job = await db.transaction(async (trx) => {
        if (body.default_pool_id) await checkDefaultPool(listeners, trx, lb.id, body.default_pool_id, protocol)
        deps.providers.load(lb.provider)
        await lockLoadBalancerForChild(deps, trx, lb.id)
        await listeners.update(id, changes, trx)
        await listeners.setProvisioningStatus(id, 'PENDING_UPDATE', {}, trx)
        return enqueueChildJob(deps, trx, { kind: 'listener.update', target_type: 'listener', target_id: id, load_balancer_id: lb.id })
      })
      deps.notifyWorker(job.id)
      return { listener: renderListener(await find(id)) }
    })

    app.delete<{ Params: { id: string } }>(path, async (req, reply) => {
      const { id } = req.params
      const current = await authorized(req, id, 'listener:delete')
      const lb = await findLoadBalancer(current.load_balancer_id)
      deps.providers.load(lb.provider)
      const job = await db.transaction(async (trx) => {
        await lockLoadBalancerForChild(deps, trx, lb.id)
        await listeners.setProvisioningStatus(id, 'PENDING_DELETE', {}, trx)
        return enqueueChildJob(deps, trx, { kind: 'listener.delete', target_type: 'listener', target_id: id, load_balancer_id: lb.id })
      })
      deps.notifyWorker(job.id)
      return reply.code(204).send()
    })
  }

  for (const path of lbaasPaths('/listeners/:id/stats')) {
    app.get<{ Params: { id: string } }>(path, async (req) => {
      await authorized(req, req.params.id, 'listener:get_stats')
      return { stats: await listeners.statistics(req.params.id) }
    })
  }
}

/** The columns an update writes: only fields in the request; null takes the §9.1 "Update (null effect)". */
function updateChanges(body: UpdateBody, config: OctaviaConfig): ListenerChanges {
  const settings = config.api_settings
  const timeouts = config.haproxy_amphora
  const changes: ListenerChanges = {}
  const set = <K extends keyof ListenerChanges>(key: K, value: ListenerChanges[K] | undefined) => {
    if (value !== undefined) changes[key] = value
  }
  set('name', body.name)
  set('description', body.description)
  if (body.admin_state_up !== undefined) changes.enabled = body.admin_state_up === true
  if (body.connection_limit !== undefined) changes.connection_limit = body.connection_limit ?? -1
  set('default_pool_id', body.default_pool_id)
  set('tls_certificate_id', body.default_tls_container_ref)
  if (body.sni_container_refs !== undefined) changes.sni_container_refs = body.sni_container_refs ?? []
  set('client_ca_tls_certificate_id', body.client_ca_tls_container_ref)
  if (body.client_authentication !== undefined) changes.client_authentication = body.client_authentication ?? 'NONE'
  set('client_crl_container_id', body.client_crl_container_ref)
  if (body.insert_headers !== undefined) changes.insert_headers = body.insert_headers ?? {}
  for (const key of ['timeout_client_data', 'timeout_member_connect', 'timeout_member_data', 'timeout_tcp_inspect'] as const) {
    if (body[key] !== undefined) changes[key] = body[key] ?? timeouts[key]
  }
  if (body.allowed_cidrs !== undefined) changes.allowed_cidrs = (body.allowed_cidrs ?? []).map(normaliseCidr)
  // Whatever the protocol, a cleared TLS option takes the configured default (spec/api-v2.md §9.1).
  if (body.tls_ciphers !== undefined) changes.tls_ciphers = body.tls_ciphers ?? settings.default_listener_ciphers
  if (body.tls_versions !== undefined) changes.tls_versions = body.tls_versions ?? settings.default_listener_tls_versions
  if (body.alpn_protocols !== undefined) changes.alpn_protocols = body.alpn_protocols ?? settings.default_listener_alpn_protocols
  set('hsts_max_age', body.hsts_max_age)
  if (body.hsts_include_subdomains !== undefined) changes.hsts_include_subdomains = body.hsts_include_subdomains === true
  if (body.hsts_preload !== undefined) changes.hsts_preload = body.hsts_preload === true
  // spec/api-v2.md §3.4: tags null leaves the tags as they are.
  if (body.tags !== undefined && body.tags !== null) changes.tags = body.tags
  return changes
}
