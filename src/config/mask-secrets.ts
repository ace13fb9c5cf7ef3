import { DictOption, ListOption, Struct, isMapping, type Option } from './option.ts'
import { CONFIG_SCHEMA, type OctaviaConfig } from './schema.ts'

export const MASK = '***'

/** Besides the options the schema marks secret: any key so named, e.g. inside a free-form mapping. */
const SECRET_KEY = /^(.+_)?(password|passphrase)$/

/**
 * A copy of the config for display and logs: every secret (options marked secret in schema.ts,
 * and any key named like a password) replaced by '***'. Unset secrets stay null.
 */
export function maskSecrets(config: OctaviaConfig): unknown {
  return mask(CONFIG_SCHEMA, config)
}

function mask(option: Option<unknown> | undefined, value: unknown): unknown {
  if (value === null || value === undefined) return value
  if (option?.secret) return MASK
  if (Array.isArray(value)) {
    const item = option instanceof ListOption ? (option.item as Option<unknown>) : undefined
    return value.map((element: unknown) => mask(item, element))
  }
  if (!isMapping(value)) return value
  const fieldOf = (key: string): Option<unknown> | undefined =>
    option instanceof Struct ? (option.fields[key] as Option<unknown> | undefined) : option instanceof DictOption ? (option.value as Option<unknown>) : undefined
  return Object.fromEntries(Object.entries(value).map(([key, element]) =>
    [key, SECRET_KEY.test(key) && element !== null ? MASK : mask(fieldOf(key), element)]))
}
