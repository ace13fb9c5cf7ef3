/** One upgrade check's outcome, as oslo's upgrade-check framework reports it. */
export interface CheckResult {
  name: string
  code: CheckCode
  details?: string
}

export const CHECK_CODES = { Success: 0, Warning: 1, Failure: 2 } as const
export type CheckCode = keyof typeof CHECK_CODES

/** The exit status of a run: the worst result's code (0 success, 1 warning, 2 failure). */
export function worstCode(results: CheckResult[]): number {
  return Math.max(0, ...results.map((r) => CHECK_CODES[r.code]))
}

/**
 * Renders results in the boxed table `octavia-status upgrade check` prints:
 * a title row, then per check its name, result and (wrapped) details.
 */
export function renderCheckTable(results: CheckResult[], width = 60): string {
  const inner = width - 4
  const rule = `+${'-'.repeat(width - 2)}+`
  const row = (text: string) => `| ${text.padEnd(inner)} |`
  const lines = [rule, row('Upgrade Check Results'), rule]
  for (const r of results) {
    lines.push(row(`Check: ${r.name}`), row(`Result: ${r.code}`))
    const details = r.details ? wrap(`Details: ${r.details}`, inner) : ['Details: None']
    lines.push(...details.map(row), rule)
  }
  return `${lines.join('\n')}\n`
}

function wrap(text: string, width: number): string[] {
  const out: string[] = []
  for (const paragraph of text.split('\n')) {
    let line = ''
    for (const word of paragraph.split(/\s+/).filter(Boolean)) {
      for (let piece = word; piece.length > 0; piece = piece.slice(width)) {
        const chunk = piece.slice(0, width)
        if (line === '') line = chunk
        else if (line.length + 1 + chunk.length <= width) line += ` ${chunk}`
        else {
          out.push(line)
          line = chunk
        }
      }
    }
    out.push(line)
  }
  return out
}
