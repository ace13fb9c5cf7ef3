/** A boxed table like the openstack client prints, one column per key of the first row. */
export function renderTable(rows: ReadonlyArray<Record<string, unknown>>): string {
  if (rows.length === 0) return '(none)\n'
  const keys = Object.keys(rows[0] ?? {})
  const cells = rows.map((row) => keys.map((k) => String(row[k] ?? '')))
  const widths = keys.map((k, i) => Math.max(k.length, ...cells.map((c) => c[i]?.length ?? 0)))
  const rule = `+${widths.map((w) => '-'.repeat(w + 2)).join('+')}+`
  const line = (values: string[]) => `| ${values.map((v, i) => v.padEnd(widths[i] ?? 0)).join(' | ')} |`
  return [rule, line(keys), rule, ...cells.map(line), rule].join('\n') + '\n'
}
