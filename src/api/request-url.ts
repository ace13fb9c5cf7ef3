import type { FastifyRequest } from 'fastify'

// spec/api-v2.md §3.1: a deployment may publish the API under /load-balancer/ behind a proxy.
export const PATH_PREFIX = '/load-balancer'

function header(req: FastifyRequest, name: string): string | undefined {
  const value = req.headers[name]
  const first = Array.isArray(value) ? value[0] : value
  return first?.split(',')[0]?.trim() || undefined
}

/** `<scheme>://<host>[:port]` as the client reached us, honouring a proxy's X-Forwarded-* headers. */
export function requestOrigin(req: FastifyRequest): string {
  const proto = header(req, 'x-forwarded-proto') ?? req.protocol
  const host = header(req, 'x-forwarded-host') ?? req.headers.host ?? req.hostname
  return `${proto}://${host}`
}

/** The path prefix the client used (`/load-balancer` behind a proxy, else ''). */
export function requestPrefix(req: FastifyRequest): string {
  return req.originalUrl.startsWith(PATH_PREFIX) ? PATH_PREFIX : ''
}

/** The request's query string exactly as sent (repeated parameters kept), without the '?'. */
export function rawQuery(req: FastifyRequest): string {
  const url = req.raw.url ?? ''
  const at = url.indexOf('?')
  return at < 0 ? '' : url.slice(at + 1)
}

/** The link base of a list: origin, prefix and the request path without its query (spec/api-v2.md §5.2). */
export function listBaseUrl(req: FastifyRequest): string {
  return `${requestOrigin(req)}${requestPrefix(req)}${req.url.split('?')[0]}`
}

/** `?fields=` values of a single-object GET (repeatable; a comma is not a separator, spec/api-v2.md §5.6). */
export function requestedFields(req: FastifyRequest): string[] | undefined {
  const fields = new URLSearchParams(rawQuery(req)).getAll('fields')
  return fields.length > 0 ? fields : undefined
}
