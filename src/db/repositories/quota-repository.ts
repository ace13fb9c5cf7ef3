import type { Selectable } from 'kysely'
import type { Database, Executor, Transaction } from '../database.ts'
import { QuotaExceeded } from '../errors.ts'
import type { QuotasTable, Schema } from '../schema.ts'

/** Quota kinds by column name (API: loadbalancer = load_balancer, healthmonitor = health_monitor). */
export const QUOTA_RESOURCES = ['load_balancer', 'listener', 'pool', 'health_monitor', 'member', 'l7policy', 'l7rule'] as const
export type QuotaResource = (typeof QUOTA_RESOURCES)[number]

/** Per kind: a limit, -1 = unlimited, null = the deployment default. */
export type QuotaLimits = Record<QuotaResource, number | null>
export type Quota = Selectable<QuotasTable>

type InUseColumn = `in_use_${QuotaResource}`
const inUse = (resource: QuotaResource): InUseColumn => `in_use_${resource}`

/**
 * Per-project quota records: limits and in-use counters. Checks and counter changes happen
 * under a row lock on the project's record, so concurrent creates in one project cannot
 * both slip under the limit (spec/api-v2.md §14.3).
 */
export class QuotaRepository {
  constructor(private readonly db: Database) {}

  get(projectId: string, executor: Executor = this.db.kysely): Promise<Quota | undefined> {
    return executor.selectFrom('quotas').selectAll().where('project_id', '=', projectId).executeTakeFirst()
  }

  /** Stored records, by project id. */
  list(filter: { project_id?: string } = {}, executor: Executor = this.db.kysely): Promise<Quota[]> {
    let query = executor.selectFrom('quotas').selectAll()
    if (filter.project_id !== undefined) query = query.where('project_id', '=', filter.project_id)
    return query.orderBy('project_id').execute()
  }

  /** Stores the given kinds (null resets one to the default), creating the record if needed. */
  async set(projectId: string, limits: Partial<QuotaLimits>, executor: Executor = this.db.kysely): Promise<Quota> {
    await this.#ensure(executor, projectId)
    const changes = Object.fromEntries(QUOTA_RESOURCES.filter((r) => limits[r] !== undefined).map((r) => [r, limits[r]]))
    if (Object.keys(changes).length > 0) {
      await executor.updateTable('quotas').set(changes).where('project_id', '=', projectId).execute()
    }
    const stored = await this.get(projectId, executor)
    if (!stored) throw new Error(`quota record of ${projectId} vanished after its insert`)
    return stored
  }

  /** Resets every limit to the default; false when the project has no record. */
  async reset(projectId: string, executor: Executor = this.db.kysely): Promise<boolean> {
    const nulls = Object.fromEntries(QUOTA_RESOURCES.map((r) => [r, null]))
    const { numUpdatedRows } = await executor.updateTable('quotas').set(nulls).where('project_id', '=', projectId).executeTakeFirst()
    return numUpdatedRows > 0n
  }

  /**
   * Locks the project's record until the transaction ends, creating an all-default one
   * first if there is none. SQLite: the transaction's BEGIN IMMEDIATE already excludes
   * other writers, so a plain read suffices.
   */
  async lockForUpdate(trx: Transaction<Schema>, projectId: string): Promise<Quota> {
    await this.#ensure(trx, projectId)
    const query = trx.selectFrom('quotas').selectAll().where('project_id', '=', projectId)
    return (this.db.engine === 'sqlite' ? query : query.forUpdate()).executeTakeFirstOrThrow()
  }

  /**
   * Counts `count` more objects of `resource` against the project's limit (the stored one,
   * else `defaultLimit`; -1 = unlimited), or throws QuotaExceeded and changes nothing.
   */
  async reserve(trx: Transaction<Schema>, projectId: string, resource: QuotaResource, count: number, defaultLimit: number): Promise<Quota> {
    const quota = await this.lockForUpdate(trx, projectId)
    const limit = quota[resource] ?? defaultLimit
    const used = quota[inUse(resource)]
    if (limit !== -1 && used + count > limit) throw new QuotaExceeded(projectId, resource, limit, used)
    await trx.updateTable('quotas').set({ [inUse(resource)]: used + count }).where('project_id', '=', projectId).execute()
    return { ...quota, [inUse(resource)]: used + count }
  }

  /** Gives back `count` objects once they are really deleted; never below zero. */
  async release(projectId: string, resource: QuotaResource, count: number, executor: Executor = this.db.kysely): Promise<void> {
    const column = inUse(resource)
    await executor.updateTable('quotas')
      .set((eb) => ({ [column]: eb.case().when(column, '>', count).then(eb(column, '-', count)).else(0).end() }))
      .where('project_id', '=', projectId).execute()
  }

  async #ensure(executor: Executor, projectId: string): Promise<void> {
    const insert = executor.insertInto('quotas').values({ project_id: projectId })
    // Concurrent first uses of a project both try to create the record; the loser just moves on.
    // MySQL: a no-op ON DUPLICATE KEY UPDATE takes the row's exclusive lock straight away;
    // INSERT IGNORE would take a shared one, and two transactions upgrading shared locks
    // for the FOR UPDATE that follows deadlock.
    if (this.db.engine === 'mysql') await insert.onDuplicateKeyUpdate({ project_id: projectId }).execute()
    else await insert.onConflict((oc) => oc.column('project_id').doNothing()).execute()
  }
}
