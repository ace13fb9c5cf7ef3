import type { FastifyInstance } from 'fastify'
import { InvalidInput, NotFound } from '../../common/errors.ts'
import { newId } from '../../common/ids.ts'
import { L7PolicyRepository, type L7Policy } from '../../db/repositories/l7policy-repository.ts'
import { ListenerRepository, type Listener } from '../../db/repositories/listener-repository.ts'
import type { LoadBalancer } from '../../db/repositories/load-balancer-repository.ts'
import { PoolRepository } from '../../db/repositories/pool-repository.ts'
import { LIST_SPECS } from '../list/list-specs.ts'
import { selectFields } from '../list/select-fields.ts'
import { requestedFields } from '../request-url.ts'
import { parseBody } from '../validation/body-schema.ts'
import type { ApiDeps } from './api-deps.ts'
import { enqueueChildJob, lockListenerForChild } from './child-mutation.ts'
import {
  L7POLICY_CREATE_FIELDS, L7POLICY_MUTABLE_FIELDS, checkRedirectPool, checkRedirectPoolOwner, createRedirect, l7PolicyChanges,
  newL7PolicyValues, normaliseRedirect, redirectOf, type Redirect,
} from './l7policy-rules.ts'
import { renderL7Policy } from './l7policy-view.ts'
import { checkListenerTakesChildren } from './listener-pool-rules.ts'
import { listObjects } from './list-objects.ts'
import { lbaasPaths } from './paths.ts'

const LABEL = 'L7 Policy'

// Octavia's body argument for L7 policies is `l7policy_` (spec/api-v2.md §3.4).
const CREATE = { arg: 'l7policy_', envelope: 'l7policy', fields: L7POLICY_CREATE_FIELDS } as const
const UPDATE = { arg: 'l7policy_', envelope: 'l7policy', fields: L7POLICY_MUTABLE_FIELDS } as const

const validation = (detail: string) => new InvalidInput(`Validation failure: ${detail}`)

export function registerL7PolicyRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { db } = deps
  const policies = new L7PolicyRepository(db, deps.clock)
  const listeners = new ListenerRepository(db, deps.clock)
  const pools = new PoolRepository(db, deps.clock)

  /** The policy of a path id, 404 when unknown. */
  async function find(id: string): Promise<L7Policy> {
    const policy = await policies.get(id)
    if (!policy || policy.provisioning_status === 'DELETED') throw new NotFound(LABEL, id)
    return policy
  }

  /** A policy's listener and load balancer; an unknown listener is a 404 (spec/api-v2.md §13.4). */
  async function parentsOf(listenerId: string): Promise<{ listener: Listener; lb: LoadBalancer }> {
    const listener = await listeners.get(listenerId)
    const lb = listener?.load_balancer_id ? await deps.loadBalancers.get(listener.load_balancer_id) : undefined
    if (!listener || !lb) throw new NotFound('Listener', listenerId)
    return { listener, lb }
  }

  /** Under the LB's lock: a resulting REDIRECT_TO_POOL names a pool of this LB and project. */
  async function checkOwnPool(trx: Parameters<typeof checkRedirectPoolOwner>[1], redirect: Redirect, lb: LoadBalancer): Promise<void> {
    if (redirect.action === 'REDIRECT_TO_POOL' && redirect.redirect_pool_id) {
      await checkRedirectPoolOwner(pools, trx, redirect.redirect_pool_id, { load_balancer_id: lb.id, project_id: lb.project_id })
    }
  }

  for (const path of lbaasPaths('/l7policies')) {
    app.post(path, async (req, reply) => {
      const body = parseBody(req.body, CREATE)
      if (body.rules != null && body.rules.length > 0) {
        throw validation('rules may only be specified when creating a fully populated load balancer.')
      }
      const { listener, lb } = await parentsOf(body.listener_id)
      deps.access.enforce(req, 'l7policy:post', lb.project_id)
      checkListenerTakesChildren(listener.protocol)
      if (body.redirect_pool_id) await checkRedirectPool(pools, db.kysely, body.redirect_pool_id, listener)
      const driver = deps.providers.load(lb.provider)
      const id = newId()
      const job = await db.transaction(async (trx) => {
        await deps.quotas.consume(trx, req, lb.project_id, 'l7policy', 1)
        const redirect = normaliseRedirect(createRedirect(body))
        await lockListenerForChild(deps, trx, listener)
        await checkOwnPool(trx, redirect, lb)
        await policies.create({ ...newL7PolicyValues(body, redirect, { id: listener.id, project_id: lb.project_id }), id }, trx)
        driver.checkL7PolicyListener(listener.protocol)
        return enqueueChildJob(deps, trx, {
          kind: 'l7policy.create', target_type: 'l7policy', target_id: id, load_balancer_id: lb.id, payload: { listener_id: listener.id },
        })
      })
      // Rendered before the worker is told, so the answer shows the statuses this call wrote.
      const l7policy = renderL7Policy(await find(id))
      deps.notifyWorker(job.id)
      return reply.code(201).send({ l7policy })
    })

    app.get(path, async (req) => {
      // The spec's scope makes listObjects apply rbac.md §4's project scoping.
      return listObjects(req, deps, LIST_SPECS.l7policy, (ids) => policies.getMany(ids), renderL7Policy)
    })
  }

  for (const path of lbaasPaths('/l7policies/:id')) {
    app.get<{ Params: { id: string } }>(path, async (req) => {
      const policy = await find(req.params.id)
      deps.access.enforce(req, 'l7policy:get_one', policy.project_id)
      return { l7policy: selectFields([renderL7Policy(policy)], requestedFields(req))[0] }
    })

    app.put<{ Params: { id: string } }>(path, async (req) => {
      const { id } = req.params
      const body = parseBody(req.body, UPDATE)
      const current = await find(id)
      const { listener, lb } = await parentsOf(current.listener_id)
      deps.access.enforce(req, 'l7policy:put', current.project_id)
      // spec/api-v2.md §13.2 step 6: an update must change something.
      if (Object.keys(body).length === 0) throw new InvalidInput('Invalid L7 Policy arguments: Invalid update options')
      const redirect = normaliseRedirect(redirectOf(body))
      if (redirect.redirect_pool_id) await checkRedirectPool(pools, db.kysely, redirect.redirect_pool_id, listener)
      deps.providers.load(lb.provider)
      const job = await db.transaction(async (trx) => {
        await lockListenerForChild(deps, trx, listener)
        await checkOwnPool(trx, redirect, lb)
        await policies.update(id, l7PolicyChanges(body, redirect), trx)
        await policies.setProvisioningStatus(id, 'PENDING_UPDATE', {}, trx)
        return enqueueChildJob(deps, trx, {
          kind: 'l7policy.update', target_type: 'l7policy', target_id: id, load_balancer_id: lb.id, payload: { listener_id: listener.id },
        })
      })
      const l7policy = renderL7Policy(await find(id))
      deps.notifyWorker(job.id)
      return { l7policy }
    })

    app.delete<{ Params: { id: string } }>(path, async (req, reply) => {
      const { id } = req.params
      const current = await find(id)
      const { listener, lb } = await parentsOf(current.listener_id)
      deps.access.enforce(req, 'l7policy:delete', current.project_id)
      deps.providers.load(lb.provider)
      const job = await db.transaction(async (trx) => {
        await lockListenerForChild(deps, trx, listener)
        await policies.setProvisioningStatus(id, 'PENDING_DELETE', {}, trx)
        return enqueueChildJob(deps, trx, {
          kind: 'l7policy.delete', target_type: 'l7policy', target_id: id, load_balancer_id: lb.id, payload: { listener_id: listener.id },
        })
      })
      deps.notifyWorker(job.id)
      return reply.code(204).send()
    })
  }
}
