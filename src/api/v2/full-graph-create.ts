import { newId } from '../../common/ids.ts'
import type { Transaction } from '../../db/database.ts'
import { HealthMonitorRepository } from '../../db/repositories/health-monitor-repository.ts'
import { ListenerRepository } from '../../db/repositories/listener-repository.ts'
import type { LoadBalancer } from '../../db/repositories/load-balancer-repository.ts'
import { MemberRepository } from '../../db/repositories/member-repository.ts'
import { PoolRepository } from '../../db/repositories/pool-repository.ts'
import type { Schema } from '../../db/schema.ts'
import type { ProviderDriver } from '../../drivers/provider/provider-driver.ts'
import type { ApiDeps } from './api-deps.ts'
import type { GraphPlan } from './full-graph-plan.ts'
import { checkNewHealthMonitorType, newHealthMonitorValues } from './health-monitor-rules.ts'
import { checkDefaultPool, checkNewListener, newListenerValues } from './listener-rules.ts'
import { checkAddressFamilies, checkNotReserved, checkSriov, insertMember, newMemberFields } from './member-rules.ts'
import { checkNewPoolTls, checkSessionPersistence, newPoolValues, poolTls } from './pool-rules.ts'

/** The ids a full-graph create made, in creation order (the order the 201 shows them in). */
export interface CreatedGraph {
  listenerIds: string[]
  pools: Array<{ id: string; healthmonitorId: string | null; memberIds: string[] }>
}

/**
 * Writes the listeners, pools, health monitors and members of a full-graph create
 * (spec/api-v2.md §8.3) in the load balancer's own transaction, so that any failure leaves
 * nothing behind. Each object passes the checks its own resource's create applies (the shared
 * *-rules.ts modules), minus those about parents that are being created right here: pools first
 * (§10.3), each with its monitor (§12.2, §12.3) and members (§11.2, without the subnet lookup),
 * then the listeners (§9.3, default pool and duplicate ports included), then what the provider
 * would refuse (§7). Everything is PENDING_CREATE / OFFLINE; members are OFFLINE when their pool
 * has a monitor, else NO_MONITOR (§6.2).
 */
export async function createFullGraph(deps: ApiDeps, trx: Transaction<Schema>, lb: LoadBalancer, plan: GraphPlan,
  driver: ProviderDriver): Promise<CreatedGraph> {
  const settings = deps.config.api_settings
  const listeners = new ListenerRepository(deps.db, deps.clock)
  const pools = new PoolRepository(deps.db, deps.clock)
  const monitors = new HealthMonitorRepository(deps.db, deps.clock)
  const members = new MemberRepository(deps.db, deps.clock)
  const created: CreatedGraph = { listenerIds: [], pools: [] }
  const poolIds = new Map<string, string>()
  const memberAddresses = new Map<string, string[]>()
  // Quotas (pools, monitors, members, listeners) are not enforced under noauth (spec/api-v2.md
  // §14.3), our only identity engine yet.

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
      checkNewHealthMonitorType(settings, definition.protocol, monitor.type, monitor.delay)
      healthmonitorId = newId()
      await monitors.create({ ...newHealthMonitorValues(monitor), id: healthmonitorId, project_id: lb.project_id, pool_id: pool.id }, trx)
    }

    const memberIds: string[] = []
    for (const member of definition.members ?? []) {
      checkNotReserved(member.address, deps.config.networking.reserved_ips)
      await checkSriov(deps.catalog, lb, member.request_sriov === true)
      const id = newId()
      await insertMember(members, trx, { ...newMemberFields(member, { id: pool.id, healthmonitor_id: healthmonitorId }, lb), id })
      memberIds.push(id)
    }
    memberAddresses.set(pool.id, (definition.members ?? []).map((m) => m.address))
    created.pools.push({ id: pool.id, healthmonitorId, memberIds })
  }

  for (const { listener, defaultPool } of plan.listeners) {
    // A named default pool replaces any default_pool_id sent along, as upstream does.
    const defaultPoolId = defaultPool === null ? listener.default_pool_id : poolIds.get(defaultPool)
    const values = newListenerValues({ ...listener, default_pool_id: defaultPoolId }, lb, deps.config)
    // A default_pool_id can only name a pool of another LB here: 404, as for a standalone create.
    if (values.default_pool_id) await checkDefaultPool(listeners, trx, lb.id, values.default_pool_id, listener.protocol)
    await checkNewListener(listeners, trx, lb, values, listener.protocol, settings)
    await listeners.create(values, trx)
    created.listenerIds.push(values.id)
  }

  // What the provider's create would refuse for these pools, as their standalone creates do (spec/api-v2.md §7).
  for (const pool of await pools.getMany(created.pools.map((p) => p.id), trx)) {
    driver.checkPoolAlgorithm(pool.lb_algorithm)
    checkAddressFamilies(driver, lb, pool, memberAddresses.get(pool.id) ?? [])
  }
  return created
}
