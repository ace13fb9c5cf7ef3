// Lists show the same timestamps on every call: each second is formatted once (toISOString
// costs ~20 times a map lookup), in a cache that starts afresh when it gets large.
const formatted = new Map<number, string>()
const FORMATTED_MAX = 20_000

/** API timestamps: UTC, seconds, no zone suffix (spec/api-v2.md §3.5). */
export function apiTime(value: Date | null): string | null {
  if (value === null) return null
  const second = Math.floor(value.getTime() / 1000)
  let text = formatted.get(second)
  if (text === undefined) {
    text = value.toISOString().slice(0, 19)
    if (formatted.size >= FORMATTED_MAX) formatted.clear()
    formatted.set(second, text)
  }
  return text
}

/** name and description stored as null are shown as "" (spec/api-v2.md §3.4). */
export function text(value: string | null): string {
  return value ?? ''
}
