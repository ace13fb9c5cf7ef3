// HAProxy's configuration parser splits lines into words on spaces, starts a comment at `#`,
// takes quotes (expanding `$VAR` only inside double ones); a backslash escapes a space, `#`,
// `\\` and quotes, and `\xHH` writes any byte. Any other backslash stays as it is (`\$` is two
// characters), so `$` is left alone. Every value that comes from a tenant goes through
// haproxyWord, so it stays one word with exactly its own characters.

const SPECIAL = new Set(['\\', ' ', '#', "'", '"'])

/** `value` as one HAProxy configuration word. */
export function haproxyWord(value: string): string {
  if (value === '') return '""'
  let out = ''
  for (const ch of value) {
    const code = ch.codePointAt(0)!
    if (SPECIAL.has(ch)) out += `\\${ch}`
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`
    else out += ch
  }
  return out
}

/** RFC 9110 token: a header, cookie or DN field name that can sit inside a sample fetch's parentheses. */
export function isToken(value: string | null): value is string {
  return value !== null && /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(value)
}

/** spec/haproxy-mapping.md §5: a redirect target holding a control character or a space is treated as unset. */
export function isSafeRedirectTarget(value: string | null): value is string {
  // eslint-disable-next-line no-control-regex -- the control characters are what this looks for
  return value !== null && value !== '' && !/[\x00-\x20\x7f-\x9f]/.test(value)
}
