import { InvalidInput } from '../../common/errors.ts'
import { pythonStr } from '../../common/python-repr.ts'

/** A decoded JSON value other than null: what a field type is asked to parse. */
export type PresentValue = string | number | boolean | readonly unknown[] | { readonly [key: string]: unknown }

/**
 * Where a value sits in the request body. `field` is the attribute name Octavia's messages use
 * (the leaf name, even deep inside a full-graph body); `arg` is the dotted argument path that
 * unknown-attribute messages name (`load_balancer.loadbalancer.listeners`, no list indexes).
 */
export interface FieldAt {
  readonly field: string
  readonly arg: string
}

/** The outcome of checking one scalar value, before it is tied to a field name. */
export type Checked<T> = { ok: true; value: T } | { ok: false; reason: string; shown?: unknown }

/**
 * A field type: parses an untrusted JSON value into a normalised value or throws InvalidInput
 * with Octavia's text. `parse` is never called with null or an absent value: the schema layer
 * (object-type.ts) decides what null means for each field.
 */
export interface FieldType<T> {
  /** WSME's name for the type (`uuid`, `int`, `[str]`...), for messages and debugging. */
  readonly name: string
  parse(value: PresentValue, at: FieldAt): T
  /**
   * Scalar types also check a value without naming a field, so a list or dict can report the
   * whole container as upstream does (`Value: '['10.0.1.0/33']'`). Any item may be null here.
   */
  readonly check?: (value: unknown) => Checked<T>
  /** Set on list- and dict-shaped types (objects are dicts), to word "not a valid list/dict". */
  readonly container?: 'list' | 'dict'
}

/** The output type of a field type. */
export type Output<F> = F extends FieldType<infer T> ? T : never

/** `Invalid input for field/attribute <field>. Value: '<value>'. <reason>` (spec/api-v2.md §3.4). */
export function invalidField(field: string, value: unknown, reason: string): InvalidInput {
  return new InvalidInput(`Invalid input for field/attribute ${field}. Value: '${pythonStr(value)}'. ${reason}`)
}

/** spec/api-v2.md §3.4 for absent mandatory fields, and §18 for mandatory fields sent as null. */
export function mandatoryFieldMissing(field: string): InvalidInput {
  return invalidField(field, null, 'Mandatory field missing.')
}

/** A scalar type from its check: failures name the field and show the value (or what the check chose to show). */
export function scalar<T>(name: string, check: (value: unknown) => Checked<T>): FieldType<T> {
  return {
    name,
    check,
    parse(value, at) {
      const result = check(value)
      if (result.ok) return result.value
      throw invalidField(at.field, 'shown' in result ? result.shown : value, result.reason)
    },
  }
}

export function ok<T>(value: T): Checked<T> {
  return { ok: true, value }
}

export function rejected<T = never>(reason: string, shown?: unknown): Checked<T> {
  return shown === undefined ? { ok: false, reason } : { ok: false, reason, shown }
}
