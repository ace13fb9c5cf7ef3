import { InvalidInput } from '../../common/errors.ts'
import { isJsonObject } from './container-types.ts'
import { invalidField, mandatoryFieldMissing, type FieldType, type PresentValue } from './field-type.ts'
import { pythonStr } from '../../common/python-repr.ts'

export interface FieldSpec<T = unknown> {
  readonly type: FieldType<T>
  readonly mandatory?: boolean
  /**
   * A mandatory field sent as null is refused like an absent one (spec/api-v2.md §18) unless
   * this is set: health monitor delay/timeout/max_retries/type keep upstream's own message, so
   * their null must reach the resource.
   */
  readonly acceptsNull?: boolean
}

export type Schema = { readonly [name: string]: FieldSpec }

type ValueOf<F> = F extends { readonly type: FieldType<infer T> } ? T : never
type MandatoryKeys<S extends Schema> = { [K in keyof S]: S[K] extends { readonly mandatory: true } ? K : never }[keyof S]
type Flatten<T> = { [K in keyof T]: T[K] }

/**
 * What a schema parses to: exactly the keys present in the request. Absent optional keys are
 * absent; an explicit null stays null (so "clear" differs from "unchanged"); mandatory keys are
 * always there (non-null unless `acceptsNull`). Only a literal `mandatory: true` counts here.
 */
export type Parsed<S extends Schema> = Flatten<
  { -readonly [K in MandatoryKeys<S>]: S[K] extends { readonly acceptsNull: true } ? ValueOf<S[K]> | null : ValueOf<S[K]> } &
  { -readonly [K in Exclude<keyof S, MandatoryKeys<S>>]?: ValueOf<S[K]> | null }
>

/** A nested object (full-graph create: listener, pool, member, healthmonitor, l7policy, rule). */
export function object<const S extends Schema>(schema: S): FieldType<Parsed<S>> {
  return {
    name: 'object',
    container: 'dict',
    parse(value, at) {
      if (!isJsonObject(value)) throw invalidField(at.field, value, `Value not a valid dict: ${pythonStr(value)}`)
      return parseFields(value, schema, at.arg)
    },
  }
}

/**
 * The attributes of one JSON object, checked in upstream's order: first every unknown attribute
 * (all named in one message, sorted), then each schema field in declaration order (its type, or
 * "Mandatory field missing."). Errors name the field itself, not its path, as upstream does;
 * unknown attributes name the dotted argument path `arg`.
 */
export function parseFields<S extends Schema>(value: Readonly<Record<string, unknown>>, schema: S, arg: string): Parsed<S> {
  const unknown = Object.keys(value).filter((key) => !Object.hasOwn(schema, key)).sort()
  if (unknown.length > 0) throw unknownAttributes(arg, unknown)
  const entries: Array<[string, unknown]> = []
  for (const [name, spec] of Object.entries(schema)) {
    if (!Object.hasOwn(value, name) || value[name] === undefined) {
      if (spec.mandatory) throw mandatoryFieldMissing(name)
      continue
    }
    const given = value[name]
    if (given === null) {
      if (spec.mandatory && !spec.acceptsNull) throw mandatoryFieldMissing(name)
      entries.push([name, null])
      continue
    }
    entries.push([name, spec.type.parse(given as PresentValue, { field: name, arg: `${arg}.${name}` })])
  }
  return Object.fromEntries(entries) as Parsed<S>
}

/** `Unknown attribute for argument <arg>: <names>` (plural "attributes" when several; spec/api-v2.md §3.4). */
export function unknownAttributes(arg: string, names: readonly string[]): InvalidInput {
  const noun = names.length > 1 ? 'attributes' : 'attribute'
  return new InvalidInput(`Unknown ${noun} for argument ${arg}: ${names.join(', ')}`)
}
