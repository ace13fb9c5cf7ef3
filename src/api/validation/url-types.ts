import { parseIp } from '../../config/ip-address.ts'
import { ok, rejected, scalar, type FieldType } from './field-type.ts'

// RFC 3986 pieces. Octavia checks URLs with the rfc3986 package; a URL also ends up in HAProxy's
// configuration, so only URI characters are let through (non-ASCII must be percent-encoded).
const PCT = '%[0-9A-Fa-f]{2}'
const UNRESERVED_SUB = "A-Za-z0-9\\-._~!$&'()*+,;="
const PCHAR = `(?:[${UNRESERVED_SUB}:@]|${PCT})`
const URL_PATTERN = new RegExp(
  '^https?://' +
  `(?:(?:[${UNRESERVED_SUB}:]|${PCT})*@)?` + // userinfo
  `(\\[[0-9A-Fa-f:.]+\\]|(?:[${UNRESERVED_SUB}]|${PCT})+)` + // host
  '(?::([0-9]{1,5}))?' + // port
  `(?:/${PCHAR}*)*` + // path
  `(?:\\?(?:${PCHAR}|[/?])*)?` + // query
  `(?:#(?:${PCHAR}|[/?])*)?$`, // fragment
  'i',
)

export interface UrlOptions {
  /** Maximum length in characters (spec/api-v2.md §18: redirect_url/redirect_prefix hold 255). */
  max?: number
}

/** Octavia's URLType: an absolute http or https URL with a host (spec/api-v2.md §13.1). */
export function url(options: UrlOptions = {}): FieldType<string> {
  return scalar('url', (value) => {
    if (typeof value !== 'string' || !isHttpUrl(value)) return rejected('Value must be a valid URL string')
    if (options.max !== undefined && [...value].length > options.max) {
      return rejected(`Value should have a maximum character requirement of ${options.max}`)
    }
    return ok(value)
  })
}

function isHttpUrl(text: string): boolean {
  const match = URL_PATTERN.exec(text)
  if (!match) return false
  const host = match[1]!
  if (host.startsWith('[') && parseIp(host.slice(1, -1))?.family !== 6) return false
  return match[2] === undefined || Number(match[2]) <= 65535
}

/**
 * Octavia's URLPathType (health monitor url_path): starts with `/`, no scheme, host, port or
 * userinfo (so not `//`), no whitespace or control characters; a query and fragment may follow.
 */
export function urlPath(): FieldType<string> {
  return scalar('url_path', (value) =>
    typeof value === 'string' && /^\/(?!\/)/.test(value) && !/[\s\p{Cc}]/u.test(value)
      ? ok(value)
      : rejected('Value must be a valid URL Path string'))
}
