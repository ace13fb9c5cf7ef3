import { InvalidInput, NotFound } from '../../common/errors.ts'
import { newId } from '../../common/ids.ts'
import type { CatalogRow } from '../../db/repositories/catalog-repository.ts'
import type { ProviderDriver } from '../../drivers/provider/provider-driver.ts'
import { LIST_SPECS } from '../list/list-specs.ts'
import type { ListSpec } from '../list/list-spec.ts'
import { parseBody } from '../validation/body-schema.ts'
import { str } from '../validation/field-types.ts'
import type { ApiDeps } from './api-deps.ts'
import { inUse, NIL_UUID, type CatalogPolicy, type CatalogResource } from './catalog-resource.ts'
import { text } from './render.ts'

// Flavor profiles and availability zone profiles (spec/api-v2.md §16.3, §16.5): one resource
// twice, provider metadata that the named provider's driver validates.

type ProfileTable = 'flavor_profile' | 'availability_zone_profile'

interface ProfileKind {
  table: ProfileTable
  path: string
  list: ListSpec<ProfileTable>
  envelope: string
  /** Octavia's body argument, for its messages. */
  arg: string
  policy: CatalogPolicy
  label: string
  deleteLabel: string
  /** The metadata column and body field. */
  dataField: 'flavor_data' | 'availability_zone_data'
  /** The option the create's JSON check names; the update's always says flavor_data (upstream's slip, §16.5). */
  createOption: string
  validate(driver: ProviderDriver, metadata: unknown): void
}

const FLAVOR_PROFILE: ProfileKind = {
  table: 'flavor_profile', path: '/flavorprofiles', list: LIST_SPECS.flavorprofile, envelope: 'flavorprofile', arg: 'flavor_profile_',
  policy: 'flavor-profile', label: 'Flavor Profile', deleteLabel: 'Flavor profile', dataField: 'flavor_data', createOption: 'flavor_data',
  validate: (driver, metadata) => driver.validateFlavor(metadata),
}

const AVAILABILITY_ZONE_PROFILE: ProfileKind = {
  table: 'availability_zone_profile', path: '/availabilityzoneprofiles', list: LIST_SPECS.availability_zone_profile,
  envelope: 'availability_zone_profile', arg: 'availability_zone_profile_', policy: 'availability-zone-profile',
  label: 'Availability Zone Profile', deleteLabel: 'Availability Zone Profile',
  dataField: 'availability_zone_data', createOption: 'availability_zone_data',
  validate: (driver, metadata) => driver.validateAvailabilityZone(metadata),
}

/** A profile body with its metadata under one name, whichever the resource calls it. */
interface ProfileBody {
  name?: string | null
  provider_name?: string | null
  data?: string | null
}

/** `<value> is not a valid option for <option>` (spec/api-v2.md §4.4). */
function invalidOption(value: string, option: string): InvalidInput {
  return new InvalidInput(`${value} is not a valid option for ${option}`)
}

/** The metadata document: any JSON text. */
function parseData(value: string, option: string): unknown {
  try {
    return JSON.parse(value)
  } catch {
    // Not JSON: the operator's mistake, reported with the text they sent.
    throw invalidOption(value, option)
  }
}

function profileResource(deps: ApiDeps, kind: ProfileKind): CatalogResource<ProfileTable, { [K in keyof ProfileBody]-?: string }, ProfileBody> {
  const field = { type: str({ max: 255 }) }
  const data = { type: str({ max: 4096 }) }
  const mandatory = { mandatory: true } as const
  const createFields = { name: { ...field, ...mandatory }, provider_name: { ...field, ...mandatory }, [kind.dataField]: { ...data, ...mandatory } }
  const updateFields = { name: field, provider_name: field, [kind.dataField]: data }
  const dataOf = (row: CatalogRow<ProfileTable>) => (row as Record<string, unknown>)[kind.dataField] as string
  const { catalog, providers } = deps
  return {
    table: kind.table, path: kind.path, list: kind.list, envelope: kind.envelope, policy: kind.policy,
    label: kind.label, deleteLabel: kind.deleteLabel,
    render: (row) => ({ id: row.id, name: text(row.name), provider_name: row.provider_name, [kind.dataField]: dataOf(row) }),
    parseCreate(body) {
      const parsed = parseBody(body, { arg: kind.arg, envelope: kind.envelope, fields: createFields }) as Record<string, string>
      return { name: parsed.name!, provider_name: parsed.provider_name!, data: parsed[kind.dataField]! }
    },
    parseUpdate(body) {
      const parsed = parseBody(body, { arg: kind.arg, envelope: kind.envelope, fields: updateFields }) as Record<string, string | null>
      const dataValue = parsed[kind.dataField]
      return { name: parsed.name, provider_name: parsed.provider_name, ...(dataValue !== undefined && { data: dataValue }) }
    },
    async create(body, trx) {
      // spec/api-v2.md §16.3: JSON, then the provider enabled (400) and loadable (501), then its validation (501).
      const metadata = parseData(body.data, kind.createOption)
      kind.validate(providers.load(body.provider_name), metadata)
      const id = newId()
      await catalog.insert(kind.table, { id, name: body.name, provider_name: body.provider_name, [kind.dataField]: body.data }, trx)
      return id
    },
    async update(id, body, trx) {
      // spec/api-v2.md §16.3: nulls, in use, the nil id, the JSON, the provider; none of the three may be cleared.
      const nullField = (['name', 'provider_name', 'data'] as const).find((f) => body[f] === null)
      if (nullField) throw invalidOption('None', nullField === 'data' ? kind.dataField : nullField)
      const row = await catalog.lock(trx, kind.table, id)
      const changesUse = body.data !== undefined || body.provider_name !== undefined
      // Even an unchanged value is refused while a flavor (zone) uses the profile.
      if (changesUse && await catalog.inUse(kind.table, id, trx)) throw inUse(kind.deleteLabel, id)
      if (id === NIL_UUID) throw new NotFound(kind.deleteLabel, id)
      if (changesUse) {
        const metadata = body.data == null ? undefined : parseData(body.data, 'flavor_data')
        if (!row) throw new NotFound(kind.label, id)
        // A new provider must accept the stored metadata, new metadata the stored provider.
        kind.validate(providers.load(body.provider_name ?? row.provider_name), metadata ?? JSON.parse(dataOf(row)))
      }
      const changes = {
        ...(body.name != null && { name: body.name }),
        ...(body.provider_name != null && { provider_name: body.provider_name }),
        ...(body.data != null && { [kind.dataField]: body.data }),
      }
      await catalog.update(kind.table, id, changes, trx)
    },
  }
}

export function flavorProfileResource(deps: ApiDeps) {
  return profileResource(deps, FLAVOR_PROFILE)
}

export function availabilityZoneProfileResource(deps: ApiDeps) {
  return profileResource(deps, AVAILABILITY_ZONE_PROFILE)
}
