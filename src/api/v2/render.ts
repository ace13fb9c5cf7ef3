/** API timestamps: UTC, seconds, no zone suffix (spec/api-v2.md §3.5). */
export function apiTime(value: Date | null): string | null {
  return value === null ? null : value.toISOString().slice(0, 19)
}

/** name and description stored as null are shown as "" (spec/api-v2.md §3.4). */
export function text(value: string | null): string {
  return value ?? ''
}
