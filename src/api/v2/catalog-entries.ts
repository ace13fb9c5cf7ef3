import { Conflict, InvalidInput, NotFound } from '../../common/errors.ts'
import { newId } from '../../common/ids.ts'
import { DuplicateEntry, ReferenceNotFound } from '../../db/errors.ts'
import { LIST_SPECS } from '../list/list-specs.ts'
import type { ListSpec } from '../list/list-spec.ts'
import { parseBody } from '../validation/body-schema.ts'
import { bool, str, uuid, type Schema } from '../validation/field-types.ts'
import type { ApiDeps } from './api-deps.ts'
import { NIL_UUID, type CatalogPolicy, type CatalogResource } from './catalog-resource.ts'
import { text } from './render.ts'

// Flavors and availability zones (spec/api-v2.md §16.2, §16.4): what a load balancer create
// names, each backed by a profile. A flavor is known by a generated id and may be renamed; a
// zone is known by its name, which never changes.

type EntryTable = 'flavor' | 'availability_zone'

interface EntryKind {
  table: EntryTable
  path: string
  list: ListSpec<EntryTable>
  envelope: string
  arg: string
  policy: CatalogPolicy
  label: string
  /** `A <noun> of <name> already exists.` */
  noun: string
  profileTable: 'flavor_profile' | 'availability_zone_profile'
  profileField: 'flavor_profile_id' | 'availability_zone_profile_id'
  /** A flavor has an id and a name that may change; a zone is its name. */
  byId: boolean
}

const FLAVOR: EntryKind = {
  table: 'flavor', path: '/flavors', list: LIST_SPECS.flavor, envelope: 'flavor', arg: 'flavor_', policy: 'flavor',
  label: 'Flavor', noun: 'flavor', profileTable: 'flavor_profile', profileField: 'flavor_profile_id', byId: true,
}

const AVAILABILITY_ZONE: EntryKind = {
  table: 'availability_zone', path: '/availabilityzones', list: LIST_SPECS.availability_zone, envelope: 'availability_zone',
  arg: 'availability_zone_', policy: 'availability-zone', label: 'Availability Zone', noun: 'availability zone',
  profileTable: 'availability_zone_profile', profileField: 'availability_zone_profile_id', byId: false,
}

interface EntryCreate {
  name: string
  description?: string | null
  enabled?: boolean | null
  profileId: string
}

interface EntryUpdate {
  name?: string | null
  description?: string | null
  enabled?: boolean | null
}

const validation = (detail: string) => new InvalidInput(`Validation failure: ${detail}`)

function entryResource(deps: ApiDeps, kind: EntryKind): CatalogResource<EntryTable, EntryCreate, EntryUpdate> {
  const name = { type: str({ max: 255 }) }
  const description = { type: str({ max: 255 }) }
  const enabled = { type: bool() }
  const createFields = { name: { ...name, mandatory: true }, description, enabled, [kind.profileField]: { type: uuid(), mandatory: true } }
  const updateFields: Schema = kind.byId ? { name, description, enabled } : { description, enabled }
  const { catalog } = deps
  const duplicate = (entryName: string) => new Conflict(`A ${kind.noun} of ${entryName} already exists.`)

  /** The insert or update, with the database's refusals in the API's words. */
  async function write(entryName: string | undefined, fn: () => Promise<unknown>): Promise<void> {
    try {
      await fn()
    } catch (err) {
      if (err instanceof DuplicateEntry && entryName !== undefined) throw duplicate(entryName)
      // The profile went between our check and the insert.
      if (err instanceof ReferenceNotFound) throw validation(`Invalid ${kind.profileField}.`)
      throw err
    }
  }

  return {
    table: kind.table, path: kind.path, list: kind.list, envelope: kind.envelope, policy: kind.policy,
    label: kind.label, deleteLabel: kind.label,
    render: (row) => {
      const values = row as Record<string, unknown>
      return {
        ...(kind.byId && { id: values.id }),
        name: row.name, description: text(row.description), enabled: row.enabled, [kind.profileField]: values[kind.profileField],
      }
    },
    parseCreate(body) {
      const parsed = parseBody(body, { arg: kind.arg, envelope: kind.envelope, fields: createFields }) as Record<string, unknown>
      return {
        name: parsed.name as string, profileId: parsed[kind.profileField] as string,
        ...(parsed.description !== undefined && { description: parsed.description as string | null }),
        ...(parsed.enabled !== undefined && { enabled: parsed.enabled as boolean | null }),
      }
    },
    parseUpdate: (body) => parseBody(body, { arg: kind.arg, envelope: kind.envelope, fields: updateFields }) as EntryUpdate,
    async create(body, trx) {
      // spec/api-v2.md §18: an unknown profile is the caller's mistake (upstream: a 500).
      if (!await catalog.get(kind.profileTable, body.profileId, trx)) throw validation(`Invalid ${kind.profileField}.`)
      const key = kind.byId ? newId() : body.name
      const row = {
        ...(kind.byId && { id: key }),
        name: body.name, description: body.description ?? null,
        // Like admin_state_up (spec/api-v2.md §3.4), null is stored as false.
        enabled: body.enabled === undefined ? true : body.enabled === true,
        [kind.profileField]: body.profileId,
      }
      await write(body.name, () => catalog.insert(kind.table, row, trx))
      return key
    },
    async update(key, body, trx) {
      if (body.name === null) throw new InvalidInput('None is not a valid option for name')
      if (key === NIL_UUID) throw new NotFound(kind.label, key)
      const changes = {
        ...(body.name != null && { name: body.name }),
        ...(body.description !== undefined && { description: body.description }),
        ...(body.enabled !== undefined && { enabled: body.enabled === true }),
      }
      await write(body.name ?? undefined, () => catalog.update(kind.table, key, changes, trx))
    },
  }
}

export function flavorResource(deps: ApiDeps) {
  return entryResource(deps, FLAVOR)
}

export function availabilityZoneResource(deps: ApiDeps) {
  return entryResource(deps, AVAILABILITY_ZONE)
}

