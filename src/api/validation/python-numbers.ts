// What Python's int(text, base) and float(text) accept, because WSME converts request values with
// them: surrounding whitespace, a sign, `_` between digits, and for base 16 an optional 0x.
// Non-ASCII digits (which Python also takes) are refused here.

const WS = '[\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*'
const DECIMAL_INT = new RegExp(`^${WS}([+-]?)([0-9](?:_?[0-9])*)${WS}$`)
const HEX_INT = new RegExp(`^${WS}([+-]?)(?:0[xX]_?)?([0-9a-fA-F](?:_?[0-9a-fA-F])*)${WS}$`)
const DIGITS = '[0-9](?:_?[0-9])*'
const FLOAT = new RegExp(
  `^${WS}([+-]?)(?:((?:${DIGITS}(?:\\.(?:${DIGITS})?)?|\\.${DIGITS})(?:[eE][+-]?${DIGITS})?)|(inf|infinity|nan))${WS}$`, 'i')

/** Python's `int(text, base)` for base 10 or 16, or null where Python raises ValueError. */
export function parsePythonInt(text: string, base: 10 | 16): bigint | null {
  const match = (base === 10 ? DECIMAL_INT : HEX_INT).exec(text)
  if (!match) return null
  const magnitude = BigInt(`${base === 16 ? '0x' : ''}${match[2]!.replaceAll('_', '')}`)
  return match[1] === '-' ? -magnitude : magnitude
}

/** Python's `float(text)`, or null where Python raises ValueError. */
export function parsePythonFloat(text: string): number | null {
  const match = FLOAT.exec(text)
  if (!match) return null
  const negative = match[1] === '-'
  const special = match[3]?.toLowerCase()
  if (special === 'nan') return Number.NaN
  const magnitude = special === undefined ? Number(match[2]!.replaceAll('_', '')) : Number.POSITIVE_INFINITY
  return negative ? -magnitude : magnitude
}
