import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { Conflict, Immutable, InvalidInput, NotFound, ProviderError } from '../../common/errors.ts'
import { newId } from '../../common/ids.ts'
import { parseIp } from '../../config/ip-address.ts'
import type { Transaction } from '../../db/database.ts'
import { DuplicateEntry } from '../../db/errors.ts'
import type { LoadBalancer } from '../../db/repositories/load-balancer-repository.ts'
import { MemberRepository, type Member, type MemberChanges, type NewMember } from '../../db/repositories/member-repository.ts'
import { PoolRepository, type Pool } from '../../db/repositories/pool-repository.ts'
import type { Schema } from '../../db/schema.ts'
import type { ProviderDriver } from '../../drivers/provider/provider-driver.ts'
import { LIST_SPECS } from '../list/list-specs.ts'
import { listResponse } from '../list/list-response.ts'
import { parseListQuery } from '../list/parse-list-query.ts'
import { runList } from '../list/run-list.ts'
import { selectFields } from '../list/select-fields.ts'
import { listBaseUrl, rawQuery, requestedFields } from '../request-url.ts'
import { parseBody, parseListBody } from '../validation/body-schema.ts'
import { bool, int, ipAddress, str, tags, uuid, type Parsed } from '../validation/field-types.ts'
import type { ApiDeps } from './api-deps.ts'
import { enqueueChildJob, lockLoadBalancerForChild } from './child-mutation.ts'
import { renderMember } from './member-view.ts'
import { lbaasPaths } from './paths.ts'

const LABEL = 'Member'

const port = int({ min: 1, max: 65535 })

// spec/api-v2.md §11.1: the create schema, also each item of a batch update (§11.4).
const MEMBER_FIELDS = {
  name: { type: str({ max: 255 }) },
  admin_state_up: { type: bool() },
  address: { type: ipAddress(), mandatory: true },
  protocol_port: { type: port, mandatory: true },
  weight: { type: int({ min: 0, max: 256 }) },
  backup: { type: bool() },
  subnet_id: { type: uuid() },
  project_id: { type: str({ max: 36 }) },
  tenant_id: { type: str({ max: 36 }) },
  monitor_port: { type: port },
  monitor_address: { type: ipAddress() },
  tags: { type: tags() },
  request_sriov: { type: bool() },
} as const

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
  const reserved = new Set(deps.config.networking.reserved_ips.map(explodedUpper))

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

  /** The load balancer of the pool and its driver, for a call that changes members. */
  async function loadParent(poolId: string): Promise<{ lb: LoadBalancer; driver: ProviderDriver }> {
    const pool = await pools.get(poolId)
    const lb = pool?.load_balancer_id ? await deps.loadBalancers.get(pool.load_balancer_id) : undefined
    if (!pool || !lb) throw new NotFound('Pool', poolId)
    return { lb, driver: deps.providers.load(lb.provider) }
  }

  /** spec/api-v2.md §11.2: reserved addresses are compared, and named, in expanded upper-case form. */
  function checkNotReserved(address: string): void {
    const expanded = explodedUpper(address)
    if (reserved.has(expanded)) throw new InvalidInput(`${expanded} is not a valid option for member address`)
  }

  function checkSubnet(subnetId: string | null | undefined): void {
    if (subnetId && !deps.inventory.subnet(subnetId)) throw new InvalidInput(`Subnet ${subnetId} not found.`)
  }

  /** spec/api-v2.md §11.1 request_sriov: only with a flavor that allows SR-IOV member ports. */
  async function checkSriov(lb: LoadBalancer, requested: boolean): Promise<void> {
    if (!requested) return
    const flavor = lb.flavor_id ? await deps.catalog.flavor(lb.flavor_id) : undefined
    if (flavor?.data.allow_member_sriov !== true) throw new InvalidInput('The load balancer flavor does not allow SR-IOV member ports.')
  }

  for (const path of lbaasPaths('/pools/:pool_id/members')) {
    app.post<PoolParams>(path, { preHandler: requirePool }, async (req, reply) => {
      const poolId = req.params.pool_id
      const body = parseBody(req.body, CREATE)
      checkNotReserved(body.address)
      checkSubnet(body.subnet_id)
      const { lb, driver } = await loadParent(poolId)
      // Quotas are not enforced under noauth (spec/api-v2.md §14.3), our only identity engine yet.
      await checkSriov(lb, body.request_sriov === true)
      const id = newId()
      await db.transaction(async (trx) => {
        const pool = await lockPoolForChild(deps, trx, poolId)
        await insertMember(members, trx, { ...newMemberFields(body, pool, lb), id })
        checkAddressFamilies(driver, lb, pool, [body.address])
        await enqueueChildJob(deps, trx, { kind: 'member.create', target_type: 'member', target_id: id, load_balancer_id: lb.id, payload: { pool_id: poolId } })
      })
      // Rendered before the worker is told, so the answer shows the statuses this call wrote.
      const member = renderMember(await find(poolId, id))
      deps.notifyWorker()
      return reply.code(201).send({ member })
    })

    app.get<PoolParams>(path, { preHandler: requirePool }, async (req) => {
      const poolId = req.params.pool_id
      const spec = LIST_SPECS.member
      const query = parseListQuery(rawQuery(req), spec, deps.config.api_settings)
      const page = await runList(db, spec, query, { baseUrl: listBaseUrl(req), where: (eb) => eb('member.pool_id', '=', poolId) })
      const found = await members.getMany(page.rows.map((r) => r.id))
      return listResponse(spec, selectFields(found.map(renderMember), query.fields), page.links)
    })

    app.put<PoolParams & { Querystring: Record<string, string> }>(path, { preHandler: requirePool }, async (req, reply) => {
      const poolId = req.params.pool_id
      const items = parseListBody(req.body, BATCH)
      const additiveOnly = queryFlag(req.query.additive_only)
      const { lb, driver } = await loadParent(poolId)
      try {
        await db.transaction(async (trx) => {
          const pool = await lockPoolForChild(deps, trx, poolId)
          const plan = planBatch(await members.listByPool(poolId, trx), items, additiveOnly, checkNotReserved)
          if (plan.created.length + plan.updated.length + plan.deleted.length === 0) throw new NothingToChange()
          // Upstream checks only new members' subnets; an updated one naming an unknown subnet is as wrong.
          for (const subnetId of new Set([...plan.created, ...plan.updated.map((u) => u.item)].map((i) => i.subnet_id))) checkSubnet(subnetId)
          for (const item of plan.created) await checkSriov(lb, item.request_sriov === true)
          for (const member of plan.deleted) await members.setProvisioningStatus(member.id, 'PENDING_DELETE', {}, trx)
          for (const { member, item } of plan.updated) {
            await members.update(member.id, batchChanges(item), trx)
            await members.setProvisioningStatus(member.id, 'PENDING_UPDATE', {}, trx)
          }
          for (const item of plan.created) await insertMember(members, trx, newMemberFields(item, pool, lb))
          checkAddressFamilies(driver, lb, pool, items.map((i) => i.address))
          await enqueueChildJob(deps, trx, { kind: 'member.batch_update', target_type: 'pool', target_id: poolId, load_balancer_id: lb.id, payload: { pool_id: poolId } })
        })
      } catch (err) {
        // An empty change set is not an error: the rollback undid the locking statuses, as upstream never sets them.
        if (!(err instanceof NothingToChange)) throw err
        return reply.code(202).send()
      }
      deps.notifyWorker()
      return reply.code(202).send()
    })
  }

  for (const path of lbaasPaths('/pools/:pool_id/members/:id')) {
    app.get<MemberParams>(path, { preHandler: requirePool }, async (req) => ({
      member: selectFields([renderMember(await find(req.params.pool_id, req.params.id))], requestedFields(req))[0],
    }))

    app.put<MemberParams>(path, { preHandler: requirePool }, async (req) => {
      const { pool_id: poolId, id } = req.params
      const body = parseBody(req.body, UPDATE)
      await find(poolId, id)
      const { lb } = await loadParent(poolId)
      await db.transaction(async (trx) => {
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
        await enqueueChildJob(deps, trx, { kind: 'member.update', target_type: 'member', target_id: id, load_balancer_id: lb.id, payload: { pool_id: poolId } })
      })
      const member = renderMember(await find(poolId, id))
      deps.notifyWorker()
      return { member }
    })

    app.delete<MemberParams>(path, { preHandler: requirePool }, async (req, reply) => {
      const { pool_id: poolId, id } = req.params
      await find(poolId, id)
      const { lb } = await loadParent(poolId)
      await db.transaction(async (trx) => {
        await lockPoolForChild(deps, trx, poolId)
        await members.setProvisioningStatus(id, 'PENDING_DELETE', {}, trx)
        await enqueueChildJob(deps, trx, { kind: 'member.delete', target_type: 'member', target_id: id, load_balancer_id: lb.id, payload: { pool_id: poolId } })
      })
      deps.notifyWorker()
      return reply.code(204).send()
    })
  }
}

/**
 * The test-and-set of a member or health monitor change (spec/api-v2.md §6.3): the pool must be
 * ACTIVE (checked before the LB), then the LB's own test-and-set; the pool and the listeners
 * using it go PENDING_UPDATE with the LB.
 */
export async function lockPoolForChild(deps: ApiDeps, trx: Transaction<Schema>, poolId: string): Promise<Pool> {
  const pools = new PoolRepository(deps.db, deps.clock)
  const pool = await pools.get(poolId, trx)
  if (!pool?.load_balancer_id) throw new NotFound('Pool', poolId)
  if (pool.provisioning_status !== 'ACTIVE') throw new Immutable(`Pool ${poolId} is immutable and cannot be updated.`)
  await lockLoadBalancerForChild(deps, trx, pool.load_balancer_id)
  await pools.setProvisioningStatus(poolId, 'PENDING_UPDATE', {}, trx)
  await pools.setListenersProvisioningStatus(pool.listener_ids, 'PENDING_UPDATE', {}, trx)
  return pool
}

function duplicateMember(address: string, protocolPort: number): Conflict {
  return new Conflict(`Another member on this pool is already using ip ${address} on protocol_port ${protocolPort}`)
}

/** Inserts a member; a taken address and port in the pool is a 409 (spec/api-v2.md §11.2). */
async function insertMember(members: MemberRepository, trx: Transaction<Schema>, member: NewMember): Promise<void> {
  // Checked first: on PostgreSQL a refused INSERT would abort the whole transaction.
  if (await members.findByAddress(member.pool_id, member.ip_address, member.protocol_port, trx)) {
    throw duplicateMember(member.ip_address, member.protocol_port)
  }
  try {
    await members.create(member, trx)
  } catch (err) {
    if (err instanceof DuplicateEntry) throw duplicateMember(member.ip_address, member.protocol_port)
    throw err
  }
}

/** A new member's row from a create body or a batch item (create defaults, spec/api-v2.md §11.1). */
function newMemberFields(item: MemberItem, pool: Pool, lb: LoadBalancer): NewMember {
  return {
    pool_id: pool.id,
    // spec/api-v2.md §3.5: a child belongs to its load balancer's project.
    project_id: lb.project_id,
    name: item.name ?? null,
    // spec/api-v2.md §3.4: admin_state_up null is stored as false.
    enabled: item.admin_state_up === undefined ? true : item.admin_state_up === true,
    ip_address: item.address,
    protocol_port: item.protocol_port,
    weight: item.weight === undefined ? 1 : item.weight,
    // The column is NOT NULL: a null backup means the default (upstream fails with a database error).
    backup: item.backup ?? false,
    subnet_id: item.subnet_id ?? null,
    monitor_address: item.monitor_address ?? null,
    monitor_port: item.monitor_port ?? null,
    vnic_type: item.request_sriov === true ? 'direct' : 'normal',
    operating_status: pool.healthmonitor_id ? 'OFFLINE' : 'NO_MONITOR',
    tags: item.tags ?? [],
  }
}

/**
 * spec/api-v2.md §11.4 step 7: a matched member takes every field of the create schema, so an
 * omitted one goes back to its create default; name, tags and subnet_id change only when sent.
 */
function batchChanges(item: MemberItem): MemberChanges {
  return {
    enabled: item.admin_state_up === undefined ? true : item.admin_state_up === true,
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

/**
 * spec/api-v2.md §7: the amphora provider cannot mix address families between VIPs and members
 * of a UDP or SCTP pool that a listener uses. (A ProviderDriver hook would be the right home.)
 */
function checkAddressFamilies(driver: ProviderDriver, lb: LoadBalancer, pool: Pool, addresses: readonly string[]): void {
  if (driver.driver !== 'amphora' || (pool.protocol !== 'UDP' && pool.protocol !== 'SCTP')) return
  if (pool.listener_ids.length === 0) return
  const vipFamilies = new Set([lb.vip?.ip_address, ...lb.additional_vips.map((a) => a.ip_address)]
    .flatMap((address) => (address ? [parseIp(address)?.family] : [])))
  if (addresses.every((address) => vipFamilies.has(parseIp(address)?.family))) return
  throw new ProviderError(`Provider '${lb.provider ?? 'amphora'}' does not support a requested option: This provider doesn't support mixing IPv4 and IPv6 addresses for its VIP and members in ${pool.protocol} load balancers.`, 501)
}

/** Python's `ipaddress.ip_address(a).exploded.upper()`: IPv6 as eight 4-digit groups. */
function explodedUpper(address: string): string {
  const ip = parseIp(address)
  if (!ip) return address.toUpperCase()
  if (ip.family === 4) return address
  const groups = Array.from({ length: 8 }, (_, i) => ((ip.value >> BigInt(112 - 16 * i)) & 0xffffn).toString(16).padStart(4, '0'))
  return groups.join(':').toUpperCase()
}

/** Boolean query flags (`additive_only`), parsed leniently as upstream does. */
function queryFlag(value: unknown): boolean {
  return typeof value === 'string' && ['1', 't', 'true', 'on', 'y', 'yes'].includes(value.toLowerCase())
}
