import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import type { TestContext } from 'node:test'
import { fileURLToPath } from 'node:url'

/** Byte-for-byte copies of the shared sample pillars (spec/pillars.md). */
export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures')
export const EXAMPLES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'examples')
export const API_PILLAR = join(FIXTURES, 'pillar-api.yaml')
export const MANAGER_PILLAR = join(FIXTURES, 'pillar-manager.yaml')

/** Writes pillar files into a fresh directory removed after the test; returns their paths. */
export function writePillars(t: TestContext, files: Record<string, string>): { dir: string; paths: Record<string, string> } {
  const dir = mkdtempSync(join(tmpdir(), 'octavia-config-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const paths: Record<string, string> = {}
  for (const [name, text] of Object.entries(files)) {
    paths[name] = join(dir, name)
    writeFileSync(paths[name], text)
  }
  return { dir, paths }
}

/** Heartbeat key and addresses a manager needs outside the embedded setup. */
export const MANAGER_EXTRAS = 'health_manager: { heartbeat_key: test-key }'
