import { pythonRepr } from '../../common/python-repr.ts'

// Flavor and availability zone metadata as upstream's provider drivers describe and check it:
// a flat JSON object whose known keys each have a JSON type (and maybe a list of values), no
// other key allowed (spec/api-v2.md §7). A refusal reads as jsonschema's best match does.

export type MetadataType = 'string' | 'boolean' | 'array'

export interface MetadataProperty {
  type: MetadataType
  /** Shown as the capability's description. */
  description: string
  /** The only values allowed, in the order the refusal lists them. */
  enum?: readonly string[]
}

/** Property name → rule, in the order the capability list shows them. */
export type MetadataSchema = Readonly<Record<string, MetadataProperty>>

/** One entry of `flavor_capabilities` / `availability_zone_capabilities` (spec/api-v2.md §16.1). */
export interface ProviderCapability {
  name: string
  description: string
}

export function capabilitiesOf(schema: MetadataSchema): ProviderCapability[] {
  return Object.entries(schema).map(([name, property]) => ({ name, description: property.description }))
}

function hasType(value: unknown, type: MetadataType | 'object'): boolean {
  switch (type) {
    case 'string': return typeof value === 'string'
    case 'boolean': return typeof value === 'boolean'
    case 'array': return Array.isArray(value)
    case 'object': return value !== null && typeof value === 'object' && !Array.isArray(value)
  }
}

/**
 * Why `metadata` does not fit `schema`, as the amphora driver words it (the failing key, then
 * jsonschema's message), or undefined when it fits. The shallowest problem wins: a value that
 * is not an object, then unexpected keys (all of them, sorted), then the first key in the
 * schema's order whose type or value is wrong (type before value).
 */
export function metadataProblem(schema: MetadataSchema, metadata: unknown): string | undefined {
  if (!hasType(metadata, 'object')) return `${pythonRepr(metadata)} is not of type 'object'`
  const object = metadata as Record<string, unknown>
  const extras = Object.keys(object).filter((name) => !Object.hasOwn(schema, name)).sort()
  if (extras.length > 0) {
    return `Additional properties are not allowed (${extras.map(pythonRepr).join(', ')} ${extras.length === 1 ? 'was' : 'were'} unexpected)`
  }
  for (const [name, property] of Object.entries(schema)) {
    if (!Object.hasOwn(object, name)) continue
    const value = object[name]
    if (!hasType(value, property.type)) return `${name} ${pythonRepr(value)} is not of type '${property.type}'`
    if (property.enum && !property.enum.includes(value as string)) {
      return `${name} ${pythonRepr(value)} is not one of ${pythonRepr(property.enum)}`
    }
  }
  return undefined
}
