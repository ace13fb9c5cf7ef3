import { invalidField, type FieldAt, type FieldType } from './field-type.ts'
import { pythonStr } from '../../common/python-repr.ts'
import { str } from './scalar-types.ts'

/**
 * WSME ArrayType. A bad scalar item reports the whole list as the value, as upstream does
 * (`Value: '['10.0.1.0/33']'`); items of object type report their own fields. Null items are
 * refused (upstream lets them through to a database error).
 */
export function list<T>(item: FieldType<T>): FieldType<T[]> {
  return {
    name: `[${item.name}]`,
    container: 'list',
    parse(value, at) {
      if (!Array.isArray(value)) throw invalidField(at.field, value, `Value not a valid list: ${pythonStr(value)}`)
      return value.map((element: unknown) => parseElement(item, element, value, at))
    },
  }
}

/** WSME DictType with string keys (e.g. listener insert_headers); a bad value reports the whole dict. */
export function dict<T>(valueType: FieldType<T>): FieldType<Record<string, T>> {
  return {
    name: `{str: ${valueType.name}}`,
    container: 'dict',
    parse(value, at) {
      if (!isJsonObject(value)) throw invalidField(at.field, value, `Value not a valid dict: ${pythonStr(value)}`)
      // fromEntries defines keys, so a `__proto__` header name stays an ordinary key.
      return Object.fromEntries(Object.entries(value).map(([key, v]) => [key, parseElement(valueType, v, value, at)]))
    },
  }
}

/**
 * `tags`: strings of at most 255 characters; duplicates collapsed (spec/api-v2.md §18) and the
 * result sorted by code point, as upstream renders them (§3.4).
 */
export function tags(): FieldType<string[]> {
  const items = list(str({ max: 255 }))
  return {
    name: 'tags',
    container: 'list',
    parse: (value, at) => [...new Set(items.parse(value, at))].sort(compareCodePoints),
  }
}

function parseElement<T>(type: FieldType<T>, element: unknown, container: unknown, at: FieldAt): T {
  if (type.check) {
    const result = type.check(element)
    if (result.ok) return result.value
    throw invalidField(at.field, container, result.reason)
  }
  if (element === null || element === undefined) {
    throw invalidField(at.field, null, `Value not a valid ${type.container ?? 'dict'}: None`)
  }
  return type.parse(element as Parameters<FieldType<T>['parse']>[0], at)
}

export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function compareCodePoints(a: string, b: string): number {
  const left = [...a]
  const right = [...b]
  for (let i = 0; i < Math.min(left.length, right.length); i++) {
    const diff = left[i]!.codePointAt(0)! - right[i]!.codePointAt(0)!
    if (diff !== 0) return diff
  }
  return left.length - right.length
}
