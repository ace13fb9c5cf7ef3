import type { ListLink } from './list-links.ts'
import { linksKeyOf, type ListSpec } from './list-spec.ts'

/** `{"<collection>": [...], "<collection>_links": [...]}`; no links key when pagination is disabled. */
export function listResponse(spec: Pick<ListSpec, 'collection' | 'linksKey'>, objects: readonly object[], links: ListLink[] | null): Record<string, unknown> {
  return links === null ? { [spec.collection]: objects } : { [spec.collection]: objects, [linksKeyOf(spec)]: links }
}
