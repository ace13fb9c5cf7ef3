// The scalar field types of Octavia (WSME): each parses an untrusted JSON value into a normalised value or
// throws InvalidInput with upstream's text (spec/api-v2.md §3.4).
//
// Where upstream has no message of its own (a wrong type for an int/float/bool/list/dict field),
// WSME raises the Python conversion error and reports it against the whole body argument
// (`Invalid input for field/attribute load_balancer. Value: '{...}'. Value not a valid list: x`).
// We keep upstream's reason text but name the field and show its value, like every other message:
//   int    `invalid literal for int() with base 10: 'abc'`, or for a list/dict
//          `int() argument must be a string, a bytes-like object or a real number, not 'list'`
//   float  `could not convert string to float: 'abc'`, or
//          `float() argument must be a string or a real number, not 'list'`
//   bool   `Value not an unambiguous boolean: maybe`
//   list   `Value not a valid list: x`
//   dict   `Value not a valid dict: x` (also for a nested object that is not one)
import { ok, rejected, scalar, type Checked, type FieldType } from './field-type.ts'
import { parsePythonFloat, parsePythonInt } from './python-numbers.ts'
import { pythonFloatRepr, pythonRepr, pythonStr } from '../../common/python-repr.ts'

export interface StrOptions {
  /** Maximum length in characters (code points, as Python counts). */
  max: number
  min?: number
  /** Searched (not anchored) as Python's `re.search`; must not carry the `g` or `y` flag. */
  pattern?: RegExp
  /** The pattern as upstream prints it in its message, when it differs from `pattern.source`. */
  patternText?: string
}

/** WSME StringType: checks type, then maximum, minimum, pattern, in that order. */
export function str(options: StrOptions): FieldType<string> {
  return scalar('str', (value) => {
    if (typeof value !== 'string') return rejected('Value should be string')
    const length = [...value].length
    if (length > options.max) return rejected(`Value should have a maximum character requirement of ${options.max}`)
    if (options.min !== undefined && length < options.min) {
      return rejected(`Value should have a minimum character requirement of ${options.min}`)
    }
    if (options.pattern && value.search(options.pattern) < 0) {
      return rejected(`Value should match the pattern ${options.patternText ?? options.pattern.source}`)
    }
    return ok(value)
  })
}

/** WSME UuidType: anything Python's uuid.UUID() accepts, normalised to lower-case dashed form. */
export function uuid(): FieldType<string> {
  return scalar('uuid', (value) => {
    const canonical = typeof value === 'string' ? parsePythonUuid(value) : null
    return canonical === null ? rejected('Value should be UUID format') : ok(canonical)
  })
}

/** uuid.UUID(text): drops `urn:`/`uuid:` anywhere, braces at the ends and every dash, then 32 hex digits. */
export function parsePythonUuid(text: string): string | null {
  const hex = text.replaceAll('urn:', '').replaceAll('uuid:', '').replace(/^[{}]+|[{}]+$/g, '').replaceAll('-', '')
  if ([...hex].length !== 32) return null
  const n = parsePythonInt(hex, 16)
  if (n === null || n < 0n || n >= 1n << 128n) return null
  const digits = n.toString(16).padStart(32, '0')
  return [digits.slice(0, 8), digits.slice(8, 12), digits.slice(12, 16), digits.slice(16, 20), digits.slice(20)].join('-')
}

const TRUE_STRINGS: readonly unknown[] = ['true', 't', 'yes', 'y', 'on', '1']
const FALSE_STRINGS: readonly unknown[] = ['false', 'f', 'no', 'n', 'off', '0']

/** WSME's lenient bool: JSON booleans, integers (0 is false) and a few lower-case strings. */
export function bool(): FieldType<boolean> {
  return scalar('bool', (value) => {
    if (typeof value === 'boolean') return ok(value)
    if (typeof value === 'number' && Number.isInteger(value)) return ok(value !== 0)
    if (TRUE_STRINGS.includes(value)) return ok(true)
    if (FALSE_STRINGS.includes(value)) return ok(false)
    return rejected(`Value not an unambiguous boolean: ${pythonStr(value)}`)
  })
}

export interface IntOptions {
  min?: number
  max?: number
}

/**
 * WSME IntegerType after Python's int(): numbers (truncated toward zero: 80.9 → 80), numeric
 * strings (`"80"`, `" +8_0 "`) and booleans (Python's int(True) is 1). Range messages show the
 * converted value, as upstream does.
 */
export function int(options: IntOptions = {}): FieldType<number> {
  return scalar('int', (value) => {
    const converted = pythonInt(value)
    if (!converted.ok) return converted
    const n = converted.value
    if (options.min !== undefined && n < BigInt(options.min)) {
      return rejected(`Value should be greater or equal to ${options.min}`, n)
    }
    if (options.max !== undefined && n > BigInt(options.max)) {
      return rejected(`Value should be lower or equal to ${options.max}`, n)
    }
    return ok(Number(n))
  })
}

function pythonInt(value: unknown): Checked<bigint> {
  if (typeof value === 'boolean') return ok(value ? 1n : 0n)
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return rejected('cannot convert float NaN to integer')
    if (!Number.isFinite(value)) return rejected('cannot convert float infinity to integer')
    return ok(BigInt(Math.trunc(value)))
  }
  if (typeof value === 'string') {
    const n = parsePythonInt(value, 10)
    return n === null ? rejected(`invalid literal for int() with base 10: ${pythonRepr(value)}`) : ok(n)
  }
  return rejected(`int() argument must be a string, a bytes-like object or a real number, not '${pythonTypeName(value)}'`)
}

/** Python's float(): numbers, numeric strings (`"1.1"`, `"1e3"`, `"nan"`) and booleans. */
export function float(): FieldType<number> {
  return scalar('float', (value) => {
    if (typeof value === 'number') return ok(value)
    if (typeof value === 'boolean') return ok(value ? 1 : 0)
    if (typeof value === 'string') {
      const n = parsePythonFloat(value)
      return n === null ? rejected(`could not convert string to float: ${pythonRepr(value)}`) : ok(n)
    }
    return rejected(`float() argument must be a string or a real number, not '${pythonTypeName(value)}'`)
  })
}

/**
 * WSME Enum. Without `base` the values are strings compared as sent; with `base` (int() or
 * float()) the value is converted first, as `Enum(int, 301, 302)` and `Enum(float, 1.0, 1.1)`
 * do upstream. Values are listed in the order given (upstream's set order is arbitrary).
 */
export function oneOf<const V extends string>(values: readonly V[]): FieldType<V>
export function oneOf<const V extends number>(values: readonly V[], base: FieldType<number>): FieldType<V>
export function oneOf(values: readonly (string | number)[], base?: FieldType<number>): FieldType<string | number> {
  const convert = base?.check ?? ((value: unknown): Checked<unknown> => ok(value))
  const render = (v: unknown) => (base?.name === 'float' && typeof v === 'number' ? pythonFloatRepr(v) : pythonStr(v))
  const reason = `Value should be one of: ${values.map(render).join(', ')}`
  return scalar(`Enum(${values.map(render).join(', ')})`, (value) => {
    const converted = convert(value)
    if (!converted.ok) return converted
    const found = values.find((v) => v === converted.value)
    return found === undefined ? rejected(reason, render(converted.value)) : ok(found)
  })
}

const ALPN_PROTOCOLS: readonly unknown[] = ['h2', 'http/1.1', 'http/1.0']

/** Octavia's AlpnProtocolType: one of the ALPN ids HAProxy is configured with. */
export function alpnProtocol(): FieldType<string> {
  return scalar('alpn_protocol', (value) =>
    ALPN_PROTOCOLS.includes(value) ? ok(value as string) : rejected('Value should be a valid ALPN protocol ID'))
}

/** Python's name for the type of a decoded JSON value, as its TypeError messages print it. */
export function pythonTypeName(value: unknown): string {
  if (value === null || value === undefined) return 'NoneType'
  if (Array.isArray(value)) return 'list'
  if (typeof value === 'string') return 'str'
  if (typeof value === 'boolean') return 'bool'
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float'
  return 'dict'
}
