import { randomUUID } from 'node:crypto'

/** A new resource id: a random (v4) UUID, lower case with dashes (spec/api-v2.md §3.5). */
export function newId(): string {
  return randomUUID()
}
