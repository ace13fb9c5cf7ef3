import assert from 'node:assert/strict'
import { InvalidInput } from '../../../src/common/errors.ts'
import type { FieldType, PresentValue } from '../../../src/api/validation/field-type.ts'

// Table helpers for the field-type tests: every case parses a value for a field named `f`.
const AT = { field: 'f', arg: 'thing_.thing.f' }

export function assertAccepts<T>(type: FieldType<T>, cases: ReadonlyArray<readonly [unknown, T]>): void {
  for (const [value, expected] of cases) {
    assert.deepEqual(type.parse(value as PresentValue, AT), expected, `${type.name} ${JSON.stringify(value)}`)
  }
}

/** Each case: the value and the reason after `Invalid input for field/attribute f. Value: '<shown>'. `. */
export function assertRefuses(type: FieldType<unknown>, cases: ReadonlyArray<readonly [unknown, string, string]>): void {
  for (const [value, shown, reason] of cases) {
    assertInvalid(() => type.parse(value as PresentValue, AT), `Invalid input for field/attribute f. Value: '${shown}'. ${reason}`)
  }
}

export function assertInvalid(fn: () => unknown, message: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof InvalidInput, `expected InvalidInput, got ${String(err)}`)
    assert.equal(err.message, message)
    return true
  })
}
