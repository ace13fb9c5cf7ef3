import { InvalidInput } from '../../common/errors.ts'
import { isJsonObject, list } from './container-types.ts'
import { invalidField, mandatoryFieldMissing, type FieldType, type PresentValue } from './field-type.ts'
import { object, unknownAttributes, type Parsed, type Schema } from './object-type.ts'
import { pythonStr } from '../../common/python-repr.ts'

export interface BodySpec<S extends Schema> {
  /** Octavia's body argument name, used in its messages: `load_balancer`, `listener_`, `members_`. */
  readonly arg: string
  /** The envelope key (spec/api-v2.md §3.3): `loadbalancer`, `listener`, `members`. */
  readonly envelope: string
  readonly fields: S
}

/**
 * A single-object body `{"<envelope>": {...}}` (spec/api-v2.md §3.3, §3.4), checked in this order,
 * the first problem being the one reported:
 * 1. no body (or JSON null) → `Missing argument: "<arg>"`;
 * 2. a body that is not an object → `Invalid input for field/attribute <arg>. Value: '<body>'. Value not a valid dict: <body>`;
 * 3. top-level keys other than the envelope → `Unknown attribute(s) for argument <arg>: <names>`;
 * 4. envelope absent or null → `Invalid input for field/attribute <envelope>. Value: 'None'. Mandatory field missing.` (§18);
 * 5. the envelope's attributes as parseFields checks them (unknown ones name `<arg>.<envelope>`).
 * Returns exactly the keys present in the request, explicit nulls kept.
 */
export function parseBody<const S extends Schema>(body: unknown, spec: BodySpec<S>): Parsed<S> {
  return parseEnvelope(body, spec, object(spec.fields))
}

/** A list body such as the member batch update `{"members": [...]}` (arg `members_`); same order as parseBody. */
export function parseListBody<const S extends Schema>(body: unknown, spec: BodySpec<S>): Array<Parsed<S>> {
  return parseEnvelope(body, spec, list(object(spec.fields)))
}

function parseEnvelope<T>(body: unknown, spec: BodySpec<Schema>, type: FieldType<T>): T {
  if (body === undefined || body === null) throw new InvalidInput(`Missing argument: "${spec.arg}"`)
  if (!isJsonObject(body)) throw invalidField(spec.arg, body, `Value not a valid dict: ${pythonStr(body)}`)
  const unknown = Object.keys(body).filter((key) => key !== spec.envelope).sort()
  if (unknown.length > 0) throw unknownAttributes(spec.arg, unknown)
  const value = body[spec.envelope]
  if (value === undefined || value === null) throw mandatoryFieldMissing(spec.envelope)
  return type.parse(value as PresentValue, { field: spec.envelope, arg: `${spec.arg}.${spec.envelope}` })
}
