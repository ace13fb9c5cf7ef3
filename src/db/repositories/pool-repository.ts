import type { Insertable, Selectable, Updateable } from 'kysely'
import { newId } from '../../common/ids.ts'
import type { OperatingStatus, ProvisioningStatus } from '../../common/statuses.ts'
import type { Executor } from '../database.ts'
import type { PoolTable, SessionPersistenceTable } from '../schema.ts'
import { inTransaction } from './in-transaction.ts'
import { inIdOrder, StatusRepository } from './status-repository.ts'
import { listenersUsingPool } from './pool-usage.ts'
import { setProvisioningStatus } from './provisioning-status.ts'
import { deleteTags, readTags, replaceTags } from './tags.ts'

export type PoolRow = Selectable<PoolTable>
export type SessionPersistence = Omit<Selectable<SessionPersistenceTable>, 'pool_id'>

/** A pool with what the API shows of it. */
export interface Pool extends PoolRow {
  session_persistence: SessionPersistence | null
  tags: string[]
  /** Oldest first. */
  member_ids: string[]
  healthmonitor_id: string | null
  /** The listeners using the pool (pool-usage.ts), oldest first. */
  listener_ids: string[]
}

export interface NewPool extends Omit<Insertable<PoolTable>,
  'id' | 'created_at' | 'updated_at' | 'enabled' | 'provisioning_status' | 'operating_status'> {
  id?: string
  /** Default true. */
  enabled?: boolean
  /** Default PENDING_CREATE / OFFLINE (spec/api-v2.md §6.2). */
  provisioning_status?: ProvisioningStatus
  operating_status?: OperatingStatus
  session_persistence?: SessionPersistence | null
  tags?: readonly string[]
}

/** Fields an update may change; statuses change only through the status methods. */
export interface PoolChanges extends Omit<Updateable<PoolTable>,
  'id' | 'created_at' | 'updated_at' | 'provisioning_status' | 'operating_status' | 'load_balancer_id' | 'project_id' | 'protocol'> {
  /** Replaces the stored persistence; null removes it; absent leaves it. */
  session_persistence?: SessionPersistence | null
  tags?: readonly string[]
}

/** What the pool API needs to know of a listener (the listener resource owns the rest). */
export interface ListenerRef {
  id: string
  project_id: string | null
  load_balancer_id: string | null
  protocol: string
  default_pool_id: string | null
  provisioning_status: ProvisioningStatus
}

/**
 * Pools with their session persistence and tags. Members and health monitors belong to their
 * own repositories; a pool only reads their ids and removes them with itself.
 */
export class PoolRepository extends StatusRepository<Pool> {
  protected readonly table = 'pool' as const

  /** Inserts the pool, its session persistence and tags in one transaction. */
  async create(input: NewPool, executor?: Executor): Promise<Pool> {
    const { session_persistence: persistence, tags = [], ...fields } = input
    const id = input.id ?? newId()
    return inTransaction(this.db, executor, async (trx) => {
      await trx.insertInto('pool').values({
        ...fields,
        id,
        enabled: input.enabled ?? true,
        provisioning_status: input.provisioning_status ?? 'PENDING_CREATE',
        operating_status: input.operating_status ?? 'OFFLINE',
        created_at: this.clock.now(),
        updated_at: null,
      }).execute()
      if (persistence) await trx.insertInto('session_persistence').values({ ...persistence, pool_id: id }).execute()
      await replaceTags(trx, id, tags)
      const created = await this.get(id, trx)
      if (!created) throw new Error(`pool ${id} vanished inside its own transaction`)
      return created
    })
  }


  /** The ids of the LB's pools, oldest first. */
  async idsOfLoadBalancer(loadBalancerId: string, executor: Executor = this.db.kysely): Promise<string[]> {
    const rows = await executor.selectFrom('pool').select('id').where('load_balancer_id', '=', loadBalancerId)
      .orderBy('created_at').orderBy('id').execute()
    return rows.map((row) => row.id)
  }

  /** The pools with these ids, in the order given (missing ids are skipped); one query per related table. */
  async getMany(ids: readonly string[], executor: Executor = this.db.kysely): Promise<Pool[]> {
    if (ids.length === 0) return []
    const rows = await executor.selectFrom('pool').selectAll().where('id', 'in', [...ids]).execute()
    return inIdOrder(ids, await this.#withRelations(executor, rows))
  }

  /** Writes the given fields (and updated_at); resolves whether the pool exists. */
  async update(id: string, changes: PoolChanges, executor?: Executor): Promise<boolean> {
    const { session_persistence: persistence, tags, ...fields } = changes
    return inTransaction(this.db, executor, async (trx) => {
      const { numUpdatedRows } = await trx.updateTable('pool').set({ ...fields, updated_at: this.clock.now() })
        .where('id', '=', id).executeTakeFirst()
      if (numUpdatedRows === 0n) return false
      if (persistence !== undefined) {
        await trx.deleteFrom('session_persistence').where('pool_id', '=', id).execute()
        if (persistence !== null) await trx.insertInto('session_persistence').values({ ...persistence, pool_id: id }).execute()
      }
      if (tags !== undefined) await replaceTags(trx, id, tags)
      return true
    })
  }


  /**
   * The end of a delete flow (spec/flows.md §6.1): removes the pool with its members, health
   * monitor and session persistence (the database cascades), their tags, and clears the
   * default_pool_id of the listeners that used it. Resolves false when it was already gone.
   */
  async delete(id: string, executor?: Executor): Promise<boolean> {
    return inTransaction(this.db, executor, async (trx) => {
      const members = await trx.selectFrom('member').select('id').where('pool_id', '=', id).execute()
      const monitors = await trx.selectFrom('health_monitor').select('id').where('pool_id', '=', id).execute()
      // The foreign key would set it null too; saying so keeps updated_at honest.
      await trx.updateTable('listener').set({ default_pool_id: null, updated_at: this.clock.now() })
        .where('default_pool_id', '=', id).execute()
      const { numDeletedRows } = await trx.deleteFrom('pool').where('id', '=', id).executeTakeFirst()
      await deleteTags(trx, [id, ...members.map((m) => m.id), ...monitors.map((m) => m.id)])
      return numDeletedRows > 0n
    })
  }

  /** The first L7 policy (any status) redirecting to the pool: a pool delete is refused while one exists. */
  async l7PolicyRedirectingTo(id: string, executor: Executor = this.db.kysely): Promise<string | undefined> {
    const row = await executor.selectFrom('l7policy').select('id').where('redirect_pool_id', '=', id)
      .orderBy('created_at').orderBy('id').limit(1).executeTakeFirst()
    return row?.id
  }

  /** The listeners that follow the pool's changes (spec/api-v2.md §6.2 note 1). */
  listenersUsing(id: string, executor: Executor = this.db.kysely): Promise<string[]> {
    return listenersUsingPool(executor, id)
  }

  async listener(id: string, executor: Executor = this.db.kysely): Promise<ListenerRef | undefined> {
    return executor.selectFrom('listener').select(['id', 'project_id', 'load_balancer_id', 'protocol', 'default_pool_id', 'provisioning_status'])
      .where('id', '=', id).executeTakeFirst()
  }

  /** Makes the pool the listener's default pool; resolves false when the listener is not on `loadBalancerId`. */
  async setDefaultPoolOf(listenerId: string, loadBalancerId: string, poolId: string, executor: Executor = this.db.kysely): Promise<boolean> {
    const { numUpdatedRows } = await executor.updateTable('listener').set({ default_pool_id: poolId, updated_at: this.clock.now() })
      .where('id', '=', listenerId).where('load_balancer_id', '=', loadBalancerId).executeTakeFirst()
    return numUpdatedRows > 0n
  }

  /** Sets each listener's provisioning status, only from `from` when given. */
  async setListenersProvisioningStatus(ids: readonly string[], to: ProvisioningStatus,
    options: { from?: ProvisioningStatus | readonly ProvisioningStatus[] } = {}, executor: Executor = this.db.kysely): Promise<void> {
    for (const id of ids) await setProvisioningStatus(executor, 'listener', id, to, { ...options, at: this.clock.now() })
  }

  /** listenersUsingPool (pool-usage.ts) for many pools in two queries; the repository test holds them equal. */
  async #listenersUsingMany(executor: Executor, poolIds: readonly string[]): Promise<Map<string, string[]>> {
    const [byDefault, byPolicy] = await Promise.all([
      executor.selectFrom('listener').select(['listener.id', 'listener.created_at', 'listener.default_pool_id as pool_id'])
        .where('listener.default_pool_id', 'in', [...poolIds]).execute(),
      executor.selectFrom('l7policy').innerJoin('listener', 'listener.id', 'l7policy.listener_id')
        .select(['listener.id', 'listener.created_at', 'l7policy.redirect_pool_id as pool_id'])
        .where('l7policy.redirect_pool_id', 'in', [...poolIds])
        .where('l7policy.enabled', '=', true)
        .where((eb) => eb.exists(eb.selectFrom('l7rule').select('l7rule.id').whereRef('l7rule.l7policy_id', '=', 'l7policy.id')))
        .execute(),
    ])
    const found = new Map<string, Map<string, Date>>()
    for (const row of [...byDefault, ...byPolicy]) {
      if (row.pool_id === null) continue
      const listeners = found.get(row.pool_id) ?? new Map<string, Date>()
      listeners.set(row.id, row.created_at)
      found.set(row.pool_id, listeners)
    }
    const result = new Map<string, string[]>()
    for (const [poolId, listeners] of found) {
      const ordered = [...listeners].sort(([a, at], [b, bt]) => at.getTime() - bt.getTime() || (a < b ? -1 : a > b ? 1 : 0))
      result.set(poolId, ordered.map(([id]) => id))
    }
    return result
  }

  async #withRelations(executor: Executor, rows: PoolRow[]): Promise<Pool[]> {
    if (rows.length === 0) return []
    const ids = rows.map((r) => r.id)
    const [persistences, tags, members, monitors, listeners] = await Promise.all([
      executor.selectFrom('session_persistence').selectAll().where('pool_id', 'in', ids).execute(),
      readTags(executor, ids),
      executor.selectFrom('member').select(['id', 'pool_id']).where('pool_id', 'in', ids).orderBy('created_at').orderBy('id').execute(),
      executor.selectFrom('health_monitor').select(['id', 'pool_id']).where('pool_id', 'in', ids).execute(),
      this.#listenersUsingMany(executor, ids),
    ])
    const persistenceById = new Map(persistences.map(({ pool_id, ...sp }) => [pool_id, sp]))
    const monitorById = new Map(monitors.map((m) => [m.pool_id, m.id]))
    const memberIds = new Map<string, string[]>()
    for (const m of members) {
      const group = memberIds.get(m.pool_id)
      if (group) group.push(m.id)
      else memberIds.set(m.pool_id, [m.id])
    }
    return rows.map((row) => ({
      ...row,
      session_persistence: persistenceById.get(row.id) ?? null,
      tags: tags.get(row.id) ?? [],
      member_ids: memberIds.get(row.id) ?? [],
      healthmonitor_id: monitorById.get(row.id) ?? null,
      listener_ids: listeners.get(row.id) ?? [],
    }))
  }
}
