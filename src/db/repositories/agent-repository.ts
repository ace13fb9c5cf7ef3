import type { Selectable } from 'kysely'
import type { Clock } from '../../common/clock.ts'
import { newId } from '../../common/ids.ts'
import type { Database, Executor } from '../database.ts'
import type { AgentsTable } from '../schema.ts'

export type Agent = Selectable<AgentsTable>

export interface AgentRegistration {
  name: string
  address: string
  port: number
  /** How many amphorae the host accepts; null = no limit. */
  capacity?: number | null
  /** When the agent's server certificate expires; left as it is when absent (unknown, as to `octavia host register`). */
  cert_expiration?: Date | null
}

/** Host agents (our compute hosts), registered by config or by themselves, keyed by name. */
export class AgentRepository {
  constructor(private readonly db: Database, private readonly clock: Clock) {}

  /**
   * Adds the agent, or updates address, port, capacity and certificate of the one with this
   * name (its id and enabled flag stay). Resolves the stored agent.
   */
  async register(registration: AgentRegistration, executor: Executor = this.db.kysely): Promise<Agent> {
    const now = this.clock.now()
    const fields = {
      address: registration.address, port: registration.port, capacity: registration.capacity ?? null,
      ...(registration.cert_expiration !== undefined ? { cert_expiration: registration.cert_expiration } : {}),
    }
    const { numUpdatedRows } = await executor.updateTable('agents').set({ ...fields, updated_at: now })
      .where('name', '=', registration.name).executeTakeFirst()
    if (numUpdatedRows === 0n) {
      await executor.insertInto('agents').values({
        id: newId(), name: registration.name, cert_expiration: null, ...fields, enabled: true, last_seen: null, created_at: now, updated_at: null,
      }).execute()
    }
    const stored = await this.getByName(registration.name, executor)
    if (!stored) throw new Error(`agent ${registration.name} vanished after its registration`)
    return stored
  }

  get(id: string, executor: Executor = this.db.kysely): Promise<Agent | undefined> {
    return executor.selectFrom('agents').selectAll().where('id', '=', id).executeTakeFirst()
  }

  getByName(name: string, executor: Executor = this.db.kysely): Promise<Agent | undefined> {
    return executor.selectFrom('agents').selectAll().where('name', '=', name).executeTakeFirst()
  }

  /** Agents by name; only enabled ones when asked. */
  list(filter: { enabled?: boolean } = {}, executor: Executor = this.db.kysely): Promise<Agent[]> {
    let query = executor.selectFrom('agents').selectAll()
    if (filter.enabled !== undefined) query = query.where('enabled', '=', filter.enabled)
    return query.orderBy('name').execute()
  }

  /** Notes that the agent answered (last_seen); does not count as a modification of the record. */
  async touch(id: string, at: Date = this.clock.now(), executor: Executor = this.db.kysely): Promise<boolean> {
    const { numUpdatedRows } = await executor.updateTable('agents').set({ last_seen: at }).where('id', '=', id).executeTakeFirst()
    return numUpdatedRows > 0n
  }

  /**
   * Records the agent's new certificate expiry on it and on every amphora it runs (they are all
   * reached through that certificate, so none is due for rotation any more).
   */
  async recordCertificate(id: string, expiresAt: Date, executor: Executor = this.db.kysely): Promise<void> {
    const now = this.clock.now()
    await executor.updateTable('agents').set({ cert_expiration: expiresAt, updated_at: now }).where('id', '=', id).execute()
    await executor.updateTable('amphora').set({ cert_expiration: expiresAt, updated_at: now })
      .where('compute_id', '=', id).where('status', '!=', 'DELETED').execute()
  }

  /** Agents whose certificate expiry is unknown, or not yet recorded on all of their amphorae. */
  withUnknownCertificateExpiry(executor: Executor = this.db.kysely): Promise<Agent[]> {
    return executor.selectFrom('agents').selectAll().where((eb) => eb.or([
      eb('agents.cert_expiration', 'is', null),
      eb.exists(eb.selectFrom('amphora').select('amphora.id').whereRef('amphora.compute_id', '=', 'agents.id')
        .where('amphora.cert_expiration', 'is', null).where('amphora.status', '!=', 'DELETED')),
    ])).orderBy('name').execute()
  }

  async setEnabled(id: string, enabled: boolean, executor: Executor = this.db.kysely): Promise<boolean> {
    const { numUpdatedRows } = await executor.updateTable('agents').set({ enabled, updated_at: this.clock.now() })
      .where('id', '=', id).executeTakeFirst()
    return numUpdatedRows > 0n
  }

  async delete(id: string, executor: Executor = this.db.kysely): Promise<boolean> {
    const { numDeletedRows } = await executor.deleteFrom('agents').where('id', '=', id).executeTakeFirst()
    return numDeletedRows > 0n
  }
}
