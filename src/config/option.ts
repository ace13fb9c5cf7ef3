import { parseCidr, parseHostPort, parseIp } from './ip-address.ts'

// Typed option descriptors: each option knows its type (for TypeScript and for validation),
// how to describe a valid value in an error message, its default, and whether it is secret.
// The schema (schema.ts) is built from these; nothing else declares defaults or secrets.

export const INVALID: unique symbol = Symbol('invalid')
export type Invalid = typeof INVALID

export type Path = readonly (string | number)[]

/** `octavia.networks[0].cidr` */
export function formatPath(path: Path): string {
  return path.map((segment, i) => (typeof segment === 'number' ? `[${segment}]` : i === 0 ? segment : `.${segment}`)).join('')
}

/** A problem inside one option's value, `at` relative to where the value was given. */
export interface Problem {
  readonly at: Path
  readonly message: string
  /** Unknown keys are warnings; everything else is an error. */
  readonly warning?: boolean
}

/** What a computed default may look at. */
export interface DefaultContext {
  readonly env: Readonly<Record<string, string | undefined>>
  readonly hostname: string
  /** Effective value of another key of the same struct. */
  sibling(key: string): unknown
  /** Effective value of any option, by effective path (`health_manager.bind_port`). */
  lookup(path: string): unknown
}

type Default<T> =
  | { readonly kind: 'value'; readonly value: T }
  | { readonly kind: 'computed'; readonly compute: (ctx: DefaultContext) => T }
  | { readonly kind: 'required' }

export type Output<O> = O extends Option<infer T> ? T : never

export abstract class Option<T> {
  /** Phantom: the effective value's type. */
  declare readonly output: T
  /** How a valid value looks, for messages: `expected <expected>, got …`. */
  abstract readonly expected: string
  defaultSpec: Default<T> = { kind: 'required' }
  /** Masked by maskSecrets and never echoed in messages. */
  secret = false
  /** Override text (env, --set) is taken verbatim instead of being parsed as YAML. */
  textual = false

  /** Checks a given (non-null) value; problems are appended, INVALID returned if any. */
  abstract check(input: unknown, at: Path, problems: Problem[], ctx: DefaultContext): T | Invalid

  default(value: T): this {
    return this.with({ defaultSpec: { kind: 'value', value } })
  }

  /** A default computed when the config is built (from the environment, the host, or another option). */
  computed(compute: (ctx: DefaultContext) => T): this {
    return this.with({ defaultSpec: { kind: 'computed', compute } })
  }

  /** The value may be left unset: then it is null (Octavia's None). */
  nullable(): Option<T | null> {
    const copy = this.with({}) as Option<T | null>
    copy.defaultSpec = { kind: 'value', value: null }
    return copy
  }

  markSecret(): this {
    return this.with({ secret: true })
  }

  get required(): boolean {
    return this.defaultSpec.kind === 'required'
  }

  defaultValue(ctx: DefaultContext): T {
    const spec = this.defaultSpec
    if (spec.kind === 'value') return spec.value
    if (spec.kind === 'computed') return spec.compute(ctx)
    throw new Error('option has no default')
  }

  /** `got "two"` (or only the kind of value for secrets). */
  protected got(input: unknown): string {
    return this.secret ? `got ${kindOf(input)} (value hidden)` : `got ${show(input)}`
  }

  protected fail(input: unknown, at: Path, problems: Problem[]): Invalid {
    problems.push({ at, message: `expected ${this.expected}, ${this.got(input)}` })
    return INVALID
  }

  protected with(patch: Partial<Option<T>>): this {
    return Object.assign(Object.create(Object.getPrototypeOf(this) as object) as this, this, patch)
  }
}

/** A scalar option: one acceptance function. */
export class Leaf<T> extends Option<T> {
  constructor(
    readonly expected: string,
    private readonly accept: (input: unknown) => T | Invalid,
    textual: boolean,
  ) {
    super()
    this.textual = textual
  }

  check(input: unknown, at: Path, problems: Problem[]): T | Invalid {
    const value = this.accept(input)
    return value === INVALID ? this.fail(input, at, problems) : value
  }
}

export class ListOption<T> extends Option<readonly T[]> {
  readonly expected: string

  constructor(
    readonly item: Option<T>,
    private readonly refineList?: (items: readonly T[], report: (at: Path, message: string) => void) => void,
  ) {
    super()
    this.expected = `a list (each item ${item.expected})`
  }

  check(input: unknown, at: Path, problems: Problem[], ctx: DefaultContext): readonly T[] | Invalid {
    if (!Array.isArray(input)) return this.fail(input, at, problems)
    const before = problems.filter((p) => !p.warning).length
    const items = input.map((element: unknown, i) => {
      if (element === null || element === undefined) {
        problems.push({ at: [...at, i], message: `expected ${this.item.expected}, got null` })
        return INVALID
      }
      return this.item.check(element, [...at, i], problems, ctx)
    })
    if (problems.filter((p) => !p.warning).length > before) return INVALID
    const list = items as T[]
    this.refineList?.(list, (where, message) => problems.push({ at: [...at, ...where], message }))
    return problems.filter((p) => !p.warning).length > before ? INVALID : list
  }
}

/** A free mapping of names to values (Octavia's DictOpt). */
export class DictOption<T> extends Option<Readonly<Record<string, T>>> {
  readonly expected: string

  constructor(readonly value: Option<T>) {
    super()
    this.expected = `a mapping (each value ${value.expected})`
  }

  check(input: unknown, at: Path, problems: Problem[], ctx: DefaultContext): Readonly<Record<string, T>> | Invalid {
    if (!isMapping(input)) return this.fail(input, at, problems)
    const before = problems.length
    const out: Record<string, T> = {}
    for (const [key, element] of Object.entries(input)) {
      const value = element === null ? null : this.value.check(element, [...at, key], problems, ctx)
      if (value !== INVALID) out[key] = value as T
    }
    return problems.length > before ? INVALID : out
  }
}

type Shape = Record<string, Option<unknown>>
export type StructOutput<S extends Shape> = { readonly [K in keyof S]: Output<S[K]> }

/**
 * A mapping with known keys. In option groups its leaves are merged one by one across the places
 * that give them (walk-pillar.ts); as a list element it is checked whole, here.
 */
export class Struct<S extends Shape> extends Option<StructOutput<S>> {
  readonly expected = 'a mapping'

  constructor(
    readonly fields: S,
    readonly refineStruct?: (value: StructOutput<S>, report: (at: Path, message: string) => void) => void,
  ) {
    super()
  }

  override get required(): boolean {
    return false
  }

  /** Every field at its default (a nested struct left out entirely). */
  override defaultValue(ctx: DefaultContext): StructOutput<S> {
    const problems: Problem[] = []
    const value = this.check({}, [], problems, ctx)
    if (value === INVALID) throw new Error(`struct has required fields: ${problems.map((p) => p.at.join('.')).join(', ')}`)
    return value
  }

  check(input: unknown, at: Path, problems: Problem[], ctx: DefaultContext): StructOutput<S> | Invalid {
    if (!isMapping(input)) return this.fail(input, at, problems)
    const errorsBefore = problems.filter((p) => !p.warning).length
    for (const key of Object.keys(input)) {
      if (!(key in this.fields)) problems.push({ at: [...at, key], message: 'unknown key', warning: true })
    }
    const out: Record<string, unknown> = {}
    const given: Record<string, unknown> = {}
    for (const [key, option] of Object.entries(this.fields)) {
      const element = input[key]
      if (element === null || element === undefined) continue
      const value = option.check(element, [...at, key], problems, ctx)
      if (value !== INVALID) given[key] = value
    }
    for (const [key, option] of Object.entries(this.fields)) {
      if (key in given) out[key] = given[key]
      else if (option.required && (input[key] === null || input[key] === undefined)) problems.push({ at: [...at, key], message: 'required' })
    }
    if (problems.filter((p) => !p.warning).length > errorsBefore) return INVALID
    const itemCtx: DefaultContext = { ...ctx, sibling: (key) => out[key], lookup: ctx.lookup }
    for (const [key, option] of Object.entries(this.fields)) {
      if (!(key in out)) out[key] = option.defaultValue(itemCtx)
    }
    const value = out as StructOutput<S>
    this.refineStruct?.(value, (where, message) => problems.push({ at: [...at, ...where], message }))
    return problems.filter((p) => !p.warning).length > errorsBefore ? INVALID : value
  }
}

// ---- constructors ---------------------------------------------------------------------------

export function int(bounds: { min?: number; max?: number } = {}): Leaf<number> {
  const { min, max } = bounds
  const expected =
    min !== undefined && max !== undefined ? `an integer between ${min} and ${max}`
      : min !== undefined ? `an integer >= ${min}`
        : max !== undefined ? `an integer <= ${max}` : 'an integer'
  return new Leaf(expected, (input) =>
    typeof input === 'number' && Number.isSafeInteger(input) && (min === undefined || input >= min) && (max === undefined || input <= max)
      ? input : INVALID, false)
}

/** A number of seconds that may have a fraction (Octavia's FloatOpt). */
export function num(bounds: { min?: number } = {}): Leaf<number> {
  const { min } = bounds
  return new Leaf(min === undefined ? 'a number' : `a number >= ${min}`, (input) =>
    typeof input === 'number' && Number.isFinite(input) && (min === undefined || input >= min) ? input : INVALID, false)
}

export function port(): Leaf<number> {
  return int({ min: 1, max: 65535 })
}

/** A port this process listens on: 0 lets the kernel pick a free one (tests, several instances on one host). */
export function listenPort(): Leaf<number> {
  return int({ min: 0, max: 65535 })
}

// PyYAML (Salt's parser) reads yes/no/on/off as booleans; YAML 1.2 (ours) reads them as strings.
const YAML11_BOOLEANS: Record<string, boolean> = { yes: true, on: true, no: false, off: false }

export function bool(): Leaf<boolean> {
  return new Leaf('a boolean (true or false)', (input) => {
    if (typeof input === 'boolean') return input
    if (typeof input === 'string') return YAML11_BOOLEANS[input.toLowerCase()] ?? INVALID
    return INVALID
  }, false)
}

export function str(options: { pattern?: RegExp; expected?: string; nonEmpty?: boolean } = {}): Leaf<string> {
  const { pattern, nonEmpty = false } = options
  const expected = options.expected ?? (nonEmpty ? 'a non-empty string' : 'a string')
  return new Leaf(expected, (input) =>
    typeof input === 'string' && (!nonEmpty || input !== '') && (pattern === undefined || pattern.test(input)) ? input : INVALID, true)
}

export function oneOf<const V extends readonly string[]>(values: V): Leaf<V[number]> {
  return new Leaf(`one of ${values.join(', ')}`, (input) =>
    typeof input === 'string' && values.includes(input) ? (input as V[number]) : INVALID, true)
}

export function ip(): Leaf<string> {
  return new Leaf('an IP address', (input) => (typeof input === 'string' && parseIp(input) !== null ? input : INVALID), true)
}

const HOSTNAME = /^[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*\.?$/

export function host(): Leaf<string> {
  return new Leaf('a host name or IP address', (input) =>
    typeof input === 'string' && (parseIp(input) !== null || HOSTNAME.test(input)) ? input : INVALID, true)
}

export function hostPort(): Leaf<string> {
  return new Leaf('an address:port such as 192.0.2.10:5555', (input) =>
    typeof input === 'string' && parseHostPort(input) !== null ? input : INVALID, true)
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

export function uuid(): Leaf<string> {
  // Lower case, like every id we hand out (spec/api-v2.md §3.5), so ids compare as strings.
  return new Leaf('a lower-case UUID', (input) => (typeof input === 'string' && UUID.test(input) ? input : INVALID), true)
}

export function url(): Leaf<string> {
  return new Leaf('an http or https URL', (input) => {
    if (typeof input !== 'string' || !URL.canParse(input)) return INVALID
    return ['http:', 'https:'].includes(new URL(input).protocol) ? input : INVALID
  }, true)
}

/** A subnet; a value with host bits set gets a message naming the network meant. */
export class CidrOption extends Option<string> {
  readonly expected = 'a CIDR such as 192.0.2.0/24'
  override textual = true

  check(input: unknown, at: Path, problems: Problem[]): string | Invalid {
    if (typeof input !== 'string') return this.fail(input, at, problems)
    const parsed = parseCidr(input)
    if (parsed.ok) return input
    problems.push({ at, message: `expected ${this.expected}, ${this.got(input)}: ${parsed.reason}` })
    return INVALID
  }
}

export function cidr(): CidrOption {
  return new CidrOption()
}

export function list<T>(item: Option<T>, refine?: (items: readonly T[], report: (at: Path, message: string) => void) => void): ListOption<T> {
  return new ListOption(item, refine)
}

export function dict<T>(value: Option<T>): DictOption<T> {
  return new DictOption(value)
}

export function struct<S extends Shape>(fields: S, refine?: (value: StructOutput<S>, report: (at: Path, message: string) => void) => void): Struct<S> {
  return new Struct(fields, refine)
}

/** Any scalar: the values of Octavia's free-form DictOpts. */
export function scalar(): Leaf<string | number | boolean> {
  return new Leaf('a string, number or boolean', (input) =>
    typeof input === 'string' || typeof input === 'number' || typeof input === 'boolean' ? input : INVALID, false)
}

// ---- helpers ------------------------------------------------------------------------------

export function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** A value as it appears in a message: strings quoted, long ones cut. */
export function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value)
  if (value === null || value === undefined || typeof value !== 'object') return String(value)
  const text = JSON.stringify(value)
  return text.length > 80 ? (Array.isArray(value) ? 'a list' : 'a mapping') : text
}

function kindOf(value: unknown): string {
  if (Array.isArray(value)) return 'a list'
  if (isMapping(value)) return 'a mapping'
  return typeof value === 'number' ? 'a number' : typeof value === 'boolean' ? 'a boolean' : 'a string'
}
