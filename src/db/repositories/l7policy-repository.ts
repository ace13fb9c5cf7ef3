import type { Insertable, Selectable, Updateable } from 'kysely'
import { newId } from '../../common/ids.ts'
import type { OperatingStatus, ProvisioningStatus } from '../../common/statuses.ts'
import type { Executor } from '../database.ts'
import type { L7PolicyTable } from '../schema.ts'
import { inTransaction } from './in-transaction.ts'
import { inIdOrder, StatusRepository } from './status-repository.ts'
import { deleteTags, readTags, replaceTags } from './tags.ts'

/** The highest position a policy may ask for (spec/api-v2.md §13.1): "the end of the list". */
export const MAX_POLICY_POSITION = 2_147_483_647

export type L7PolicyRow = Selectable<L7PolicyTable>

/** An L7 policy with what the API shows of it. */
export interface L7Policy extends L7PolicyRow {
  /** The load balancer of its listener. */
  load_balancer_id: string | null
  tags: string[]
  /** Its rules, oldest first. */
  rule_ids: string[]
}

export interface NewL7Policy extends Omit<Insertable<L7PolicyTable>,
  'id' | 'created_at' | 'updated_at' | 'enabled' | 'position' | 'provisioning_status' | 'operating_status'> {
  id?: string
  /** Default true. */
  enabled?: boolean
  /** Requested position, 1-based; past the end (or absent) means last (spec/api-v2.md §13.3). */
  position?: number
  /** Default PENDING_CREATE / OFFLINE (spec/api-v2.md §6.2). */
  provisioning_status?: ProvisioningStatus
  operating_status?: OperatingStatus
  tags?: readonly string[]
}

/** What an update may change: never the listener; statuses only through the status methods. */
export interface L7PolicyChanges extends Omit<Updateable<L7PolicyTable>,
  'id' | 'listener_id' | 'project_id' | 'created_at' | 'updated_at' | 'provisioning_status' | 'operating_status'> {
  tags?: readonly string[]
}

/**
 * L7 policies with their tags and rule ids. The policies of a listener keep positions 1..N
 * without gaps: every create, move and delete renumbers them (spec/api-v2.md §13.3). Callers
 * hold their load balancer's row lock, so no two renumberings of one listener interleave.
 */
export class L7PolicyRepository extends StatusRepository<L7Policy> {
  protected readonly table = 'l7policy' as const

  /** Inserts the policy at min(position, N+1), shifting later ones down, with its tags. */
  async create(input: NewL7Policy, executor?: Executor): Promise<L7Policy> {
    const { tags = [], position, ...fields } = input
    const id = input.id ?? newId()
    return inTransaction(this.db, executor, async (trx) => {
      await trx.insertInto('l7policy').values({
        ...fields,
        id,
        enabled: input.enabled ?? true,
        // Appended first, then moved where it was asked to go, as upstream does.
        position: MAX_POLICY_POSITION,
        provisioning_status: input.provisioning_status ?? 'PENDING_CREATE',
        operating_status: input.operating_status ?? 'OFFLINE',
        created_at: this.clock.now(),
        updated_at: null,
      }).execute()
      await this.#place(trx, input.listener_id, id, position ?? MAX_POLICY_POSITION)
      await replaceTags(trx, id, tags)
      const created = await this.get(id, trx)
      if (!created) throw new Error(`L7 policy ${id} vanished inside its own transaction`)
      return created
    })
  }

  /** The policies with these ids, in the order given (missing ids are skipped), in three queries. */
  async getMany(ids: readonly string[], executor: Executor = this.db.kysely): Promise<L7Policy[]> {
    if (ids.length === 0) return []
    const rows = await executor.selectFrom('l7policy').leftJoin('listener', 'listener.id', 'l7policy.listener_id')
      .selectAll('l7policy').select('listener.load_balancer_id').where('l7policy.id', 'in', [...ids]).execute()
    const found = rows.map((r) => r.id)
    if (found.length === 0) return []
    const [tags, rules] = await Promise.all([
      readTags(executor, found),
      executor.selectFrom('l7rule').select(['id', 'l7policy_id']).where('l7policy_id', 'in', found)
        .orderBy('created_at').orderBy('id').execute(),
    ])
    const ruleIds = new Map<string, string[]>()
    for (const rule of rules) ruleIds.set(rule.l7policy_id, [...(ruleIds.get(rule.l7policy_id) ?? []), rule.id])
    return inIdOrder(ids, rows.map((row) => ({ ...row, tags: tags.get(row.id) ?? [], rule_ids: ruleIds.get(row.id) ?? [] })))
  }

  /** The listener's policies in position order (any status). */
  async listByListener(listenerId: string, executor: Executor = this.db.kysely): Promise<L7Policy[]> {
    const rows = await executor.selectFrom('l7policy').select('id').where('listener_id', '=', listenerId)
      .orderBy('position').orderBy('created_at').orderBy('id').execute()
    return this.getMany(rows.map((r) => r.id), executor)
  }

  /**
   * Writes the given fields (and updated_at); a position moves the policy to min(position, N)
   * and renumbers the others. Resolves whether the policy exists.
   */
  async update(id: string, changes: L7PolicyChanges, executor?: Executor): Promise<boolean> {
    const { tags, position, ...fields } = changes
    return inTransaction(this.db, executor, async (trx) => {
      const row = await trx.selectFrom('l7policy').select(['listener_id', 'position']).where('id', '=', id).executeTakeFirst()
      if (!row) return false
      await trx.updateTable('l7policy').set({ ...fields, updated_at: this.clock.now() }).where('id', '=', id).execute()
      if (position !== undefined && position !== row.position) await this.#place(trx, row.listener_id, id, position)
      if (tags !== undefined) await replaceTags(trx, id, tags)
      return true
    })
  }

  /**
   * The end of a delete flow (spec/flows.md §6.5): the policy goes with its rules (the database
   * cascades) and every tag among them; the listener's remaining policies close up. Resolves
   * whether the policy existed.
   */
  async delete(id: string, executor?: Executor): Promise<boolean> {
    return inTransaction(this.db, executor, async (trx) => {
      const row = await trx.selectFrom('l7policy').select('listener_id').where('id', '=', id).executeTakeFirst()
      if (!row) return false
      const rules = await trx.selectFrom('l7rule').select('id').where('l7policy_id', '=', id).execute()
      await trx.deleteFrom('l7policy').where('id', '=', id).execute()
      await deleteTags(trx, [id, ...rules.map((r) => r.id)])
      await this.#renumber(trx, row.listener_id)
      return true
    })
  }

  /** How many rules the policy has, in any status (spec/api-v2.md §13.7: at most 50). */
  async ruleCount(id: string, executor: Executor = this.db.kysely): Promise<number> {
    const row = await executor.selectFrom('l7rule').select((eb) => eb.fn.countAll<number>().as('n'))
      .where('l7policy_id', '=', id).executeTakeFirstOrThrow()
    return Number(row.n)
  }

  /** Puts policy `id` at min(position, N) among the listener's N policies and renumbers them 1..N. */
  async #place(trx: Executor, listenerId: string, id: string, position: number): Promise<void> {
    const others = (await this.#ordered(trx, listenerId)).filter((p) => p.id !== id)
    const order = others.map((p) => p.id)
    order.splice(Math.min(position, others.length + 1) - 1, 0, id)
    await this.#write(trx, order, new Map([...others.map((p) => [p.id, p.position] as const)]))
  }

  /** Closes the gaps a removed policy left. */
  async #renumber(trx: Executor, listenerId: string): Promise<void> {
    const policies = await this.#ordered(trx, listenerId)
    await this.#write(trx, policies.map((p) => p.id), new Map(policies.map((p) => [p.id, p.position])))
  }

  #ordered(trx: Executor, listenerId: string): Promise<Array<{ id: string; position: number }>> {
    return trx.selectFrom('l7policy').select(['id', 'position']).where('listener_id', '=', listenerId)
      .orderBy('position').orderBy('created_at').orderBy('id').execute()
  }

  /**
   * Gives each policy of `order` its 1-based index as position. Rows whose position changes
   * count as modified (updated_at); the policy being placed (absent from `current`) keeps its
   * own updated_at, which its create or update already set.
   */
  async #write(trx: Executor, order: readonly string[], current: ReadonlyMap<string, number>): Promise<void> {
    const at = this.clock.now()
    for (const [index, id] of order.entries()) {
      const was = current.get(id)
      if (was === index + 1) continue
      await trx.updateTable('l7policy').set(was === undefined ? { position: index + 1 } : { position: index + 1, updated_at: at })
        .where('id', '=', id).execute()
    }
  }
}
