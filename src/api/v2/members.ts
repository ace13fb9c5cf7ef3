import { enabledOnCreate } from './admin-state.ts'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { InvalidInput, NotFound } from '../../common/errors.ts'
import { newId } from '../../common/ids.ts'
import type { LoadBalancer } from '../../db/repositories/load-balancer-repository.ts'
import { MemberRepository, type Member, type MemberChanges } from '../../db/repositories/member-repository.ts'
import { PoolRepository } from '../../db/repositories/pool-repository.ts'
import type { ProviderDriver } from '../../drivers/provider/provider-driver.ts'
import type { PolicyAction } from '../access/access.ts'
import { LIST_SPECS } from '../list/list-specs.ts'
import { selectFields } from '../list/select-fields.ts'
import { requestedFields } from '../request-url.ts'
import { parseBody, parseListBody } from '../validation/body-schema.ts'
import type { Parsed } from '../validation/field-types.ts'
import type { ApiDeps } from './api-deps.ts'
import { listObjects } from './list-objects.ts'
import { enqueueChildJob, lockPoolForChild } from './child-mutation.ts'
import {
  MEMBER_FIELDS, checkAddressFamilies, checkNotReserved, checkSriov, duplicateMember, insertMember,
  newMemberFields,
} from './member-rules.ts'
import { renderMember } from './member-view.ts'
import { lbaasPaths } from './paths.ts'

const LABEL = 'Member'

const CREATE = { arg: 'member_', envelope: 'member', fields: MEMBER_FIELDS } as const
const BATCH = { arg: 'members_', envelope: 'members', fields: MEMBER_FIELDS } as const

const UPDATE = {
  arg: 'member_',
  envelope: 'member',
  fields: {
    name: MEMBER_FIELDS.name,
    admin_state_up: MEMBER_FIELDS.admin_state_up,
    weight: MEMBER_FIELDS.weight,
    backup: MEMBER_FIELDS.backup,
    monitor_port: MEMBER_FIELDS.monitor_port,
    monitor_address: MEMBER_FIELDS.monitor_address,
    tags: MEMBER_FIELDS.tags,
  },
} as const

type MemberItem = Parsed<typeof MEMBER_FIELDS>
type PoolParams = { Params: { pool_id: string } }
type MemberParams = { Params: { pool_id: string; id: string } }

const validation = (text: string) => new InvalidInput(`Validation failure: ${text}`)

/** A batch with nothing to create, update or delete: rolled back, answered 202 (spec/api-v2.md §11.4 step 4). */
class NothingToChange extends Error {}

export function registerMemberRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { db } = deps
  const members = new MemberRepository(db, deps.clock)
  const pools = new PoolRepository(db, deps.clock)

  /** spec/api-v2.md §4.2: a missing pool answers every member call with this body, before anything else. */
  async function requirePool(req: FastifyRequest<PoolParams>, reply: FastifyReply) {
    if (!await pools.get(req.params.pool_id)) {
      // spec/api-v2.md §4.2: upstream titles this 404 "Bad Request".
      return reply.code(404).send({ code: 404, title: 'Bad Request', description: `Pool ${req.params.pool_id} not found.` })
    }
  }

  /** The member of a path, 404 unless it belongs to the pool of the path (spec/api-v2.md §11.3). */
  async function find(poolId: string, id: string): Promise<Member> {
    const member = await members.get(id)
    if (!member || member.pool_id !== poolId) throw new NotFound(LABEL, id)
    return member
  }

  /**
   * spec/api-v2.md §11.3: the member (404), the call's policy on the member's project (403),
   * then the member must be in the pool of the path (404).
   */
  async function authorized(req: FastifyRequest, poolId: string, id: string, action: PolicyAction): Promise<Member> {
    const member = await members.get(id)
    if (!member) throw new NotFound(LABEL, id)
    deps.access.enforce(req, action, member.project_id)
    if (member.pool_id !== poolId) throw new NotFound(LABEL, id)
    return member
  }

  /** The load balancer of the pool. */
  async function parentOf(poolId: string): Promise<LoadBalancer> {
    const pool = await pools.get(poolId)
    const lb = pool?.load_balancer_id ? await deps.loadBalancers.get(pool.load_balancer_id) : undefined
    if (!pool || !lb) throw new NotFound('Pool', poolId)
    return lb
  }

  /** The load balancer of the pool and its driver, for a call that changes members. */
  async function loadParent(poolId: string): Promise<{ lb: LoadBalancer; driver: ProviderDriver }> {
    const lb = await parentOf(poolId)
    return { lb, driver: deps.providers.load(lb.provider) }
  }

  const reservedIps = deps.config.networking.reserved_ips

  function checkSubnet(subnetId: string | null | undefined): void {
    if (subnetId && !deps.inventory.subnet(subnetId)) throw new InvalidInput(`Subnet ${subnetId} not found.`)
  }

  for (const path of lbaasPaths('/pools/:pool_id/members')) {
    app.post<PoolParams>(path, { preHandler: requirePool }, async (req, reply) => {
      const poolId = req.params.pool_id
      const body = parseBody(req.body, CREATE)
      deps.access.enforce(req, 'member:post', (await parentOf(poolId)).project_id)
      checkNotReserved(body.address, reservedIps)
      checkSubnet(body.subnet_id)
      const { lb, driver } = await loadParent(poolId)
      const id = newId()
      const job = await db.transaction(async (trx) => {
        await deps.quotas.consume(trx, req, lb.project_id, 'member')
        await checkSriov(deps.catalog, lb, body.request_sriov === true, trx)
        const pool = await lockPoolForChild(deps, trx, poolId)
        await insertMember(members, trx, { ...newMemberFields(body, pool, lb), id })
        checkAddressFamilies(driver, lb, pool, [body.address])
        return enqueueChildJob(deps, trx, { kind: 'member.create', target_type: 'member', target_id: id, load_balancer_id: lb.id, payload: { pool_id: poolId } })
      })
      // Rendered before the worker is told, so the answer shows the statuses this call wrote.
      const member = renderMember(await find(poolId, id))
      deps.notifyWorker(job.id)
      return reply.code(201).send({ member })
    })

    app.get<PoolParams>(path, { preHandler: requirePool }, async (req) => {
      const poolId = req.params.pool_id
      deps.access.enforce(req, 'member:get_all', (await parentOf(poolId)).project_id)
      const spec = LIST_SPECS.member
      return listObjects(req, deps, spec, (ids) => members.getMany(ids), renderMember, (eb) => eb('member.pool_id', '=', poolId))
    })

    app.put<PoolParams & { Querystring: Record<string, string> }>(path, { preHandler: requirePool }, async (req, reply) => {
      const poolId = req.params.pool_id
      const items = parseListBody(req.body, BATCH)
      const additiveOnly = queryFlag(req.query.additive_only)
      // spec/api-v2.md §11.4: a batch creates, updates and (unless additive) deletes.
      const owner = (await parentOf(poolId)).project_id
      deps.access.enforce(req, 'member:post', owner)
      deps.access.enforce(req, 'member:put', owner)
      if (!additiveOnly) deps.access.enforce(req, 'member:delete', owner)
      const { lb, driver } = await loadParent(poolId)
      let jobId: string
      try {
        jobId = await db.transaction(async (trx) => {
          const pool = await lockPoolForChild(deps, trx, poolId)
          const plan = planBatch(await members.listByPool(poolId, trx), items, additiveOnly, (address) => checkNotReserved(address, reservedIps))
          if (plan.created.length + plan.updated.length + plan.deleted.length === 0) throw new NothingToChange()
          // spec/api-v2.md §11.4 step 5: only the net growth counts (nothing is deleted when additive).
          await deps.quotas.consume(trx, req, lb.project_id, 'member', plan.created.length - plan.deleted.length)
          // Upstream checks only new members' subnets; an updated one naming an unknown subnet is as wrong.
          for (const subnetId of new Set([...plan.created, ...plan.updated.map((u) => u.item)].map((i) => i.subnet_id))) checkSubnet(subnetId)
          for (const item of plan.created) await checkSriov(deps.catalog, lb, item.request_sriov === true, trx)
          for (const member of plan.deleted) await members.setProvisioningStatus(member.id, 'PENDING_DELETE', {}, trx)
          for (const { member, item } of plan.updated) {
            await members.update(member.id, batchChanges(item), trx)
            await members.setProvisioningStatus(member.id, 'PENDING_UPDATE', {}, trx)
          }
          for (const item of plan.created) await insertMember(members, trx, newMemberFields(item, pool, lb))
          checkAddressFamilies(driver, lb, pool, items.map((i) => i.address))
          const job = await enqueueChildJob(deps, trx, { kind: 'member.batch_update', target_type: 'pool', target_id: poolId, load_balancer_id: lb.id, payload: { pool_id: poolId } })
          return job.id
        })
      } catch (err) {
        // An empty change set is not an error: the rollback undid the locking statuses, as upstream never sets them.
        if (!(err instanceof NothingToChange)) throw err
        return reply.code(202).send()
      }
      deps.notifyWorker(jobId)
      return reply.code(202).send()
    })
  }

  for (const path of lbaasPaths('/pools/:pool_id/members/:id')) {
    app.get<MemberParams>(path, { preHandler: requirePool }, async (req) => ({
      member: selectFields([renderMember(await authorized(req, req.params.pool_id, req.params.id, 'member:get_one'))], requestedFields(req))[0],
    }))

    app.put<MemberParams>(path, { preHandler: requirePool }, async (req) => {
      const { pool_id: poolId, id } = req.params
      const body = parseBody(req.body, UPDATE)
      await authorized(req, poolId, id, 'member:put')
      const { lb } = await loadParent(poolId)
      const job = await db.transaction(async (trx) => {
        await lockPoolForChild(deps, trx, poolId)
        await members.update(id, {
          ...(body.name !== undefined && { name: body.name }),
          // spec/api-v2.md §3.4 and §11.3: null admin_state_up is false, null weight 1, null backup false.
          ...(body.admin_state_up !== undefined && { enabled: body.admin_state_up === true }),
          ...(body.weight !== undefined && { weight: body.weight ?? 1 }),
          ...(body.backup !== undefined && { backup: body.backup ?? false }),
          ...(body.monitor_address !== undefined && { monitor_address: body.monitor_address }),
          ...(body.monitor_port !== undefined && { monitor_port: body.monitor_port }),
          ...(body.tags !== undefined && body.tags !== null && { tags: body.tags }),
        }, trx)
        await members.setProvisioningStatus(id, 'PENDING_UPDATE', {}, trx)
        return enqueueChildJob(deps, trx, { kind: 'member.update', target_type: 'member', target_id: id, load_balancer_id: lb.id, payload: { pool_id: poolId } })
      })
      const member = renderMember(await find(poolId, id))
      deps.notifyWorker(job.id)
      return { member }
    })

    app.delete<MemberParams>(path, { preHandler: requirePool }, async (req, reply) => {
      const { pool_id: poolId, id } = req.params
      await authorized(req, poolId, id, 'member:delete')
      const { lb } = await loadParent(poolId)
      const job = await db.transaction(async (trx) => {
        await lockPoolForChild(deps, trx, poolId)
        await members.setProvisioningStatus(id, 'PENDING_DELETE', {}, trx)
        return enqueueChildJob(deps, trx, { kind: 'member.delete', target_type: 'member', target_id: id, load_balancer_id: lb.id, payload: { pool_id: poolId } })
      })
      deps.notifyWorker(job.id)
      return reply.code(204).send()
    })
  }
}

/**
 * spec/api-v2.md §11.4 step 7: a matched member takes every field of the create schema, so an
 * omitted one goes back to its create default; name, tags and subnet_id change only when sent.
 */
function batchChanges(item: MemberItem): MemberChanges {
  return {
    enabled: enabledOnCreate(item.admin_state_up),
    weight: item.weight === undefined ? 1 : item.weight,
    backup: item.backup ?? false,
    monitor_address: item.monitor_address ?? null,
    monitor_port: item.monitor_port ?? null,
    ...(item.name !== undefined && { name: item.name }),
    ...(item.subnet_id !== undefined && { subnet_id: item.subnet_id }),
    ...(item.tags !== undefined && item.tags !== null && { tags: item.tags }),
  }
}

interface BatchPlan {
  created: MemberItem[]
  updated: Array<{ member: Member; item: MemberItem }>
  deleted: Member[]
}

/**
 * spec/api-v2.md §11.4 step 3: items match current members by (address, protocol_port) as
 * strings; unmatched items are new (reserved addresses refused), a member matched twice is a
 * 400, two new items with the same address and port a 409 (the second would be a duplicate
 * member); current members not named are deleted unless the batch is additive.
 */
function planBatch(current: readonly Member[], items: readonly MemberItem[], additiveOnly: boolean,
  checkNotReserved: (address: string) => void): BatchPlan {
  const key = (address: string, protocolPort: number) => `${address} ${protocolPort}`
  const byKey = new Map(current.map((m) => [key(m.ip_address, m.protocol_port), m]))
  const plan: BatchPlan = { created: [], updated: [], deleted: [] }
  const newKeys = new Set<string>()
  const duplicates: MemberItem[] = []
  for (const item of items) {
    const k = key(item.address, item.protocol_port)
    const member = byKey.get(k)
    if (!member) {
      checkNotReserved(item.address)
      if (newKeys.has(k)) duplicates.push(item)
      newKeys.add(k)
      plan.created.push(item)
    } else {
      if (plan.updated.some((u) => u.member.id === member.id)) throw validation('Member must be updated only once in the same request.')
      plan.updated.push({ member, item })
    }
  }
  const [duplicate] = duplicates
  if (duplicate) throw duplicateMember(duplicate.address, duplicate.protocol_port)
  if (!additiveOnly) {
    const named = new Set(items.map((i) => key(i.address, i.protocol_port)))
    plan.deleted = current.filter((m) => !named.has(key(m.ip_address, m.protocol_port)))
  }
  return plan
}

/** Boolean query flags (`additive_only`), parsed leniently as upstream does. */
function queryFlag(value: unknown): boolean {
  return typeof value === 'string' && ['1', 't', 'true', 'on', 'y', 'yes'].includes(value.toLowerCase())
}
