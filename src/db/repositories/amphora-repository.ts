import type { Insertable, Selectable, Updateable } from 'kysely'
import type { Clock } from '../../common/clock.ts'
import { newId } from '../../common/ids.ts'
import type { ProvisioningStatus } from '../../common/statuses.ts'
import type { Database, Executor } from '../database.ts'
import type { AmphoraHealthTable, AmphoraTable } from '../schema.ts'
import { inTransaction } from './in-transaction.ts'
import { inIdOrder } from './status-repository.ts'

export type Amphora = Selectable<AmphoraTable>
export type AmphoraHealth = Selectable<AmphoraHealthTable>

export interface NewAmphora extends Omit<Insertable<AmphoraTable>, 'id' | 'created_at' | 'updated_at' | 'status'> {
  id?: string
  /** Default PENDING_CREATE. */
  status?: ProvisioningStatus
}

export type AmphoraChanges = Omit<Updateable<AmphoraTable>, 'updated_at' | 'status'>

/** One listener's counters as an amphora reported them (spec/api-v2.md §15, amphora stats). */
export interface AmphoraListenerStatistics {
  /** The amphora's id. */
  id: string
  loadbalancer_id: string | null
  listener_id: string
  active_connections: number
  bytes_in: number
  bytes_out: number
  request_errors: number
  total_connections: number
}

export interface AmphoraFilter {
  load_balancer_id?: string
  compute_id?: string
  role?: string
  status?: ProvisioningStatus
  /** DELETED amphorae are left out unless asked for (spec/api-v2.md §15). */
  include_deleted?: boolean
}

/** Amphorae and their health records (last heartbeat, busy flag for the health manager). */
export class AmphoraRepository {
  constructor(private readonly db: Database, private readonly clock: Clock) {}

  async create(input: NewAmphora, executor: Executor = this.db.kysely): Promise<Amphora> {
    const { id = newId(), status = 'PENDING_CREATE', ...fields } = input
    await executor.insertInto('amphora').values({ ...fields, id, status, created_at: this.clock.now(), updated_at: null }).execute()
    const created = await this.get(id, executor)
    if (!created) throw new Error(`amphora ${id} vanished after its insert`)
    return created
  }

  get(id: string, executor: Executor = this.db.kysely): Promise<Amphora | undefined> {
    return executor.selectFrom('amphora').selectAll().where('id', '=', id).executeTakeFirst()
  }

  /** The amphorae with these ids, in the order given (missing ids are skipped), in one query. */
  async getMany(ids: readonly string[], executor: Executor = this.db.kysely): Promise<Amphora[]> {
    if (ids.length === 0) return []
    return inIdOrder(ids, await executor.selectFrom('amphora').selectAll().where('id', 'in', [...ids]).execute())
  }

  /** Amphorae matching every given field, oldest first. */
  list(filter: AmphoraFilter = {}, executor: Executor = this.db.kysely): Promise<Amphora[]> {
    let query = executor.selectFrom('amphora').selectAll()
    if (filter.load_balancer_id !== undefined) query = query.where('load_balancer_id', '=', filter.load_balancer_id)
    if (filter.compute_id !== undefined) query = query.where('compute_id', '=', filter.compute_id)
    if (filter.role !== undefined) query = query.where('role', '=', filter.role)
    if (filter.status !== undefined) query = query.where('status', '=', filter.status)
    if (!filter.include_deleted) query = query.where('status', '!=', 'DELETED')
    return query.orderBy('created_at').orderBy('id').execute()
  }

  async update(id: string, changes: AmphoraChanges, executor: Executor = this.db.kysely): Promise<boolean> {
    const { numUpdatedRows } = await executor.updateTable('amphora').set({ ...changes, updated_at: this.clock.now() })
      .where('id', '=', id).executeTakeFirst()
    return numUpdatedRows > 0n
  }

  /** Compare-and-set of `status`: resolves whether it changed (only from `from` when given). */
  async setStatus(id: string, to: ProvisioningStatus, options: { from?: ProvisioningStatus | readonly ProvisioningStatus[] } = {},
    executor: Executor = this.db.kysely): Promise<boolean> {
    const from = options.from === undefined ? undefined : Array.isArray(options.from) ? options.from : [options.from]
    if (from !== undefined && from.length === 0) return false
    let query = executor.updateTable('amphora').set({ status: to, updated_at: this.clock.now() }).where('id', '=', id)
    if (from !== undefined) query = query.where('status', 'in', [...from] as ProvisioningStatus[])
    const { numUpdatedRows } = await query.executeTakeFirst()
    return numUpdatedRows > 0n
  }

  /**
   * The per-listener counters the amphora reported, by listener id; empty for an unknown
   * amphora or one that reported nothing. `loadbalancer_id` is the amphora's own LB.
   */
  async statistics(id: string, executor: Executor = this.db.kysely): Promise<AmphoraListenerStatistics[]> {
    const rows = await executor.selectFrom('listener_statistics')
      .innerJoin('amphora', 'amphora.id', 'listener_statistics.amphora_id')
      .select(['listener_statistics.amphora_id', 'amphora.load_balancer_id', 'listener_statistics.listener_id',
        'listener_statistics.active_connections', 'listener_statistics.bytes_in', 'listener_statistics.bytes_out',
        'listener_statistics.request_errors', 'listener_statistics.total_connections'])
      .where('listener_statistics.amphora_id', '=', id).orderBy('listener_statistics.listener_id').execute()
    return rows.map((row) => ({
      id: row.amphora_id, loadbalancer_id: row.load_balancer_id, listener_id: row.listener_id,
      active_connections: Number(row.active_connections), bytes_in: Number(row.bytes_in), bytes_out: Number(row.bytes_out),
      request_errors: Number(row.request_errors), total_connections: Number(row.total_connections),
    }))
  }

  /** Forgets the member-network ports plugged into the amphora; resolves how many there were. */
  async deleteMemberPorts(amphoraId: string, executor: Executor = this.db.kysely): Promise<number> {
    const { numDeletedRows } = await executor.deleteFrom('amphora_member_port').where('amphora_id', '=', amphoraId).executeTakeFirst()
    return Number(numDeletedRows)
  }

  /** Soft delete at the end of the delete flow; housekeeping purges the row later. */
  markDeleted(id: string, executor?: Executor): Promise<boolean> {
    return this.setStatus(id, 'DELETED', {}, executor)
  }

  /** Purges the amphora with its member ports (cascade), health record and build request. */
  delete(id: string, executor?: Executor): Promise<boolean> {
    return inTransaction(this.db, executor, async (trx) => {
      await trx.deleteFrom('amphora_health').where('amphora_id', '=', id).execute()
      await trx.deleteFrom('amphora_build_request').where('amphora_id', '=', id).execute()
      const { numDeletedRows } = await trx.deleteFrom('amphora').where('id', '=', id).executeTakeFirst()
      return numDeletedRows > 0n
    })
  }

  /** Notes a heartbeat: one upsert statement, cheap enough for every heartbeat received. */
  async recordHeartbeat(amphoraId: string, at: Date = this.clock.now(), executor: Executor = this.db.kysely): Promise<void> {
    const insert = executor.insertInto('amphora_health').values({ amphora_id: amphoraId, last_update: at, busy: false })
    if (this.db.engine === 'mysql') await insert.onDuplicateKeyUpdate({ last_update: at }).execute()
    else await insert.onConflict((oc) => oc.column('amphora_id').doUpdateSet({ last_update: at })).execute()
  }

  getHealth(amphoraId: string, executor: Executor = this.db.kysely): Promise<AmphoraHealth | undefined> {
    return executor.selectFrom('amphora_health').selectAll().where('amphora_id', '=', amphoraId).executeTakeFirst()
  }

  /**
   * Marks up to `limit` amphorae whose last heartbeat is older than `olderThan` and that no
   * one is handling as busy, and resolves their ids: the caller fails them over, then clears
   * busy. Concurrent health managers never get the same amphora.
   */
  async claimStale(olderThan: Date, limit: number): Promise<string[]> {
    return this.db.transaction(async (trx) => {
      let query = trx.selectFrom('amphora_health').select('amphora_id').where('busy', '=', false)
        .where('last_update', '<', olderThan).orderBy('last_update').limit(limit)
      if (this.db.engine !== 'sqlite') query = query.forUpdate().skipLocked()
      const ids = (await query.execute()).map((r) => r.amphora_id)
      if (ids.length === 0) return []
      await trx.updateTable('amphora_health').set({ busy: true }).where('amphora_id', 'in', ids).where('busy', '=', false).execute()
      return ids
    })
  }

  async clearBusy(amphoraId: string, executor: Executor = this.db.kysely): Promise<boolean> {
    const { numUpdatedRows } = await executor.updateTable('amphora_health').set({ busy: false })
      .where('amphora_id', '=', amphoraId).executeTakeFirst()
    return numUpdatedRows > 0n
  }

  async deleteHealth(amphoraId: string, executor: Executor = this.db.kysely): Promise<boolean> {
    const { numDeletedRows } = await executor.deleteFrom('amphora_health').where('amphora_id', '=', amphoraId).executeTakeFirst()
    return numDeletedRows > 0n
  }
}
