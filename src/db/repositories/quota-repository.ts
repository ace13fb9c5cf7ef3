import type { Selectable } from 'kysely'
import type { Database, Executor, Transaction } from '../database.ts'
import type { QuotasTable, Schema } from '../schema.ts'

/**
 * Quota kinds by column name (API: loadbalancer = load_balancer, healthmonitor = health_monitor).
 * Each is also the name of the table holding the objects it limits.
 */
export const QUOTA_RESOURCES = ['load_balancer', 'listener', 'pool', 'health_monitor', 'member', 'l7policy', 'l7rule'] as const
export type QuotaResource = (typeof QUOTA_RESOURCES)[number]

/** Per kind: a limit, -1 = unlimited, null = the deployment default. */
export type QuotaLimits = Record<QuotaResource, number | null>
export type Quota = Selectable<QuotasTable>

/**
 * Per-project quota records (the limits; the in_use_* columns are not used: usage is counted
 * from the objects themselves, see countInUse). A create locks its project's record for the rest
 * of its transaction, so concurrent creates in one project cannot both slip under the limit
 * (spec/api-v2.md §14.3).
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
    // Counted by match, not by change: MySQL reports 0 changed rows for a record already all-default.
    if (!await this.get(projectId, executor)) return false
    const nulls = Object.fromEntries(QUOTA_RESOURCES.map((r) => [r, null]))
    await executor.updateTable('quotas').set(nulls).where('project_id', '=', projectId).execute()
    return true
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
   * The project's objects of one kind that count against its quota: every row not DELETED,
   * PENDING_DELETE included, until the worker has really removed it (spec/api-v2.md §14.3).
   * Read under lockForUpdate, this sees every object committed by the project's earlier creates
   * (MySQL sessions run READ COMMITTED, as PostgreSQL does by default; see create-database.ts).
   */
  async countInUse(projectId: string, resource: QuotaResource, executor: Executor = this.db.kysely): Promise<number> {
    const row = await executor.selectFrom(resource)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('project_id', '=', projectId)
      .where('provisioning_status', '<>', 'DELETED')
      .executeTakeFirstOrThrow()
    return Number(row.n)
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
