import type { FastifyRequest } from 'fastify'
import { newId } from '../../common/ids.ts'
import type { Transaction } from '../../db/database.ts'
import { HealthMonitorRepository } from '../../db/repositories/health-monitor-repository.ts'
import { L7PolicyRepository } from '../../db/repositories/l7policy-repository.ts'
import { L7RuleRepository } from '../../db/repositories/l7rule-repository.ts'
import { ListenerRepository, type NewListener } from '../../db/repositories/listener-repository.ts'
import type { LoadBalancer } from '../../db/repositories/load-balancer-repository.ts'
import { MemberRepository } from '../../db/repositories/member-repository.ts'
import { PoolRepository } from '../../db/repositories/pool-repository.ts'
import type { Schema } from '../../db/schema.ts'
import type { ProviderDriver } from '../../drivers/provider/provider-driver.ts'
import type { ApiDeps } from './api-deps.ts'
import type { GraphPlan, PlannedL7Policy } from './full-graph-plan.ts'
import { checkNewHealthMonitorType, newHealthMonitorValues } from './health-monitor-rules.ts'
import { createRedirect, newL7PolicyValues, normaliseRedirect } from './l7policy-rules.ts'
import { checkL7Rule, checkRuleCount, newL7RuleValues } from './l7rule-rules.ts'
import { checkListenerTakesChildren, checkPoolProtocolForListener } from './listener-pool-rules.ts'
import { checkDefaultPool, checkNewListener, newListenerValues } from './listener-rules.ts'
import { checkAddressFamilies, checkNotReserved, checkSriov, insertMember, newMemberFields } from './member-rules.ts'
import { checkNewPoolTls, checkSessionPersistence, newPoolValues, poolTls } from './pool-rules.ts'

/** The ids a full-graph create made, in creation order (the order the 201 shows them in). */
export interface CreatedGraph {
  listenerIds: string[]
  pools: Array<{ id: string; healthmonitorId: string | null; memberIds: string[] }>
  /** Every L7 policy and rule made (the listeners and policies say which are theirs). */
  l7policyIds: string[]
  l7ruleIds: string[]
}

/**
 * Writes the listeners, pools, health monitors, members, L7 policies and rules of a full-graph
 * create (spec/api-v2.md §8.3) in the load balancer's own transaction, so that any failure leaves
 * nothing behind. Each object passes the checks its own resource's create applies (the shared
 * *-rules.ts modules), minus those about parents that are being created right here: pools first
 * (§10.3), each with its monitor (§12.2, §12.3) and members (§11.2, without the subnet lookup),
 * then each listener (§9.3, default pool and duplicate ports included) followed by its L7
 * policies (§13.2–§13.4, positions as if created one by one) and their rules (§13.6, at most
 * 50), then what the provider would refuse (§7). Everything is PENDING_CREATE / OFFLINE; members
 * are OFFLINE when their pool has a monitor, else NO_MONITOR (§6.2). Quotas are checked for the
 * pools as a batch, each monitor, the members of each pool as a batch and the listeners as a
 * batch, each before the checks of what it counts; L7 policies and rules are not counted here
 * (§14.3).
 */
export async function createFullGraph(deps: ApiDeps, req: FastifyRequest, trx: Transaction<Schema>, lb: LoadBalancer,
  plan: GraphPlan, driver: ProviderDriver): Promise<CreatedGraph> {
  const settings = deps.config.api_settings
  const listeners = new ListenerRepository(deps.db, deps.clock)
  const pools = new PoolRepository(deps.db, deps.clock)
  const monitors = new HealthMonitorRepository(deps.db, deps.clock)
  const members = new MemberRepository(deps.db, deps.clock)
  const created: CreatedGraph = { listenerIds: [], pools: [], l7policyIds: [], l7ruleIds: [] }
  const poolIds = new Map<string, string>()
  const memberAddresses = new Map<string, string[]>()
  const consume = (resource: 'pool' | 'health_monitor' | 'member' | 'listener', count: number) =>
    deps.quotas.consume(trx, req, lb.project_id, resource, count)
  const monitorTypes: string[] = []

  await consume('pool', plan.pools.length)
  for (const definition of plan.pools) {
    checkSessionPersistence(definition.protocol, definition.session_persistence, 'create')
    const tls = poolTls(definition, settings)
    checkNewPoolTls(definition, tls, settings)
    const pool = newPoolValues(definition, tls, lb)
    await pools.create(pool, trx)
    poolIds.set(definition.name, pool.id)

    let healthmonitorId: string | null = null
    const monitor = definition.healthmonitor
    if (monitor) {
      await consume('health_monitor', 1)
      checkNewHealthMonitorType(settings, definition.protocol, monitor.type, monitor.delay)
      healthmonitorId = newId()
      const values = newHealthMonitorValues(monitor)
      await monitors.create({ ...values, id: healthmonitorId, project_id: lb.project_id, pool_id: pool.id }, trx)
      monitorTypes.push(values.type)
    }

    const memberIds: string[] = []
    await consume('member', definition.members?.length ?? 0)
    for (const member of definition.members ?? []) {
      checkNotReserved(member.address, deps.config.networking.reserved_ips)
      await checkSriov(deps.catalog, lb, member.request_sriov === true, trx)
      const id = newId()
      await insertMember(members, trx, { ...newMemberFields(member, { id: pool.id, healthmonitor_id: healthmonitorId }, lb), id })
      memberIds.push(id)
    }
    memberAddresses.set(pool.id, (definition.members ?? []).map((m) => m.address))
    created.pools.push({ id: pool.id, healthmonitorId, memberIds })
  }

  const policies = new L7PolicyRepository(deps.db, deps.clock)
  const rules = new L7RuleRepository(deps.db, deps.clock)
  /** spec/api-v2.md §13.4, §13.6 for one listener's policies, in request order; each takes its requested position. */
  const createPolicies = async (listener: NewListener & { id: string; protocol: string }, planned: readonly PlannedL7Policy[]) => {
    if (planned.length > 0) checkListenerTakesChildren(listener.protocol)
    for (const { policy, redirectPool } of planned) {
      const poolId = redirectPool === null ? null : poolIds.get(redirectPool) ?? null
      const redirect = normaliseRedirect(createRedirect({ ...policy, redirect_pool_id: poolId }))
      if (redirect.action === 'REDIRECT_TO_POOL' && redirectPool !== null) {
        checkPoolProtocolForListener(listener.protocol, plan.pools.find((p) => p.name === redirectPool)?.protocol ?? '')
      }
      const id = newId()
      await policies.create({ ...newL7PolicyValues(policy, redirect, { id: listener.id, project_id: lb.project_id }), id }, trx)
      driver.checkL7PolicyListener(listener.protocol)
      created.l7policyIds.push(id)
      for (const [count, rule] of (policy.rules ?? []).entries()) {
        checkL7Rule({ type: rule.type, compare_type: rule.compare_type, key: rule.key ?? null, value: rule.value })
        checkRuleCount(id, count)
        const ruleId = newId()
        await rules.create({ ...newL7RuleValues(rule, id, lb.project_id), id: ruleId }, trx)
        created.l7ruleIds.push(ruleId)
      }
    }
  }

  await consume('listener', plan.listeners.length)
  for (const { listener, defaultPool, l7policies } of plan.listeners) {
    // A named default pool replaces any default_pool_id sent along, as upstream does.
    const defaultPoolId = defaultPool === null ? listener.default_pool_id : poolIds.get(defaultPool)
    const values = newListenerValues({ ...listener, default_pool_id: defaultPoolId }, lb, deps.config)
    // A default_pool_id can only name a pool of another LB here: 404, as for a standalone create.
    if (values.default_pool_id) await checkDefaultPool(listeners, trx, lb.id, values.default_pool_id, listener.protocol)
    await checkNewListener(listeners, trx, lb, values, listener.protocol, settings)
    await listeners.create(values, trx)
    created.listenerIds.push(values.id)
    await createPolicies(values, l7policies)
  }

  // What the provider's create would refuse in this graph, as the standalone creates do (spec/api-v2.md §7).
  for (const { listener } of plan.listeners) driver.checkListenerProtocol(listener.protocol)
  for (const pool of await pools.getMany(created.pools.map((p) => p.id), trx)) {
    driver.checkPoolProtocol(pool.protocol)
    driver.checkPoolAlgorithm(pool.lb_algorithm)
    checkAddressFamilies(driver, lb, pool, memberAddresses.get(pool.id) ?? [])
  }
  for (const type of monitorTypes) driver.checkHealthMonitorType(type)
  return created
}
