import type { Clock } from '../../common/clock.ts'
import type { Database, Executor, Transaction } from '../database.ts'
import type { Schema } from '../schema.ts'
import type { Amphora } from './amphora-repository.ts'

/** Candidates a claim tries, oldest first, before giving up (a new amphora is built instead). */
const CLAIM_CANDIDATES = 8

export interface SpareClaim {
  load_balancer_id: string
  /** The compute zone the spare must be in (cached_zone; null = no zone). */
  zone: string | null
  role: string
  ha_ip: string | null
}

/**
 * Spare amphorae at load balancer create (spec/operations.md §2, allocation): one READY amphora
 * without a load balancer in the wanted zone becomes the load balancer's, ALLOCATED.
 */
export class SpareAmphoraRepository {
  constructor(private readonly db: Database, private readonly clock: Clock) {}

  /**
   * Claims a READY spare in `zone` for the load balancer inside the caller's transaction, or
   * resolves undefined when there is none. Each candidate is taken by an UPDATE guarded by status
   * READY and no load balancer, its row count checked, so of two concurrent creates only one gets
   * a given spare; the other's UPDATE waits for the first to commit, then matches nothing and it
   * tries the next candidate. (No locking read: with MySQL's repeatable read a FOR UPDATE SKIP
   * LOCKED scan locks every row it reads, and the other creates would skip spares still free.)
   */
  async claim(trx: Transaction<Schema>, claim: SpareClaim): Promise<Amphora | undefined> {
    const candidates = await trx.selectFrom('amphora').selectAll().where('status', '=', 'READY').where('load_balancer_id', 'is', null)
      .where('compute_id', 'is not', null)
      .where((eb) => (claim.zone === null ? eb('cached_zone', 'is', null) : eb('cached_zone', '=', claim.zone)))
      .orderBy('created_at').orderBy('id').limit(CLAIM_CANDIDATES).execute()
    for (const candidate of candidates) {
      const changes = { load_balancer_id: claim.load_balancer_id, status: 'ALLOCATED' as const, role: claim.role, ha_ip: claim.ha_ip, updated_at: this.clock.now() }
      const { numUpdatedRows } = await trx.updateTable('amphora').set(changes)
        .where('id', '=', candidate.id).where('status', '=', 'READY').where('load_balancer_id', 'is', null).executeTakeFirst()
      if (numUpdatedRows === 1n) return { ...candidate, ...changes }
    }
    return undefined
  }

  /**
   * The compute zone a load balancer's amphorae go to: its availability zone's compute_zone when
   * the profile names one, else `defaultZone` ([nova] availability_zone).
   */
  async zoneOf(loadBalancerId: string, defaultZone: string | null, executor: Executor = this.db.kysely): Promise<string | null> {
    const row = await executor.selectFrom('load_balancer')
      .innerJoin('availability_zone', 'availability_zone.name', 'load_balancer.availability_zone')
      .innerJoin('availability_zone_profile', 'availability_zone_profile.id', 'availability_zone.availability_zone_profile_id')
      .select('availability_zone_profile.availability_zone_data').where('load_balancer.id', '=', loadBalancerId).executeTakeFirst()
    if (row === undefined) return defaultZone
    try {
      const zone = (JSON.parse(row.availability_zone_data) as { compute_zone?: unknown }).compute_zone
      return typeof zone === 'string' && zone !== '' ? zone : defaultZone
    } catch {
      // The API validated the profile's JSON; a row written otherwise names no zone.
      return defaultZone
    }
  }
}
