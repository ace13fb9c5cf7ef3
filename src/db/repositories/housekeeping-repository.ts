import type { Clock } from '../../common/clock.ts'
import type { Database, Executor, Transaction } from '../database.ts'
import type { Schema } from '../schema.ts'
import type { Amphora } from './amphora-repository.ts'

// What housekeeping reads and writes (spec/operations.md §1-2): rows past their expiry age, the
// spare-pool row and counts, and the certificate-rotation claims on amphorae.

/** Amphorae without a load balancer in these statuses are spares, built or being built (operations.md §2). */
export const SPARE_STATUSES = ['READY', 'BOOTING', 'PENDING_CREATE'] as const

export class HousekeepingRepository {
  constructor(private readonly db: Database, private readonly clock: Clock) {}

  /** DELETED amphorae whose row last changed before `olderThan`, oldest first. */
  async deletedAmphorae(olderThan: Date, executor: Executor = this.db.kysely): Promise<string[]> {
    const rows = await executor.selectFrom('amphora').select('id').where('status', '=', 'DELETED')
      .where((eb) => eb(eb.fn.coalesce('updated_at', 'created_at'), '<', olderThan))
      .orderBy('created_at').orderBy('id').execute()
    return rows.map((r) => r.id)
  }

  /**
   * §1.1: purges a DELETED amphora older than `olderThan` unless its health row is newer (a zombie
   * instance still reporting), with its health row, build request, member ports (cascade) and
   * statistics; one transaction. Resolves whether it was purged.
   */
  purgeAmphora(id: string, olderThan: Date): Promise<boolean> {
    return this.db.transaction(async (trx) => {
      const fresh = await trx.selectFrom('amphora_health').select('amphora_id').where('amphora_id', '=', id)
        .where('last_update', '>=', olderThan).executeTakeFirst()
      if (fresh) return false
      const { numDeletedRows } = await trx.deleteFrom('amphora').where('id', '=', id).where('status', '=', 'DELETED')
        .where((eb) => eb(eb.fn.coalesce('updated_at', 'created_at'), '<', olderThan)).executeTakeFirst()
      if (numDeletedRows === 0n) return false
      await trx.deleteFrom('amphora_health').where('amphora_id', '=', id).execute()
      await trx.deleteFrom('amphora_build_request').where('amphora_id', '=', id).execute()
      await trx.deleteFrom('listener_statistics').where('amphora_id', '=', id).execute()
      return true
    })
  }

  /** DELETED load balancers whose row last changed before `olderThan`, oldest first. */
  async deletedLoadBalancers(olderThan: Date, executor: Executor = this.db.kysely): Promise<string[]> {
    const rows = await executor.selectFrom('load_balancer').select('id').where('provisioning_status', '=', 'DELETED')
      .where((eb) => eb(eb.fn.coalesce('updated_at', 'created_at'), '<', olderThan))
      .orderBy('created_at').orderBy('id').execute()
    return rows.map((r) => r.id)
  }

  /** Statistics rows of listeners that no longer exist (listener_statistics has no foreign key); resolves how many went. */
  async purgeOrphanStatistics(executor: Executor = this.db.kysely): Promise<number> {
    const { numDeletedRows } = await executor.deleteFrom('listener_statistics')
      .where((eb) => eb.not(eb.exists(eb.selectFrom('listener').select('listener.id').whereRef('listener.id', '=', 'listener_statistics.listener_id'))))
      .executeTakeFirst()
    return Number(numDeletedRows)
  }

  /** Locks the spare-pool row until the transaction ends (several housekeepers check one at a time). */
  async lockSparesPool(trx: Transaction<Schema>): Promise<void> {
    let query = trx.selectFrom('spares_pool').select('id').where('id', '=', 1)
    if (this.db.engine !== 'sqlite') query = query.forUpdate()
    await query.executeTakeFirst()
  }

  async touchSparesPool(trx: Transaction<Schema>, at: Date = this.clock.now()): Promise<void> {
    await trx.updateTable('spares_pool').set({ updated_at: at }).where('id', '=', 1).execute()
  }

  /**
   * READY spares whose host stopped reporting (health row older than `olderThan`) become DELETED
   * and unwatched, so the pool replaces them and no load balancer create claims them. A spare
   * never heard from is left alone (heartbeats may not be configured). If its host returns, the
   * health manager has the amphora deleted there (spec/heartbeat.md §5.2). Resolves their ids.
   */
  async retireSilentSpares(trx: Transaction<Schema>, olderThan: Date): Promise<string[]> {
    const rows = await trx.selectFrom('amphora').innerJoin('amphora_health', 'amphora_health.amphora_id', 'amphora.id').select('amphora.id')
      .where('amphora.status', '=', 'READY').where('amphora.load_balancer_id', 'is', null).where('amphora_health.last_update', '<', olderThan)
      .orderBy('amphora.id').execute()
    const retired: string[] = []
    for (const { id } of rows) {
      const { numUpdatedRows } = await trx.updateTable('amphora').set({ status: 'DELETED', updated_at: this.clock.now() })
        .where('id', '=', id).where('status', '=', 'READY').where('load_balancer_id', 'is', null).executeTakeFirst()
      if (numUpdatedRows === 0n) continue
      await trx.deleteFrom('amphora_health').where('amphora_id', '=', id).execute()
      retired.push(id)
    }
    return retired
  }

  /** Spares built or being built, by compute zone (cached_zone; null = no zone). */
  async countSpares(executor: Executor = this.db.kysely): Promise<Map<string | null, number>> {
    const rows = await executor.selectFrom('amphora').select((eb) => ['cached_zone', eb.fn.countAll<number>().as('n')])
      .where('load_balancer_id', 'is', null).where('status', 'in', [...SPARE_STATUSES]).groupBy('cached_zone').execute()
    return new Map(rows.map((r) => [r.cached_zone, Number(r.n)]))
  }

  /** The compute_zone of every enabled availability zone's profile that names one. */
  async computeZones(executor: Executor = this.db.kysely): Promise<string[]> {
    const rows = await executor.selectFrom('availability_zone')
      .innerJoin('availability_zone_profile', 'availability_zone_profile.id', 'availability_zone.availability_zone_profile_id')
      .select('availability_zone_profile.availability_zone_data').where('availability_zone.enabled', '=', true).execute()
    const zones = new Set<string>()
    for (const row of rows) {
      try {
        const zone = (JSON.parse(row.availability_zone_data) as { compute_zone?: unknown }).compute_zone
        if (typeof zone === 'string' && zone !== '') zones.add(zone)
      } catch {
        // The API validated the profile's JSON; a row written otherwise names no zone.
      }
    }
    return [...zones].sort()
  }

  /**
   * §1.2 step 1: claims one amphora whose certificate expires before `before` (cert_busy false,
   * not being deleted or gone), setting cert_busy in one guarded UPDATE, so of several
   * housekeepers one gets it. Undefined when none is left.
   */
  async claimCertificateRotation(before: Date): Promise<Amphora | undefined> {
    for (;;) {
      const candidate = await this.db.kysely.selectFrom('amphora').selectAll().where('cert_expiration', '<', before)
        .where('cert_busy', '=', false).where('status', 'not in', ['DELETED', 'PENDING_DELETE'])
        .orderBy('cert_expiration').orderBy('id').limit(1).executeTakeFirst()
      if (!candidate) return undefined
      // Still due and not being deleted, as well as free: another claimer may have rotated it
      // (and freed it again) since the read.
      const { numUpdatedRows } = await this.db.kysely.updateTable('amphora').set({ cert_busy: true })
        .where('id', '=', candidate.id).where('cert_busy', '=', false).where('cert_expiration', '<', before)
        .where('status', 'not in', ['DELETED', 'PENDING_DELETE']).executeTakeFirst()
      if (numUpdatedRows === 1n) return { ...candidate, cert_busy: true }
    }
  }

  /** §7.2 steps 4-5 of flows.md: the new expiry recorded and cert_busy cleared. */
  async finishCertificateRotation(id: string, expiresAt: Date): Promise<void> {
    await this.db.kysely.updateTable('amphora').set({ cert_expiration: expiresAt, cert_busy: false, updated_at: this.clock.now() })
      .where('id', '=', id).execute()
  }
}
