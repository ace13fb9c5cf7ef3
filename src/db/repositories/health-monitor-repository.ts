import type { Insertable, Selectable, Updateable } from 'kysely'
import { newId } from '../../common/ids.ts'
import type { OperatingStatus, ProvisioningStatus } from '../../common/statuses.ts'
import type { Executor } from '../database.ts'
import type { HealthMonitorTable } from '../schema.ts'
import { inTransaction } from './in-transaction.ts'
import { inIdOrder, StatusRepository } from './status-repository.ts'
import { deleteTags, readTags, replaceTags } from './tags.ts'

export type HealthMonitorRow = Selectable<HealthMonitorTable>

/** A health monitor with its tags (sorted). Columns keep Octavia's names: max_retries = rise_threshold. */
export interface HealthMonitor extends HealthMonitorRow {
  tags: string[]
}

export interface NewHealthMonitor extends Omit<Insertable<HealthMonitorTable>,
  'id' | 'created_at' | 'updated_at' | 'enabled' | 'provisioning_status' | 'operating_status'> {
  id?: string
  /** Default true. */
  enabled?: boolean
  /** Default PENDING_CREATE / OFFLINE (spec/api-v2.md §6.2). */
  provisioning_status?: ProvisioningStatus
  operating_status?: OperatingStatus
  tags?: readonly string[]
}

/** What an update may change: never the type or the pool; statuses only through the status methods. */
export interface HealthMonitorChanges extends Omit<Updateable<HealthMonitorTable>,
  'id' | 'pool_id' | 'type' | 'created_at' | 'updated_at' | 'provisioning_status' | 'operating_status'> {
  tags?: readonly string[]
}

/** Health monitors (at most one per pool), with their tags. */
export class HealthMonitorRepository extends StatusRepository<HealthMonitor> {
  protected readonly table = 'health_monitor' as const

  /** Inserts the monitor and its tags; a pool that has one already raises DuplicateEntry (uq_health_monitor_pool_id). */
  async create(input: NewHealthMonitor, executor?: Executor): Promise<HealthMonitor> {
    const { tags = [], ...fields } = input
    const id = input.id ?? newId()
    return inTransaction(this.db, executor, async (trx) => {
      await trx.insertInto('health_monitor').values({
        ...fields,
        id,
        enabled: input.enabled ?? true,
        provisioning_status: input.provisioning_status ?? 'PENDING_CREATE',
        operating_status: input.operating_status ?? 'OFFLINE',
        created_at: this.clock.now(),
        updated_at: null,
      }).execute()
      await replaceTags(trx, id, tags)
      const created = await this.get(id, trx)
      if (!created) throw new Error(`health monitor ${id} vanished inside its own transaction`)
      return created
    })
  }


  /** The monitors with these ids, in the order given (missing ids are skipped). */
  async getMany(ids: readonly string[], executor: Executor = this.db.kysely): Promise<HealthMonitor[]> {
    if (ids.length === 0) return []
    const rows = await executor.selectFrom('health_monitor').selectAll().where('id', 'in', [...ids]).execute()
    const tags = await readTags(executor, rows.map((r) => r.id))
    return inIdOrder(ids, rows.map((row) => ({ ...row, tags: tags.get(row.id) ?? [] })))
  }

  /** Writes the given fields (and updated_at); resolves whether the monitor exists. */
  async update(id: string, changes: HealthMonitorChanges, executor?: Executor): Promise<boolean> {
    const { tags, ...fields } = changes
    return inTransaction(this.db, executor, async (trx) => {
      const { numUpdatedRows } = await trx.updateTable('health_monitor').set({ ...fields, updated_at: this.clock.now() })
        .where('id', '=', id).executeTakeFirst()
      if (numUpdatedRows === 0n) return false
      if (tags !== undefined) await replaceTags(trx, id, tags)
      return true
    })
  }


  /** Removes the monitor and its tags (the end of its delete flow); resolves whether it existed. */
  async delete(id: string, executor?: Executor): Promise<boolean> {
    return inTransaction(this.db, executor, async (trx) => {
      const { numDeletedRows } = await trx.deleteFrom('health_monitor').where('id', '=', id).executeTakeFirst()
      await deleteTags(trx, [id])
      return numDeletedRows > 0n
    })
  }
}
