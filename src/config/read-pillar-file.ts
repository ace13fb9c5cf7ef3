import { readFileSync } from 'node:fs'
import YAML from 'yaml'
import type { ConfigIssue } from './config-error.ts'
import { isMapping } from './option.ts'

/**
 * Reads one pillar file. Problems (unreadable, YAML syntax, no `octavia` key) are appended to
 * `issues` and the file contributes nothing. An empty file is an empty pillar.
 * YAML 1.2 (the core schema); option types accept the few YAML 1.1 spellings Salt pillars use (option.ts).
 */
export function readPillarFile(file: string, issues: ConfigIssue[], warnings: ConfigIssue[]): Record<string, unknown> | undefined {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : (err as Error).message
    issues.push({ file, path: '', message: `cannot read the file: ${reason}` })
    return undefined
  }
  const document = YAML.parseDocument(text, { uniqueKeys: true, prettyErrors: true })
  const [error] = document.errors
  if (error) {
    // Later errors of a broken document are mostly echoes of the first one.
    issues.push({ file, ...position(error), path: '', message: `YAML syntax error: ${stripPosition(error.message)}` })
    return undefined
  }
  for (const warning of document.warnings) {
    warnings.push({ file, ...position(warning), path: '', message: `YAML: ${stripPosition(warning.message)}` })
  }
  let value: unknown
  try {
    value = document.toJS({ maxAliasCount: 1000 })
  } catch (err) {
    issues.push({ file, path: '', message: `YAML error: ${(err as Error).message}` })
    return undefined
  }
  if (value === null || value === undefined) return {}
  if (!isMapping(value) || !(value.octavia === null || isMapping(value.octavia))) {
    const got = !isMapping(value) ? 'the document is not a mapping' : value.octavia === undefined ? 'it is missing' : 'it is not a mapping'
    issues.push({ file, path: 'octavia', message: `a pillar's top-level key must be octavia, holding a mapping; ${got}` })
    return undefined
  }
  return value
}

function position(error: YAML.YAMLError): { line?: number; column?: number } {
  const start = error.linePos?.[0]
  return start ? { line: start.line, column: start.col } : {}
}

function stripPosition(message: string): string {
  return message.replace(/ at line \d+, column \d+:[\s\S]*$/, '')
}
