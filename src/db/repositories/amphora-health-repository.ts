import type { Clock } from '../../common/clock.ts'
import type { ProvisioningStatus } from '../../common/statuses.ts'
import type { Database, Executor, Transaction } from '../database.ts'
import type { Schema } from '../schema.ts'

// The health manager's stale-amphora scan (spec/heartbeat.md §6.2) over amphora_health and
// amphora: recovery from FAILOVER_STOPPED, the expired set, the circuit breaker, and the claim
// that makes exactly one of several health managers fail an amphora over.

/** Only these are failed over automatically (§6.2 step 4). */
export const FAILOVER_CANDIDATE_STATUSES = ['ALLOCATED', 'FAILOVER_STOPPED'] as const satisfies readonly ProvisioningStatus[]

export interface ExpiredAmphora {
  amphora_id: string
  /** Null when the health row names an amphora we do not have. */
  status: ProvisioningStatus | null
  load_balancer_id: string | null
}

export interface ClaimedAmphora {
  id: string
  status: ProvisioningStatus
  load_balancer_id: string | null
}

export class AmphoraHealthRepository {
  constructor(private readonly db: Database, private readonly clock: Clock) {}

  /** §6.2 step 1: FAILOVER_STOPPED amphorae heard from since `since`, and not busy, go back to ALLOCATED. */
  async recoverStopped(since: Date, executor: Executor = this.db.kysely): Promise<number> {
    const heard = executor.selectFrom('amphora_health').select('amphora_id').where('busy', '=', false).where('last_update', '>=', since)
    const { numUpdatedRows } = await executor.updateTable('amphora').set({ status: 'ALLOCATED', updated_at: this.clock.now() })
      .where('status', '=', 'FAILOVER_STOPPED').where('id', 'in', heard).executeTakeFirst()
    return Number(numUpdatedRows)
  }

  /** §6.2 step 2: health rows not busy whose last heartbeat is before `olderThan`, whatever the amphora's status. */
  expired(olderThan: Date, executor: Executor = this.db.kysely): Promise<ExpiredAmphora[]> {
    return executor.selectFrom('amphora_health').leftJoin('amphora', 'amphora.id', 'amphora_health.amphora_id')
      .select(['amphora_health.amphora_id', 'amphora.status', 'amphora.load_balancer_id'])
      .where('amphora_health.busy', '=', false).where('amphora_health.last_update', '<', olderThan)
      .orderBy('amphora_health.last_update').orderBy('amphora_health.amphora_id').execute()
  }

  /** §6.2 step 3, the circuit breaker: these amphorae become FAILOVER_STOPPED unless being deleted or gone. */
  async stopFailovers(amphoraIds: readonly string[], executor: Executor = this.db.kysely): Promise<number> {
    if (amphoraIds.length === 0) return 0
    const { numUpdatedRows } = await executor.updateTable('amphora').set({ status: 'FAILOVER_STOPPED', updated_at: this.clock.now() })
      .where('id', 'in', [...amphoraIds]).where('status', 'not in', ['DELETED', 'PENDING_DELETE', 'FAILOVER_STOPPED']).executeTakeFirst()
    return Number(numUpdatedRows)
  }

  /**
   * Claims one expired amphora for failover inside the caller's transaction (§6.2 step 4): the
   * amphora must still be a candidate (its row locked on MySQL/PostgreSQL) and its health row
   * still expired and not busy; the health row becomes busy in one guarded UPDATE, so of several
   * health managers exactly one wins. Undefined when another got there first.
   */
  async claim(trx: Transaction<Schema>, amphoraId: string, olderThan: Date): Promise<ClaimedAmphora | undefined> {
    let select = trx.selectFrom('amphora').select(['id', 'status', 'load_balancer_id'])
      .where('id', '=', amphoraId).where('status', 'in', [...FAILOVER_CANDIDATE_STATUSES])
    if (this.db.engine !== 'sqlite') select = select.forUpdate()
    const amphora = await select.executeTakeFirst()
    if (!amphora) return undefined
    const { numUpdatedRows } = await trx.updateTable('amphora_health').set({ busy: true })
      .where('amphora_id', '=', amphoraId).where('busy', '=', false).where('last_update', '<', olderThan).executeTakeFirst()
    return numUpdatedRows === 1n ? amphora : undefined
  }
}
