// Whether a regular expression compiles, as Python's `re.compile` would judge it (upstream checks
// L7 rule values that way; spec/api-v2.md §13.6). Python's own syntax is rewritten into what
// JavaScript's RegExp accepts, its stricter escapes are checked by hand, and the RegExp
// constructor judges the rest. The error text is ours where Python's could not be reproduced.

// Escapes Python knows outside a character class; any other ASCII letter after `\` is an error.
const ESCAPES = new Set('abBdDfnrsStvwWZAuUxN')
// Inside a class \b is a backspace; the anchors make no sense there and Python refuses them.
const CLASS_ESCAPES = new Set('abdDfnrsStvwWuUxN')

/** null when `pattern` compiles, else a description of the first problem found. */
export function pythonRegexError(pattern: string): string | null {
  const escape = badEscape(pattern)
  if (escape !== null) return escape
  let source = pattern
  let flags = ''
  // Global flags lead the pattern in Python 3.11+: (?aiLmsux).
  const global = /^\(\?([aiLmsux]+)\)/.exec(source)
  if (global) {
    source = source.slice(global[0].length)
    if (global[1]!.includes('x')) source = withoutVerboseSpace(source)
    for (const flag of ['i', 'm', 's']) if (global[1]!.includes(flag)) flags += flag
  }
  source = source
    .replaceAll('(?P<', '(?<')
    .replace(/\(\?P=(\w+)\)/g, '\\k<$1>')
    .replace(/\(\?#[^)]*\)/g, '')
    // Scoped flags (?i:...) and atomic groups (?>...) group like (?:...) for syntax purposes.
    .replace(/\(\?[aiLmsux]*(?:-[imsx]+)?:/g, '(?:')
    .replaceAll('(?>', '(?:')
  try {
    new RegExp(source, flags)
    return null
  } catch (err) {
    // "Invalid regular expression: /x(/: Unterminated group" → "Unterminated group"
    const message = err instanceof Error ? err.message : String(err)
    return message.slice(message.lastIndexOf(': ') + 2)
  }
}

/** Python refuses `\` before an ASCII letter it does not define (`bad escape \q at position 3`). */
function badEscape(pattern: string): string | null {
  let inClass = false
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]
    if (c === '\\') {
      const next = pattern[i + 1]
      if (next !== undefined && /[A-Za-z]/.test(next) && !(inClass ? CLASS_ESCAPES : ESCAPES).has(next)) {
        return `bad escape \\${next} at position ${i}`
      }
      i++
    } else if (c === '[' && !inClass) {
      inClass = true
      // A ] right after [ or [^ is a literal member of the class.
      if (pattern[i + 1] === '^') i++
      if (pattern[i + 1] === ']') i++
    } else if (c === ']' && inClass) {
      inClass = false
    }
  }
  return null
}

/** Verbose mode: unescaped whitespace and #-comments outside classes do not count. */
function withoutVerboseSpace(source: string): string {
  let out = ''
  let inClass = false
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!
    if (c === '\\') {
      out += source.slice(i, i + 2)
      i++
    } else if (inClass) {
      out += c
      if (c === ']') inClass = false
    } else if (c === '[') {
      inClass = true
      out += c
    } else if (c === '#') {
      while (i < source.length && source[i] !== '\n') i++
    } else if (!/\s/.test(c)) {
      out += c
    }
  }
  return out
}
