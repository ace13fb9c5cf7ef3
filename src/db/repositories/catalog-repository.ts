import type { Insertable, Kysely, Selectable, Transaction, Updateable } from 'kysely'
import type { Database, Executor } from '../database.ts'
import type { Schema } from '../schema.ts'

/** The four tables of the operator's catalogue (spec/api-v2.md §16). */
export type CatalogTable = 'flavor_profile' | 'flavor' | 'availability_zone_profile' | 'availability_zone'
export type CatalogRow<T extends CatalogTable> = Selectable<Schema[T]>

// What identifies a row (availability zones go by name), and who uses one: a profile is used
// by flavors or zones, a flavor or zone by load balancers that are not DELETED (DELETED ones
// lose the reference when it goes: ON DELETE SET NULL).
const KEY: Readonly<Record<string, string>> = {
  flavor_profile: 'id', flavor: 'id', availability_zone_profile: 'id', availability_zone: 'name',
}
const USERS: Record<CatalogTable, { table: string; column: string; live: boolean }> = {
  flavor_profile: { table: 'flavor', column: 'flavor_profile_id', live: false },
  availability_zone_profile: { table: 'availability_zone', column: 'availability_zone_profile_id', live: false },
  flavor: { table: 'load_balancer', column: 'flavor_id', live: true },
  availability_zone: { table: 'load_balancer', column: 'availability_zone', live: true },
}

// The table comes from the caller, so queries are built untyped; the generics of the public
// methods keep the rows typed.
type AnyKysely = Kysely<Record<string, Record<string, unknown>>>
type AnyRow = Record<string, unknown>

function untyped(executor: Executor): AnyKysely {
  return executor as unknown as AnyKysely
}

export interface FlavorWithProfile {
  id: string
  enabled: boolean
  provider_name: string
  /** The profile's flavor_data, parsed ({} when it is not a JSON object). */
  data: Record<string, unknown>
}

export interface AvailabilityZoneWithProfile {
  name: string
  enabled: boolean
  provider_name: string
  data: Record<string, unknown>
}

function parseObject(text: string): Record<string, unknown> {
  const value: unknown = JSON.parse(text)
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? value as Record<string, unknown> : {}
}

/**
 * Flavors, availability zones and their profiles: their rows by key, and the lookups a load
 * balancer create makes (a flavor or zone with its profile's provider and metadata).
 */
export class CatalogRepository {
  constructor(private readonly db: Database) {}

  async get<T extends CatalogTable>(table: T, key: string, executor: Executor = this.db.kysely): Promise<CatalogRow<T> | undefined> {
    const row = await untyped(executor).selectFrom(table as string).selectAll().where(KEY[table as string]!, '=', key).executeTakeFirst()
    return row as CatalogRow<T> | undefined
  }

  /** The rows with these keys, in the order given (missing keys are skipped). */
  async getMany<T extends CatalogTable>(table: T, keys: readonly string[], executor: Executor = this.db.kysely): Promise<Array<CatalogRow<T>>> {
    if (keys.length === 0) return []
    const rows = await untyped(executor).selectFrom(table as string).selectAll().where(KEY[table as string]!, 'in', [...keys]).execute()
    const byKey = new Map(rows.map((row) => [String(row[KEY[table as string]!]), row]))
    return keys.flatMap((key) => byKey.get(key) ?? []) as Array<CatalogRow<T>>
  }

  /** Inserts a row; DuplicateEntry / ReferenceNotFound come from the database (errors.ts). */
  async insert<T extends CatalogTable>(table: T, row: Insertable<Schema[T]> | AnyRow, executor: Executor = this.db.kysely): Promise<void> {
    await untyped(executor).insertInto(table as string).values(row as AnyRow).execute()
  }

  /** Writes the given fields; resolves whether the row exists. */
  async update<T extends CatalogTable>(table: T, key: string, changes: Updateable<Schema[T]> | AnyRow, executor: Executor = this.db.kysely): Promise<boolean> {
    if (Object.keys(changes).length === 0) return (await this.get(table, key, executor)) !== undefined
    const { numUpdatedRows } = await untyped(executor).updateTable(table as string).set(changes as AnyRow)
      .where(KEY[table as string]!, '=', key).executeTakeFirst()
    // MySQL counts changed rows, not matched ones: an update to the same values reports 0.
    return numUpdatedRows > 0n || (await this.get(table, key, executor)) !== undefined
  }

  /** Deletes the row; resolves whether it existed. */
  async delete(table: CatalogTable, key: string, executor: Executor = this.db.kysely): Promise<boolean> {
    const { numDeletedRows } = await untyped(executor).deleteFrom(table as string).where(KEY[table as string]!, '=', key).executeTakeFirst()
    return numDeletedRows > 0n
  }

  /**
   * Locks the row until the transaction ends (SQLite's transaction already holds the whole
   * database), so a check of its users and the change that follows see the same users: a new
   * user's foreign key check waits for the lock. Resolves the row.
   */
  async lock<T extends CatalogTable>(trx: Transaction<Schema>, table: T, key: string): Promise<CatalogRow<T> | undefined> {
    const query = untyped(trx).selectFrom(table as string).selectAll().where(KEY[table as string]!, '=', key)
    return await (this.db.engine === 'sqlite' ? query : query.forUpdate()).executeTakeFirst() as CatalogRow<T> | undefined
  }

  /** Whether anything uses the row: flavors or zones of a profile, live load balancers of a flavor or zone. */
  async inUse(table: CatalogTable, key: string, executor: Executor = this.db.kysely): Promise<boolean> {
    const users = USERS[table]
    let query = untyped(executor).selectFrom(users.table).select(users.column).where(users.column, '=', key)
    if (users.live) query = query.where('provisioning_status', '<>', 'DELETED')
    return (await query.limit(1).executeTakeFirst()) !== undefined
  }

  async flavor(id: string, executor: Executor = this.db.kysely): Promise<FlavorWithProfile | undefined> {
    const row = await executor.selectFrom('flavor').innerJoin('flavor_profile', 'flavor_profile.id', 'flavor.flavor_profile_id')
      .select(['flavor.id', 'flavor.enabled', 'flavor_profile.provider_name', 'flavor_profile.flavor_data'])
      .where('flavor.id', '=', id).executeTakeFirst()
    return row && { id: row.id, enabled: row.enabled, provider_name: row.provider_name, data: parseObject(row.flavor_data) }
  }

  async availabilityZone(name: string, executor: Executor = this.db.kysely): Promise<AvailabilityZoneWithProfile | undefined> {
    const row = await executor.selectFrom('availability_zone')
      .innerJoin('availability_zone_profile', 'availability_zone_profile.id', 'availability_zone.availability_zone_profile_id')
      .select(['availability_zone.name', 'availability_zone.enabled', 'availability_zone_profile.provider_name',
        'availability_zone_profile.availability_zone_data'])
      .where('availability_zone.name', '=', name).executeTakeFirst()
    return row && { name: row.name, enabled: row.enabled, provider_name: row.provider_name, data: parseObject(row.availability_zone_data) }
  }
}
