import { test } from 'node:test'
import assert from 'node:assert/strict'
import { newId } from '../src/common/ids.ts'

test('ids are lower-case v4 UUIDs', () => {
  assert.match(newId(), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
})
