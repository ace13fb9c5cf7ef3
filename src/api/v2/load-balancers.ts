import { enabledOnCreate } from './admin-state.ts'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { Transaction } from '../../db/database.ts'
import type { Schema } from '../../db/schema.ts'
import { Immutable, InvalidInput, NotFound } from '../../common/errors.ts'
import { newId } from '../../common/ids.ts'
import { HealthMonitorRepository } from '../../db/repositories/health-monitor-repository.ts'
import { L7PolicyRepository } from '../../db/repositories/l7policy-repository.ts'
import { L7RuleRepository } from '../../db/repositories/l7rule-repository.ts'
import { ListenerRepository } from '../../db/repositories/listener-repository.ts'
import { selectWithVip, type LoadBalancer, type RowWithVip } from '../../db/repositories/load-balancer-repository.ts'
import { MemberRepository } from '../../db/repositories/member-repository.ts'
import { PoolRepository } from '../../db/repositories/pool-repository.ts'
import { bindVip, placeVip } from '../../drivers/network/vip-placement.ts'
import type { PolicyAction } from '../access/access.ts'
import { LIST_SPECS } from '../list/list-specs.ts'
import { selectFields } from '../list/select-fields.ts'
import { requestedFields } from '../request-url.ts'
import { parseBody } from '../validation/body-schema.ts'
import { bool, ipAddress, list, object, str, tags, uuid } from '../validation/field-types.ts'
import type { ApiDeps } from './api-deps.ts'
import { listObjects } from './list-objects.ts'
import { createFullGraph, type CreatedGraph } from './full-graph-create.ts'
import { planFullGraph } from './full-graph-plan.ts'
import { GRAPH_LISTENER_FIELDS, GRAPH_POOL_FIELDS } from './full-graph-schema.ts'
import { renderFullLoadBalancer } from './full-graph-view.ts'
import { renderLoadBalancer } from './load-balancer-view.ts'
import { resolveProvider } from './load-balancer-provider.ts'
import { lbaasPaths } from './paths.ts'

const LABEL = 'Load Balancer'

const name = { type: str({ max: 255 }) }
const description = { type: str({ max: 255 }) }

// spec/api-v2.md §8.1. Octavia's body argument for load balancers is `load_balancer`.
const CREATE = {
  arg: 'load_balancer',
  envelope: 'loadbalancer',
  fields: {
    name, description,
    admin_state_up: { type: bool() },
    project_id: { type: str({ max: 36 }) },
    tenant_id: { type: str({ max: 36 }) },
    vip_address: { type: ipAddress() },
    vip_port_id: { type: uuid() },
    vip_network_id: { type: uuid() },
    vip_subnet_id: { type: uuid() },
    vip_qos_policy_id: { type: uuid() },
    vip_sg_ids: { type: list(uuid()) },
    additional_vips: { type: list(object({ subnet_id: { type: uuid(), mandatory: true }, ip_address: { type: ipAddress() }, port_id: { type: uuid() } })) },
    // The full graph (spec/api-v2.md §8.3).
    listeners: { type: list(object(GRAPH_LISTENER_FIELDS)) },
    pools: { type: list(object(GRAPH_POOL_FIELDS)) },
    provider: { type: str({ max: 64 }) },
    flavor_id: { type: uuid() },
    availability_zone: { type: str({ max: 255 }) },
    tags: { type: tags() },
  },
} as const

const UPDATE = {
  arg: 'load_balancer',
  envelope: 'loadbalancer',
  fields: {
    name, description,
    admin_state_up: { type: bool() },
    vip_qos_policy_id: { type: uuid() },
    vip_sg_ids: { type: list(uuid()) },
    tags: { type: tags() },
  },
} as const

const validation = (text: string) => new InvalidInput(`Validation failure: ${text}`)

/** `cascade` and other boolean query flags, parsed leniently (spec/api-v2.md §6.4). */
function queryFlag(value: unknown): boolean {
  return typeof value === 'string' && ['1', 't', 'true', 'on', 'y', 'yes'].includes(value.toLowerCase())
}

export function registerLoadBalancerRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { db, loadBalancers, jobs } = deps
  const listenerRepository = new ListenerRepository(db, deps.clock)
  const poolRepository = new PoolRepository(db, deps.clock)
  const monitorRepository = new HealthMonitorRepository(db, deps.clock)
  const memberRepository = new MemberRepository(db, deps.clock)
  const l7policyRepository = new L7PolicyRepository(db, deps.clock)
  const l7ruleRepository = new L7RuleRepository(db, deps.clock)

  /** The LB of a path id, 404 when unknown or DELETED (spec/api-v2.md §8.4). */
  async function find(id: string): Promise<LoadBalancer> {
    const [lb] = await loadBalancers.getMany([id])
    if (!lb || lb.provisioning_status === 'DELETED') throw new NotFound(LABEL, id)
    return lb
  }

  async function rendered(id: string) {
    return renderLoadBalancer(await find(id))
  }

  /** The LB of a path id (404), then the call's policy on its project (403): rbac.md §5's order. */
  async function authorized(req: FastifyRequest, id: string, action: PolicyAction): Promise<LoadBalancer> {
    const lb = await find(id)
    deps.access.enforce(req, action, lb.project_id)
    return lb
  }

  /** A created LB with its whole graph, from a fresh read (spec/api-v2.md §8.3 response). */
  async function renderedGraph(id: string, graph: CreatedGraph) {
    const poolIds = graph.pools.map((p) => p.id)
    const [lb, listeners, pools, monitors, members, l7policies, l7rules] = await Promise.all([
      find(id),
      listenerRepository.getMany(graph.listenerIds),
      poolRepository.getMany(poolIds),
      monitorRepository.getMany(graph.pools.flatMap((p) => p.healthmonitorId ?? [])),
      memberRepository.getMany(graph.pools.flatMap((p) => p.memberIds)),
      l7policyRepository.getMany(graph.l7policyIds),
      l7ruleRepository.getMany(graph.l7ruleIds),
    ])
    const poolById = new Map(pools.map((p) => [p.id, p]))
    const monitorById = new Map(monitors.map((m) => [m.id, m]))
    const memberById = new Map(members.map((m) => [m.id, m]))
    return renderFullLoadBalancer(lb, { listeners, l7policies, l7rules }, graph.pools.flatMap((created) => {
      const pool = poolById.get(created.id)
      if (!pool) return []
      return [{
        pool,
        healthmonitor: (created.healthmonitorId === null ? undefined : monitorById.get(created.healthmonitorId)) ?? null,
        members: created.memberIds.flatMap((memberId) => memberById.get(memberId) ?? []),
      }]
    }))
  }

  for (const path of lbaasPaths('/loadbalancers')) {
    app.post(path, async (req, reply) => {
      const body = parseBody(req.body, CREATE)
      const context = deps.context(req)
      const projectId = body.tenant_id ?? body.project_id ?? context.projectId
      if (!projectId) {
        throw validation('Missing project ID in request where one is required. An administrator should check the keystone settings in the Octavia configuration.')
      }
      // rbac.md §5: policy after the project is known, before any VIP or flavor check.
      deps.access.enforce(req, 'loadbalancer:post', projectId)
      if (body.vip_sg_ids !== undefined) deps.access.enforce(req, 'loadbalancer:post:vip_sg_ids', projectId)
      const placement = await placeVip(body, deps.inventory, deps.ports)
      if (body.vip_qos_policy_id) throw validation('VIP QoS policy is not allowed in this deployment.')
      refuseSecurityGroups(body.vip_sg_ids)
      const additional = body.additional_vips ?? []
      const subnetIds = [placement.subnet.id, ...additional.map((a) => a.subnet_id)]
      if (new Set(subnetIds).size !== subnetIds.length) throw validation('Duplicate VIP subnet(s) specified. Only one IP can be bound per subnet.')
      const additionalSubnets = additional.map((a) => {
        const subnet = deps.inventory.subnet(a.subnet_id)
        if (!subnet) throw validation(`Subnet ${a.subnet_id} not found`)
        if (subnet.network_id !== placement.subnet.network_id) throw validation('All VIP subnets must belong to the same network.')
        return { subnet, address: a.ip_address ?? null }
      })

      const { provider, driver, topology, vnicType } = await resolveProvider(deps, body, placement.subnet.network_id)

      const id = newId()
      let graph: CreatedGraph = { listenerIds: [], pools: [], l7policyIds: [], l7ruleIds: [] }
      const job = await db.transaction(async (trx) => {
        // spec/api-v2.md §8.2 step 7: before the VIP is taken.
        await deps.quotas.consume(trx, req, projectId, 'load_balancer')
        const port = await bindVip(placement, { id, project_id: projectId }, deps.ports, trx)
        const extra = []
        for (const a of additionalSubnets) {
          const p = await bindVip({ subnet: a.subnet, port: null, address: a.address }, { id, project_id: projectId }, deps.ports, trx)
          extra.push({ subnet_id: a.subnet.id, ip_address: p.ip_address, port_id: p.id, network_id: a.subnet.network_id })
        }
        await loadBalancers.insert({
          id, project_id: projectId, name: body.name ?? null, description: body.description ?? null,
          enabled: enabledOnCreate(body.admin_state_up),
          provider, topology, flavor_id: body.flavor_id ?? null, availability_zone: body.availability_zone ?? null,
          vip: {
            ip_address: port.ip_address, port_id: port.id, subnet_id: placement.subnet.id, network_id: placement.subnet.network_id,
            octavia_owned: placement.port === null, vnic_type: vnicType,
          },
          additional_vips: extra,
          tags: body.tags ?? [],
        }, trx)
        // spec/api-v2.md §8.2 step 12: the graph's own checks come after the VIP's.
        const plan = planFullGraph(body.listeners ?? [], body.pools ?? [])
        // The graph's checks need the LB as stored; a plain create reads it once, after the commit.
        if (plan.listeners.length > 0 || plan.pools.length > 0) {
          const lb = await loadBalancers.get(id, trx)
          if (!lb) throw new Error(`load balancer ${id} vanished inside its own transaction`)
          graph = await createFullGraph(deps, req, trx, lb, plan, driver)
        }
        // The provider's create comes last (spec/api-v2.md §6.6 step 5), with the topology the LB got.
        driver.checkTopology(topology)
        return jobs.enqueue(trx, { kind: 'loadbalancer.create', target_type: 'loadbalancer', target_id: id, load_balancer_id: id })
      })
      // Rendered before the worker is told, so the answer shows the statuses this call wrote.
      const loadbalancer = await renderedGraph(id, graph)
      deps.notifyWorker(job.id)
      return reply.code(201).send({ loadbalancer })
    })

    app.get(path, async (req) => {
      const spec = LIST_SPECS.loadbalancer
      return listObjects(req, deps, spec, { select: selectWithVip, load: (rows: RowWithVip[]) => loadBalancers.fromRows(rows) }, renderLoadBalancer)
    })
  }

  for (const path of lbaasPaths('/loadbalancers/:id')) {
    app.get<{ Params: { id: string } }>(path, async (req) => ({
      loadbalancer: selectFields([renderLoadBalancer(await authorized(req, req.params.id, 'loadbalancer:get_one'))], requestedFields(req))[0],
    }))

    app.put<{ Params: { id: string } }>(path, async (req) => {
      const { id } = req.params
      const current = await find(id)
      const body = parseBody(req.body, UPDATE)
      deps.access.enforce(req, 'loadbalancer:put', current.project_id)
      if (body.vip_sg_ids !== undefined) deps.access.enforce(req, 'loadbalancer:put:vip_sg_ids', current.project_id)
      if (body.vip_qos_policy_id) throw validation('VIP QoS policy is not allowed in this deployment.')
      refuseSecurityGroups(body.vip_sg_ids)
      deps.providers.load(current.provider)
      const job = await db.transaction(async (trx) => {
        await lockActive(deps, trx, id, ['ACTIVE'])
        await loadBalancers.update(id, {
          ...(body.name !== undefined ? { name: body.name } : {}),
          ...(body.description !== undefined ? { description: body.description } : {}),
          ...(body.admin_state_up !== undefined ? { enabled: body.admin_state_up === true } : {}),
          ...(body.vip_sg_ids !== undefined ? { vip_sg_ids: body.vip_sg_ids ?? [] } : {}),
          ...(body.tags !== undefined && body.tags !== null ? { tags: body.tags } : {}),
        }, trx)
        await loadBalancers.setProvisioningStatus(id, 'PENDING_UPDATE', {}, trx)
        return jobs.enqueue(trx, { kind: 'loadbalancer.update', target_type: 'loadbalancer', target_id: id, load_balancer_id: id })
      })
      deps.notifyWorker(job.id)
      return { loadbalancer: await rendered(id) }
    })

    app.delete<{ Params: { id: string }; Querystring: Record<string, string> }>(path, async (req, reply) => {
      const { id } = req.params
      const current = await authorized(req, id, 'loadbalancer:delete')
      deps.providers.load(current.provider)
      const cascade = queryFlag(req.query.cascade)
      if (!cascade && await loadBalancers.hasChildren(id)) throw validation(`Cannot delete Load Balancer ${id} - it has children`)
      const job = await db.transaction(async (trx) => {
        await lockActive(deps, trx, id, ['ACTIVE', 'ERROR'])
        await loadBalancers.setProvisioningStatus(id, 'PENDING_DELETE', {}, trx)
        return jobs.enqueue(trx, { kind: 'loadbalancer.delete', target_type: 'loadbalancer', target_id: id, load_balancer_id: id, payload: { cascade } })
      })
      deps.notifyWorker(job.id)
      return reply.code(204).send()
    })
  }

  for (const path of lbaasPaths('/loadbalancers/:id/stats')) {
    app.get<{ Params: { id: string } }>(path, async (req) => {
      await authorized(req, req.params.id, 'loadbalancer:get_stats')
      return { stats: await loadBalancers.statistics(req.params.id) }
    })
  }

  for (const suffix of ['status', 'statuses']) {
    for (const path of lbaasPaths(`/loadbalancers/:id/${suffix}`)) {
      app.get<{ Params: { id: string } }>(path, async (req) => {
        await authorized(req, req.params.id, 'loadbalancer:get_status')
        const tree = await deps.statusTree.read(req.params.id)
        if (!tree) throw new NotFound(LABEL, req.params.id)
        return { statuses: { loadbalancer: renderStatusTree(tree) } }
      })
    }
  }

  for (const path of lbaasPaths('/loadbalancers/:id/failover')) {
    app.put<{ Params: { id: string } }>(path, async (req, reply) => {
      const { id } = req.params
      // spec/api-v2.md §8.7: admin only by default, checked against the LB's project.
      const current = await authorized(req, id, 'loadbalancer:put_failover')
      deps.providers.load(current.provider)
      const job = await db.transaction(async (trx) => {
        await lockActive(deps, trx, id, ['ACTIVE', 'ERROR'])
        await loadBalancers.setProvisioningStatus(id, 'PENDING_UPDATE', {}, trx)
        return jobs.enqueue(trx, { kind: 'loadbalancer.failover', target_type: 'loadbalancer', target_id: id, load_balancer_id: id })
      })
      deps.notifyWorker(job.id)
      return reply.code(202).send()
    })
  }
}

/** We manage no security groups, so any VIP security group id names one that does not exist (spec/api-v2.md §8.2). */
function refuseSecurityGroups(ids: readonly string[] | null | undefined): void {
  const [first] = ids ?? []
  if (first !== undefined) throw new InvalidInput(`Security Group ${first} not found.`)
}

/** Test-and-set under the LB's row lock: 409 unless the LB is in one of `allowed` (spec/api-v2.md §6.3). */
async function lockActive(deps: ApiDeps, trx: Transaction<Schema>, id: string, allowed: readonly string[]): Promise<void> {
  const row = await deps.loadBalancers.lockForUpdate(trx, id)
  if (!row || row.provisioning_status === 'DELETED') throw new NotFound(LABEL, id)
  if (!allowed.includes(row.provisioning_status)) throw new Immutable(`Invalid state ${row.provisioning_status} of loadbalancer resource ${id}`)
}

type Tree = NonNullable<Awaited<ReturnType<ApiDeps['statusTree']['read']>>>

/** spec/api-v2.md §8.9: names "" when null; `health_monitor` omitted when the pool has none. */
function renderStatusTree(tree: Tree) {
  const statuses = (o: { id: string; name: string | null; provisioning_status: string; operating_status: string }) => ({
    id: o.id, name: o.name ?? '', provisioning_status: o.provisioning_status, operating_status: o.operating_status,
  })
  return {
    ...statuses(tree),
    listeners: tree.listeners.map((l) => ({
      ...statuses(l),
      pools: l.pools.map((p) => ({
        ...statuses(p),
        ...(p.health_monitor ? { health_monitor: { ...statuses(p.health_monitor), type: p.health_monitor.type } } : {}),
        members: p.members.map((m) => ({ ...statuses(m), address: m.ip_address, protocol_port: m.protocol_port })),
      })),
    })),
  }
}

