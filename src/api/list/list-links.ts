/** An entry of `<collection>_links`. */
export interface ListLink {
  href: string
  rel: 'previous' | 'next'
}

/** What every link of a page repeats from the request (spec/api-v2.md §5.2). */
export interface ListLinkParams {
  /** The effective limit; null = unlimited, shown as `limit=None`. */
  limit: number | null
  /** `sort` and `sort_key` exactly as given, when given and not empty. */
  sort?: string
  sort_key?: string
}

/**
 * spec/api-v2.md §5.2: none for an empty page; `previous` (marker = first row, page_reverse=True)
 * only when the request had a marker; `next` (marker = last row) when the limit is unlimited or
 * the page is full, so a full last page still has one. Values are not escaped, as upstream.
 */
export function listLinks(baseUrl: string, params: ListLinkParams, pageKeys: readonly string[], requestHadMarker: boolean): ListLink[] {
  const first = pageKeys[0]
  const last = pageKeys[pageKeys.length - 1]
  if (first === undefined || last === undefined) return []
  const common = [`limit=${params.limit ?? 'None'}`]
  if (params.sort) common.push(`sort=${params.sort}`)
  if (params.sort_key) common.push(`sort_key=${params.sort_key}`)
  const href = (extra: string[]) => `${baseUrl}?${[...common, ...extra].join('&')}`
  const links: ListLink[] = []
  if (requestHadMarker) links.push({ href: href([`marker=${first}`, 'page_reverse=True']), rel: 'previous' })
  if (params.limit === null || pageKeys.length >= params.limit) links.push({ href: href([`marker=${last}`]), rel: 'next' })
  return links
}
