import { sql } from 'kysely'
import type { Clock } from '../../common/clock.ts'
import type { OperatingStatus, ProvisioningStatus } from '../../common/statuses.ts'
import type { Database, Executor } from '../database.ts'

// What the health manager reads and writes for a batch of heartbeats (spec/heartbeat.md §4-5):
// the load balancer views of the sending amphorae, amphora_health refreshes, operating status
// changes and listener statistics, each as a few statements per batch whatever its size.

/** Ids per IN list or rows per multi-row insert (at most 7 parameters each): below every engine's bound-parameter limit. */
const CHUNK = 2000

export interface HeartbeatAmphora {
  id: string
  load_balancer_id: string | null
  status: ProvisioningStatus
  compute_id: string | null
}

export interface HealthMember {
  id: string
  enabled: boolean
  operating_status: OperatingStatus
}

export interface HealthPool {
  id: string
  operating_status: OperatingStatus
  members: HealthMember[]
}

export interface HealthListener {
  id: string
  enabled: boolean
  protocol: string
  default_pool_id: string | null
  operating_status: OperatingStatus
}

/** The load balancer of spec/heartbeat.md §5.1 with every listener, pool and member, as stored. */
export interface HealthLoadBalancer {
  id: string
  enabled: boolean
  provisioning_status: ProvisioningStatus
  operating_status: OperatingStatus
  /** Moves with every provisioning change (each API change under the LB): tells a kept view is still current. */
  updated_at: Date | null
  listeners: HealthListener[]
  pools: HealthPool[]
}

/** What tells whether a load balancer's view read earlier still holds (HeartbeatRepository.loadBalancersChangedSince). */
export interface LoadBalancerStamp {
  id: string
  provisioning_status: ProvisioningStatus
  updated_at: Date | null
}

export interface HeartbeatViews {
  /** Every known amphora among those asked for, whatever its status. */
  amphorae: Map<string, HeartbeatAmphora>
  /**
   * The live load balancer of each amphora that has one: amphora not DELETED, LB not DELETED
   * (spec/heartbeat.md §5.1). Amphorae of one LB share its object.
   */
  loadBalancers: Map<string, HealthLoadBalancer>
}

export const HEALTH_TABLES = ['load_balancer', 'listener', 'pool', 'member'] as const
export type HealthTable = (typeof HEALTH_TABLES)[number]

export interface OperatingStatusChange {
  table: HealthTable
  id: string
  status: OperatingStatus
}

/** One listener's counters from one amphora (table listener_statistics). */
export interface ListenerStatisticsRecord {
  listener_id: string
  amphora_id: string
  bytes_in: number
  bytes_out: number
  active_connections: number
  total_connections: number
  request_errors: number
  /** `delta`: bytes and totals are added to the stored row (version 3); `absolute`: they replace it. */
  mode: 'delta' | 'absolute'
}

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = []
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK))
  return out
}

function groupBy<T, K>(items: readonly T[], key: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>()
  for (const item of items) {
    const k = key(item)
    const group = groups.get(k)
    if (group) group.push(item)
    else groups.set(k, [item])
  }
  return groups
}

export class HeartbeatRepository {
  constructor(private readonly db: Database, private readonly clock: Clock) {}

  /**
   * The amphorae with these ids and their live load balancers, in three queries per chunk of
   * ids: amphorae with their load balancer, then listeners beside pools with their members.
   */
  async views(amphoraIds: readonly string[], executor: Executor = this.db.kysely): Promise<HeartbeatViews> {
    const amphorae = new Map<string, HeartbeatAmphora>()
    const loadBalancers = new Map<string, HealthLoadBalancer>()
    for (const ids of chunks([...new Set(amphoraIds)])) {
      const rows = await executor.selectFrom('amphora')
        .leftJoin('load_balancer', (join) => join.onRef('load_balancer.id', '=', 'amphora.load_balancer_id')
          .on('amphora.status', '!=', 'DELETED').on('load_balancer.provisioning_status', '!=', 'DELETED'))
        .select([
          'amphora.id', 'amphora.load_balancer_id', 'amphora.status', 'amphora.compute_id', 'load_balancer.id as lb_id',
          'load_balancer.enabled as lb_enabled', 'load_balancer.provisioning_status as lb_provisioning_status',
          'load_balancer.operating_status as lb_operating_status', 'load_balancer.updated_at as lb_updated_at',
        ])
        .where('amphora.id', 'in', ids).execute()
      const live: HealthLoadBalancer[] = []
      for (const row of rows) {
        amphorae.set(row.id, { id: row.id, load_balancer_id: row.load_balancer_id, status: row.status, compute_id: row.compute_id })
        if (row.lb_id === null || loadBalancers.has(row.lb_id)) continue
        const lb: HealthLoadBalancer = {
          id: row.lb_id, enabled: row.lb_enabled!, provisioning_status: row.lb_provisioning_status!, operating_status: row.lb_operating_status!,
          updated_at: row.lb_updated_at, listeners: [], pools: [],
        }
        loadBalancers.set(lb.id, lb)
        live.push(lb)
      }
      for (const lbs of chunks(live)) {
        const lbIds = lbs.map((lb) => lb.id)
        // In parallel: on MySQL/PostgreSQL two pooled connections, on SQLite one after the other anyway.
        const [listeners, members] = await Promise.all([
          executor.selectFrom('listener').select(['id', 'load_balancer_id', 'enabled', 'protocol', 'default_pool_id', 'operating_status'])
            .where('load_balancer_id', 'in', lbIds).orderBy('id').execute(),
          executor.selectFrom('pool').leftJoin('member', 'member.pool_id', 'pool.id')
            .select(['pool.id', 'pool.load_balancer_id', 'pool.operating_status', 'member.id as member_id', 'member.enabled as member_enabled',
              'member.operating_status as member_operating_status'])
            .where('pool.load_balancer_id', 'in', lbIds).orderBy('pool.id').orderBy('member.id').execute(),
        ])
        for (const { load_balancer_id, ...listener } of listeners) loadBalancers.get(load_balancer_id!)!.listeners.push(listener)
        let pool: HealthPool | undefined
        for (const row of members) {
          if (pool?.id !== row.id) {
            pool = { id: row.id, operating_status: row.operating_status, members: [] }
            loadBalancers.get(row.load_balancer_id!)!.pools.push(pool)
          }
          if (row.member_id !== null) pool.members.push({ id: row.member_id, enabled: row.member_enabled!, operating_status: row.member_operating_status! })
        }
      }
    }
    return { amphorae, loadBalancers }
  }

  /**
   * The load balancers (any provisioning status) whose updated_at is after `since`, in one
   * indexed query: every API change under a load balancer moves it to PENDING_UPDATE and back,
   * so one missing here has the listeners, pools and members it had at `since`.
   */
  async loadBalancersChangedSince(since: Date, executor: Executor = this.db.kysely): Promise<LoadBalancerStamp[]> {
    return executor.selectFrom('load_balancer').select(['id', 'provisioning_status', 'updated_at']).where('updated_at', '>', since).execute()
  }

  /**
   * Writes operating statuses, one UPDATE per table and status: load balancers first, then
   * listeners, pools, members (the order the API locks them in), ids sorted, so concurrent
   * writers wait for each other instead of deadlocking. updated_at moves as with any change.
   */
  async writeOperatingStatuses(changes: readonly OperatingStatusChange[], executor: Executor = this.db.kysely): Promise<void> {
    if (changes.length === 0) return
    const at = this.clock.now()
    for (const table of HEALTH_TABLES) {
      const byStatus = groupBy(changes.filter((c) => c.table === table), (c) => c.status)
      for (const [status, group] of [...byStatus].sort(([a], [b]) => a.localeCompare(b))) {
        for (const ids of chunks(group.map((c) => c.id).sort())) {
          await executor.updateTable(table as 'load_balancer').set({ operating_status: status, updated_at: at }).where('id', 'in', ids).execute()
        }
      }
    }
  }

  /** spec/heartbeat.md §5.3: creates or refreshes amphora_health rows (busy untouched), one statement per chunk. */
  async refreshHealth(amphoraIds: readonly string[], at: Date = this.clock.now(), executor: Executor = this.db.kysely): Promise<void> {
    for (const ids of chunks([...new Set(amphoraIds)].sort())) {
      const insert = executor.insertInto('amphora_health').values(ids.map((amphora_id) => ({ amphora_id, last_update: at, busy: false })))
      if (this.db.engine === 'mysql') await insert.onDuplicateKeyUpdate({ last_update: at }).execute()
      else await insert.onConflict((oc) => oc.column('amphora_id').doUpdateSet({ last_update: at })).execute()
    }
  }

  /**
   * spec/heartbeat.md §4, stats_db: delta records add their bytes, totals and errors to the stored
   * row and replace active_connections; absolute records replace the row; a missing row is inserted.
   */
  async addListenerStatistics(records: readonly ListenerStatisticsRecord[], executor: Executor = this.db.kysely): Promise<void> {
    const sorted = [...records].sort((a, b) => a.listener_id.localeCompare(b.listener_id) || a.amphora_id.localeCompare(b.amphora_id))
    const mysql = this.db.engine === 'mysql'
    for (const mode of ['delta', 'absolute'] as const) {
      for (const group of chunks(sorted.filter((r) => r.mode === mode))) {
        const insert = executor.insertInto('listener_statistics').values(group.map(({ mode: _, ...row }) => row))
        const added = (column: 'bytes_in' | 'bytes_out' | 'total_connections' | 'request_errors') => mode === 'absolute'
          ? (mysql ? sql<number>`values(${sql.ref(column)})` : sql<number>`excluded.${sql.ref(column)}`)
          : (mysql ? sql<number>`${sql.ref(column)} + values(${sql.ref(column)})` : sql<number>`listener_statistics.${sql.ref(column)} + excluded.${sql.ref(column)}`)
        const set = {
          bytes_in: added('bytes_in'), bytes_out: added('bytes_out'), total_connections: added('total_connections'),
          request_errors: added('request_errors'),
          active_connections: mysql ? sql<number>`values(active_connections)` : sql<number>`excluded.active_connections`,
        }
        if (mysql) await insert.onDuplicateKeyUpdate(set).execute()
        else await insert.onConflict((oc) => oc.columns(['listener_id', 'amphora_id']).doUpdateSet(set)).execute()
      }
    }
  }
}
