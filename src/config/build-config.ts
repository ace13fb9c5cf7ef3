import { Struct, type DefaultContext, type Option } from './option.ts'
import { CONFIG_SCHEMA } from './schema.ts'
import type { Placements } from './walk-pillar.ts'

export interface BuildContext {
  readonly env: Readonly<Record<string, string | undefined>>
  readonly hostname: string
}

/**
 * The effective configuration (without `sources`): each option's given value, or its default.
 * Computed defaults may read other options (in any group), which are resolved on demand.
 */
export function buildConfig(placements: Placements, context: BuildContext): Record<string, unknown> {
  const resolved = new Map<string, unknown>()
  const resolving = new Set<string>()

  const optionAt = (path: string): Option<unknown> => {
    let node: Option<unknown> = CONFIG_SCHEMA
    for (const key of path.split('.')) {
      if (!(node instanceof Struct) || !Object.hasOwn(node.fields, key)) throw new Error(`no option ${path}`)
      node = node.fields[key] as Option<unknown>
    }
    return node
  }

  const valueAt = (path: string): unknown => {
    if (resolved.has(path)) return resolved.get(path)
    if (resolving.has(path)) throw new Error(`defaults depend on each other: ${[...resolving, path].join(' -> ')}`)
    resolving.add(path)
    const option = optionAt(path)
    let value: unknown
    // Values are copied, so no two places of the config share (and freeze) one object.
    if (option instanceof Struct) {
      value = Object.fromEntries(Object.keys(option.fields).map((key) => [key, valueAt(`${path}.${key}`)]))
    } else if (placements.has(path)) {
      value = structuredClone(placements.get(path)!.value)
    } else {
      const parent = path.includes('.') ? path.slice(0, path.lastIndexOf('.')) : ''
      const ctx: DefaultContext = {
        ...context,
        sibling: (key) => valueAt(parent === '' ? key : `${parent}.${key}`),
        lookup: valueAt,
      }
      value = structuredClone(option.defaultValue(ctx))
    }
    resolving.delete(path)
    resolved.set(path, value)
    return value
  }

  return Object.fromEntries(Object.keys(CONFIG_SCHEMA.fields).map((key) => [key, valueAt(key)]))
}
