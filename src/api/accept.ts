/**
 * Whether an Accept header admits application/json (spec/api-v2.md §3.2): absent, empty or
 * unparsable headers do; a header that names only other types does not.
 */
export function acceptsJson(header: string | undefined): boolean {
  if (header === undefined || header.trim() === '') return true
  const ranges = header.split(',').map((part) => {
    const [type = '', ...params] = part.trim().split(';')
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='))
    return { type: type.trim().toLowerCase(), q: q === undefined ? 1 : Number(q.slice(2)) }
  })
  if (ranges.some((r) => !/^[\w.+-]+\/[\w.+*-]+$|^\*\/\*$/.test(r.type) || Number.isNaN(r.q))) return true
  return ranges.some((r) => r.q > 0 && ['application/json', 'application/*', '*/*'].includes(r.type))
}
