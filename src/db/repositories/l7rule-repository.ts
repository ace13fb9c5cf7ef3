import type { Insertable, Selectable, Updateable } from 'kysely'
import { newId } from '../../common/ids.ts'
import type { OperatingStatus, ProvisioningStatus } from '../../common/statuses.ts'
import type { Executor } from '../database.ts'
import type { L7RuleTable } from '../schema.ts'
import { inTransaction } from './in-transaction.ts'
import { inIdOrder, StatusRepository } from './status-repository.ts'
import { deleteTags, readTags, replaceTags } from './tags.ts'

export type L7RuleRow = Selectable<L7RuleTable>

/** An L7 rule with its tags (sorted). */
export interface L7Rule extends L7RuleRow {
  tags: string[]
}

export interface NewL7Rule extends Omit<Insertable<L7RuleTable>,
  'id' | 'created_at' | 'updated_at' | 'enabled' | 'provisioning_status' | 'operating_status'> {
  id?: string
  /** Default true. */
  enabled?: boolean
  /** Default PENDING_CREATE / OFFLINE (spec/api-v2.md §6.2). */
  provisioning_status?: ProvisioningStatus
  operating_status?: OperatingStatus
  tags?: readonly string[]
}

/** What an update may change: never the policy; statuses only through the status methods. */
export interface L7RuleChanges extends Omit<Updateable<L7RuleTable>,
  'id' | 'l7policy_id' | 'project_id' | 'created_at' | 'updated_at' | 'provisioning_status' | 'operating_status'> {
  tags?: readonly string[]
}

/** L7 rules with their tags. Every method takes an optional trailing executor (a transaction to join). */
export class L7RuleRepository extends StatusRepository<L7Rule> {
  protected readonly table = 'l7rule' as const

  async create(input: NewL7Rule, executor?: Executor): Promise<L7Rule> {
    const { tags = [], ...fields } = input
    const id = input.id ?? newId()
    return inTransaction(this.db, executor, async (trx) => {
      await trx.insertInto('l7rule').values({
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
      if (!created) throw new Error(`L7 rule ${id} vanished inside its own transaction`)
      return created
    })
  }

  /** The rules with these ids, in the order given (missing ids are skipped). */
  async getMany(ids: readonly string[], executor: Executor = this.db.kysely): Promise<L7Rule[]> {
    if (ids.length === 0) return []
    const rows = await executor.selectFrom('l7rule').selectAll().where('id', 'in', [...ids]).execute()
    const tags = await readTags(executor, rows.map((r) => r.id))
    return inIdOrder(ids, rows.map((row) => ({ ...row, tags: tags.get(row.id) ?? [] })))
  }

  /** Writes the given fields (and updated_at); resolves whether the rule exists. */
  async update(id: string, changes: L7RuleChanges, executor?: Executor): Promise<boolean> {
    const { tags, ...fields } = changes
    return inTransaction(this.db, executor, async (trx) => {
      const { numUpdatedRows } = await trx.updateTable('l7rule').set({ ...fields, updated_at: this.clock.now() })
        .where('id', '=', id).executeTakeFirst()
      if (numUpdatedRows === 0n) return false
      if (tags !== undefined) await replaceTags(trx, id, tags)
      return true
    })
  }

  /** Removes the rule and its tags (the end of its delete flow); resolves whether it existed. */
  async delete(id: string, executor?: Executor): Promise<boolean> {
    return inTransaction(this.db, executor, async (trx) => {
      const { numDeletedRows } = await trx.deleteFrom('l7rule').where('id', '=', id).executeTakeFirst()
      await deleteTags(trx, [id])
      return numDeletedRows > 0n
    })
  }
}
