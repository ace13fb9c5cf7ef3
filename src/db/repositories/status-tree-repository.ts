import type { OperatingStatus, ProvisioningStatus } from '../../common/statuses.ts'
import type { Database, Executor } from '../database.ts'

interface Statuses {
  id: string
  name: string | null
  provisioning_status: ProvisioningStatus
  operating_status: OperatingStatus
}

export interface MemberStatus extends Statuses {
  ip_address: string
  protocol_port: number
}

export interface PoolStatus extends Statuses {
  health_monitor: (Statuses & { type: string }) | null
  members: MemberStatus[]
}

export interface ListenerStatus extends Statuses {
  pools: PoolStatus[]
}

export interface LoadBalancerStatus extends Statuses {
  listeners: ListenerStatus[]
}

/**
 * The status tree of a load balancer (spec/api-v2.md §8.9) in a fixed number of queries: a
 * listener's pools are its default pool, then each distinct pool an enabled L7 policy with at
 * least one rule redirects to.
 */
export class StatusTreeRepository {
  constructor(private readonly db: Database) {}

  async read(id: string, executor: Executor = this.db.kysely): Promise<LoadBalancerStatus | undefined> {
    const lb = await executor.selectFrom('load_balancer').select(['id', 'name', 'provisioning_status', 'operating_status'])
      .where('id', '=', id).executeTakeFirst()
    if (!lb) return undefined
    const statusColumns = ['id', 'name', 'provisioning_status', 'operating_status'] as const
    const [listeners, pools, members, monitors, redirects] = await Promise.all([
      executor.selectFrom('listener').select([...statusColumns, 'default_pool_id']).where('load_balancer_id', '=', id)
        .orderBy('created_at').orderBy('id').execute(),
      executor.selectFrom('pool').select(statusColumns).where('load_balancer_id', '=', id).execute(),
      executor.selectFrom('member').innerJoin('pool', 'pool.id', 'member.pool_id')
        .select(['member.id', 'member.name', 'member.provisioning_status', 'member.operating_status', 'member.ip_address',
          'member.protocol_port', 'member.pool_id'])
        .where('pool.load_balancer_id', '=', id).orderBy('member.created_at').orderBy('member.id').execute(),
      executor.selectFrom('health_monitor').innerJoin('pool', 'pool.id', 'health_monitor.pool_id')
        .select(['health_monitor.id', 'health_monitor.name', 'health_monitor.type', 'health_monitor.provisioning_status',
          'health_monitor.operating_status', 'health_monitor.pool_id'])
        .where('pool.load_balancer_id', '=', id).execute(),
      executor.selectFrom('l7policy').innerJoin('listener', 'listener.id', 'l7policy.listener_id')
        .select(['l7policy.listener_id', 'l7policy.redirect_pool_id'])
        .where('listener.load_balancer_id', '=', id).where('l7policy.enabled', '=', true)
        .where('l7policy.redirect_pool_id', 'is not', null)
        .where((eb) => eb.exists(eb.selectFrom('l7rule').select('l7rule.id').whereRef('l7rule.l7policy_id', '=', 'l7policy.id')))
        .orderBy('l7policy.position').execute(),
    ])
    const poolStatus = new Map(pools.map((p) => [p.id, {
      ...p,
      health_monitor: monitors.find((m) => m.pool_id === p.id) ?? null,
      members: members.filter((m) => m.pool_id === p.id),
    }]))
    return {
      ...lb,
      listeners: listeners.map(({ default_pool_id: defaultPool, ...listener }) => {
        const ids = [defaultPool, ...redirects.filter((r) => r.listener_id === listener.id).map((r) => r.redirect_pool_id)]
        const distinct = [...new Set(ids.filter((p): p is string => p !== null))]
        return { ...listener, pools: distinct.flatMap((p) => poolStatus.get(p) ?? []) }
      }),
    }
  }
}
