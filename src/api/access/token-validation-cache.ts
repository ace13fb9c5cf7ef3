import { createHash } from 'node:crypto'

interface Entry<T> {
  /** null: Keystone said the token is not valid. */
  value: T | null
  until: number
}

export type CacheLookup<T> = { valid: true; value: T } | { valid: false } | undefined

/**
 * Recent token validations, so a busy client costs Keystone one validation per token and period.
 * Keyed by a digest, so the cache holds no usable tokens. Bounded: when full, the oldest entry goes.
 */
export class TokenValidationCache<T> {
  readonly #entries = new Map<string, Entry<T>>()
  readonly #maxEntries: number

  constructor(maxEntries: number) {
    this.#maxEntries = maxEntries
  }

  get size(): number {
    return this.#entries.size
  }

  /** The remembered answer for `token`, if it is still good at `now` (ms). */
  get(token: string, now: number): CacheLookup<T> {
    const key = digest(token)
    const entry = this.#entries.get(key)
    if (!entry) return undefined
    if (now >= entry.until) {
      this.#entries.delete(key)
      return undefined
    }
    return entry.value === null ? { valid: false } : { valid: true, value: entry.value }
  }

  /** Remembers `value` (null: invalid) for `token` until `until` (ms). */
  set(token: string, value: T | null, until: number): void {
    const key = digest(token)
    this.#entries.delete(key)
    if (this.#entries.size >= this.#maxEntries) {
      const oldest = this.#entries.keys().next()
      if (!oldest.done) this.#entries.delete(oldest.value)
    }
    this.#entries.set(key, { value, until })
  }

  clear(): void {
    this.#entries.clear()
  }
}

function digest(token: string): string {
  return createHash('sha256').update(token).digest('base64')
}
