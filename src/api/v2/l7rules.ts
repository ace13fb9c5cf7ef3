import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { NotFound } from '../../common/errors.ts'
import { newId } from '../../common/ids.ts'
import { L7PolicyRepository, type L7Policy } from '../../db/repositories/l7policy-repository.ts'
import { L7RuleRepository, type L7Rule, type L7RuleChanges } from '../../db/repositories/l7rule-repository.ts'
import type { LoadBalancer } from '../../db/repositories/load-balancer-repository.ts'
import { LIST_SPECS } from '../list/list-specs.ts'
import { selectFields } from '../list/select-fields.ts'
import { requestedFields } from '../request-url.ts'
import { parseBody } from '../validation/body-schema.ts'
import type { ApiDeps } from './api-deps.ts'
import { enqueueChildJob, lockL7PolicyForChild } from './child-mutation.ts'
import {
  L7RULE_CREATE_FIELDS, L7RULE_UPDATE_FIELDS, checkL7Rule, checkRuleCount, keyAfterUpdate, newL7RuleValues,
} from './l7rule-rules.ts'
import { renderL7Rule } from './l7rule-view.ts'
import { listObjects } from './list-objects.ts'
import { lbaasPaths } from './paths.ts'

const LABEL = 'L7 Rule'

// spec/api-v2.md §3.4: the body argument is `rule_` on POST but `l7rule_` on PUT.
const CREATE = { arg: 'rule_', envelope: 'rule', fields: L7RULE_CREATE_FIELDS } as const
const UPDATE = { arg: 'l7rule_', envelope: 'rule', fields: L7RULE_UPDATE_FIELDS } as const

type PolicyParams = { Params: { l7policy_id: string } }
type RuleParams = { Params: { l7policy_id: string; id: string } }

export function registerL7RuleRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { db } = deps
  const policies = new L7PolicyRepository(db, deps.clock)
  const rules = new L7RuleRepository(db, deps.clock)

  /** spec/api-v2.md §4.2: a missing policy answers every rule call with this body, before anything else. */
  async function requirePolicy(req: FastifyRequest<PolicyParams>, reply: FastifyReply) {
    const policy = await policies.get(req.params.l7policy_id)
    if (!policy || policy.provisioning_status === 'DELETED') {
      // spec/api-v2.md §4.2: upstream titles this 404 "Bad Request".
      return reply.code(404).send({ code: 404, title: 'Bad Request', description: `L7Policy ${req.params.l7policy_id} not found.` })
    }
  }

  /** The policy of the path and its load balancer. */
  async function parentsOf(policyId: string): Promise<{ policy: L7Policy; lb: LoadBalancer }> {
    const policy = await policies.get(policyId)
    const lb = policy?.load_balancer_id ? await deps.loadBalancers.get(policy.load_balancer_id) : undefined
    if (!policy || !lb) throw new NotFound('L7 Policy', policyId)
    return { policy, lb }
  }

  async function find(id: string): Promise<L7Rule> {
    const rule = await rules.get(id)
    if (!rule || rule.provisioning_status === 'DELETED') throw new NotFound(LABEL, id)
    return rule
  }

  /**
   * A rule that a change names: it must belong to the policy of the path. (Upstream changes any
   * rule while locking the path's policy, which leaves that policy's LB PENDING_UPDATE for good.)
   */
  async function findInPolicy(policyId: string, id: string): Promise<L7Rule> {
    const rule = await find(id)
    if (rule.l7policy_id !== policyId) throw new NotFound(LABEL, id)
    return rule
  }

  for (const path of lbaasPaths('/l7policies/:l7policy_id/rules')) {
    app.post<PolicyParams>(path, { preHandler: requirePolicy }, async (req, reply) => {
      const policyId = req.params.l7policy_id
      const body = parseBody(req.body, CREATE)
      const { policy, lb } = await parentsOf(policyId)
      deps.access.enforce(req, 'l7rule:post', lb.project_id)
      checkL7Rule({ type: body.type, compare_type: body.compare_type, key: body.key ?? null, value: body.value })
      checkRuleCount(policyId, await policies.ruleCount(policyId))
      deps.providers.load(lb.provider)
      const id = newId()
      const job = await db.transaction(async (trx) => {
        await deps.quotas.consume(trx, req, lb.project_id, 'l7rule', 1)
        await lockL7PolicyForChild(deps, trx, policyId)
        await rules.create({ ...newL7RuleValues(body, policyId, lb.project_id), id }, trx)
        return enqueueChildJob(deps, trx, {
          kind: 'l7rule.create', target_type: 'l7rule', target_id: id, load_balancer_id: lb.id,
          payload: { l7policy_id: policyId, listener_id: policy.listener_id },
        })
      })
      // Rendered before the worker is told, so the answer shows the statuses this call wrote.
      const rule = renderL7Rule(await find(id))
      deps.notifyWorker(job.id)
      return reply.code(201).send({ rule })
    })

    app.get<PolicyParams>(path, { preHandler: requirePolicy }, async (req) => {
      const policyId = req.params.l7policy_id
      const { policy } = await parentsOf(policyId)
      deps.access.enforce(req, 'l7rule:get_all', policy.project_id)
      return listObjects(req, deps, LIST_SPECS.l7rule, (ids) => rules.getMany(ids), renderL7Rule,
        (eb) => eb('l7rule.l7policy_id', '=', policyId))
    })
  }

  for (const path of lbaasPaths('/l7policies/:l7policy_id/rules/:id')) {
    // spec/api-v2.md §13.7: any existing rule is shown, whichever policy the path names.
    app.get<RuleParams>(path, { preHandler: requirePolicy }, async (req) => {
      const rule = await find(req.params.id)
      deps.access.enforce(req, 'l7rule:get_one', rule.project_id)
      return { rule: selectFields([renderL7Rule(rule)], requestedFields(req))[0] }
    })

    app.put<RuleParams>(path, { preHandler: requirePolicy }, async (req) => {
      const { l7policy_id: policyId, id } = req.params
      const body = parseBody(req.body, UPDATE)
      const current = await findInPolicy(policyId, id)
      const { policy, lb } = await parentsOf(policyId)
      deps.access.enforce(req, 'l7rule:put', current.project_id)
      // spec/api-v2.md §13.7: the stored rule with the request's fields (null ones too) must be valid.
      const type = body.type !== undefined ? body.type : current.type
      const merged = {
        type,
        compare_type: body.compare_type !== undefined ? body.compare_type : current.compare_type,
        key: body.key !== undefined ? body.key : current.key,
        value: body.value !== undefined ? body.value : current.value,
      }
      checkL7Rule(merged)
      // spec/api-v2.md §13.7: a type that uses no key loses it on every update.
      const key = keyAfterUpdate(type, merged.key)
      const changes: L7RuleChanges = {
        ...(body.type != null && { type: body.type }),
        ...(body.compare_type != null && { compare_type: body.compare_type }),
        ...(body.value != null && { value: body.value }),
        ...(key !== current.key && { key }),
        // spec/api-v2.md §13.5 and §3.4: null invert and null admin_state_up are false.
        ...(body.invert !== undefined && { invert: body.invert === true }),
        ...(body.admin_state_up !== undefined && { enabled: body.admin_state_up === true }),
        ...(body.tags != null && { tags: body.tags }),
      }
      deps.providers.load(lb.provider)
      const job = await db.transaction(async (trx) => {
        await lockL7PolicyForChild(deps, trx, policyId)
        await rules.update(id, changes, trx)
        await rules.setProvisioningStatus(id, 'PENDING_UPDATE', {}, trx)
        return enqueueChildJob(deps, trx, {
          kind: 'l7rule.update', target_type: 'l7rule', target_id: id, load_balancer_id: lb.id,
          payload: { l7policy_id: policyId, listener_id: policy.listener_id },
        })
      })
      const rule = renderL7Rule(await find(id))
      deps.notifyWorker(job.id)
      return { rule }
    })

    app.delete<RuleParams>(path, { preHandler: requirePolicy }, async (req, reply) => {
      const { l7policy_id: policyId, id } = req.params
      const current = await findInPolicy(policyId, id)
      const { policy, lb } = await parentsOf(policyId)
      deps.access.enforce(req, 'l7rule:delete', current.project_id)
      deps.providers.load(lb.provider)
      const job = await db.transaction(async (trx) => {
        await lockL7PolicyForChild(deps, trx, policyId)
        await rules.setProvisioningStatus(id, 'PENDING_DELETE', {}, trx)
        return enqueueChildJob(deps, trx, {
          kind: 'l7rule.delete', target_type: 'l7rule', target_id: id, load_balancer_id: lb.id,
          payload: { l7policy_id: policyId, listener_id: policy.listener_id },
        })
      })
      deps.notifyWorker(job.id)
      return reply.code(204).send()
    })
  }
}
