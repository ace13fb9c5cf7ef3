import type { Database, Executor } from '../database.ts'

export interface FlavorWithProfile {
  id: string
  enabled: boolean
  provider_name: string
  /** The profile's flavor_data, parsed. */
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

/** Flavors and availability zones as a load balancer create reads them (their CRUD is API part 2's). */
export class CatalogRepository {
  constructor(private readonly db: Database) {}

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
