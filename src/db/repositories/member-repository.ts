import type { Insertable, Selectable, Updateable } from 'kysely'
import { newId } from '../../common/ids.ts'
import type { OperatingStatus, ProvisioningStatus } from '../../common/statuses.ts'
import type { Executor } from '../database.ts'
import type { MemberTable } from '../schema.ts'
import { inTransaction } from './in-transaction.ts'
import { inIdOrder, StatusRepository } from './status-repository.ts'
import { deleteTags, readTags, replaceTags } from './tags.ts'

export type MemberRow = Selectable<MemberTable>

/** A member with its tags (sorted). */
export interface Member extends MemberRow {
  tags: string[]
}

export interface NewMember extends Omit<Insertable<MemberTable>,
  'id' | 'created_at' | 'updated_at' | 'enabled' | 'backup' | 'provisioning_status' | 'operating_status'> {
  id?: string
  /** Default true. */
  enabled?: boolean
  /** Default false. */
  backup?: boolean
  /** Default PENDING_CREATE. */
  provisioning_status?: ProvisioningStatus
  /** OFFLINE when the pool has a health monitor, else NO_MONITOR (spec/api-v2.md §6.2): the caller knows which. */
  operating_status: OperatingStatus
  tags?: readonly string[]
}

/** What an update may change: never the pool, address or port; statuses only through the status methods. */
export interface MemberChanges extends Omit<Updateable<MemberTable>,
  'id' | 'pool_id' | 'ip_address' | 'protocol_port' | 'created_at' | 'updated_at' | 'provisioning_status' | 'operating_status'> {
  tags?: readonly string[]
}

/**
 * Members of pools, with their tags. Every method takes an optional trailing executor (a
 * transaction to join).
 */
export class MemberRepository extends StatusRepository<Member> {
  protected readonly table = 'member' as const

  /** Inserts the member and its tags; a taken (pool, address, port) raises DuplicateEntry. */
  async create(input: NewMember, executor?: Executor): Promise<Member> {
    const { tags = [], ...fields } = input
    const id = input.id ?? newId()
    return inTransaction(this.db, executor, async (trx) => {
      await trx.insertInto('member').values({
        ...fields,
        id,
        enabled: input.enabled ?? true,
        backup: input.backup ?? false,
        provisioning_status: input.provisioning_status ?? 'PENDING_CREATE',
        created_at: this.clock.now(),
        updated_at: null,
      }).execute()
      await replaceTags(trx, id, tags)
      const created = await this.get(id, trx)
      if (!created) throw new Error(`member ${id} vanished inside its own transaction`)
      return created
    })
  }


  /** The members with these ids, in the order given (missing ids are skipped). */
  async getMany(ids: readonly string[], executor: Executor = this.db.kysely): Promise<Member[]> {
    if (ids.length === 0) return []
    const rows = await executor.selectFrom('member').selectAll().where('id', 'in', [...ids]).execute()
    return inIdOrder(ids, await this.#withTags(executor, rows))
  }

  /** The pool's members, oldest first. */
  async listByPool(poolId: string, executor: Executor = this.db.kysely): Promise<Member[]> {
    const rows = await executor.selectFrom('member').selectAll().where('pool_id', '=', poolId)
      .orderBy('created_at').orderBy('id').execute()
    return this.#withTags(executor, rows)
  }

  /** The pool's member at this address (compared as stored: as given) and port. */
  async findByAddress(poolId: string, ipAddress: string, protocolPort: number, executor: Executor = this.db.kysely): Promise<MemberRow | undefined> {
    return executor.selectFrom('member').selectAll().where('pool_id', '=', poolId)
      .where('ip_address', '=', ipAddress).where('protocol_port', '=', protocolPort).executeTakeFirst()
  }

  /** Writes the given fields (and updated_at); resolves whether the member exists. */
  async update(id: string, changes: MemberChanges, executor?: Executor): Promise<boolean> {
    const { tags, ...fields } = changes
    return inTransaction(this.db, executor, async (trx) => {
      const { numUpdatedRows } = await trx.updateTable('member').set({ ...fields, updated_at: this.clock.now() })
        .where('id', '=', id).executeTakeFirst()
      if (numUpdatedRows === 0n) return false
      if (tags !== undefined) await replaceTags(trx, id, tags)
      return true
    })
  }


  /** Sets the provisioning status of every member of the pool now in one of `from`; resolves how many changed. */
  async setPoolMembersProvisioningStatus(poolId: string, to: ProvisioningStatus, from: readonly ProvisioningStatus[],
    executor: Executor = this.db.kysely): Promise<number> {
    if (from.length === 0) return 0
    const { numUpdatedRows } = await executor.updateTable('member').set({ provisioning_status: to, updated_at: this.clock.now() })
      .where('pool_id', '=', poolId).where('provisioning_status', 'in', [...from]).executeTakeFirst()
    return Number(numUpdatedRows)
  }

  /** Every member of the pool gets this operating status (a deleted health monitor leaves them NO_MONITOR). */
  async setPoolMembersOperatingStatus(poolId: string, to: OperatingStatus, executor: Executor = this.db.kysely): Promise<number> {
    const { numUpdatedRows } = await executor.updateTable('member').set({ operating_status: to, updated_at: this.clock.now() })
      .where('pool_id', '=', poolId).executeTakeFirst()
    return Number(numUpdatedRows)
  }

  /** Removes the member and its tags (the end of its delete flow); resolves whether it existed. */
  async delete(id: string, executor?: Executor): Promise<boolean> {
    return inTransaction(this.db, executor, async (trx) => {
      const { numDeletedRows } = await trx.deleteFrom('member').where('id', '=', id).executeTakeFirst()
      await deleteTags(trx, [id])
      return numDeletedRows > 0n
    })
  }

  /** Removes the pool's PENDING_DELETE members and their tags (the batch update flow); resolves how many. */
  async deletePendingDeletes(poolId: string, executor?: Executor): Promise<number> {
    return inTransaction(this.db, executor, async (trx) => {
      const doomed = await trx.selectFrom('member').select('id').where('pool_id', '=', poolId)
        .where('provisioning_status', '=', 'PENDING_DELETE').execute()
      const ids = doomed.map((m) => m.id)
      if (ids.length === 0) return 0
      await trx.deleteFrom('member').where('id', 'in', ids).execute()
      await deleteTags(trx, ids)
      return ids.length
    })
  }

  async #withTags(executor: Executor, rows: MemberRow[]): Promise<Member[]> {
    const tags = await readTags(executor, rows.map((r) => r.id))
    return rows.map((row) => ({ ...row, tags: tags.get(row.id) ?? [] }))
  }
}
