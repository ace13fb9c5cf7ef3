import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

// What the agent adds in front of every amphora's configuration: stats socket, log target, state file.
const hostPart = (dir: string) =>
  `global\n    stats socket unix@${dir}/stats.sock\n    log 127.0.0.1:514 local0\n    server-state-file ${dir}/servers-state\n`

/**
 * `haproxy -c` on the given configuration text, after the host part as the agent runs it:
 * what it printed and whether it said valid.
 */
export async function haproxyCheck(text: string): Promise<{ valid: boolean; output: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'octavia-haproxy-check-'))
  try {
    writeFileSync(join(dir, 'host.cfg'), hostPart(dir))
    writeFileSync(join(dir, 'servers-state'), '1\n')
    writeFileSync(join(dir, 'haproxy.cfg'), text)
    const result = await run('haproxy', ['-c', '-f', join(dir, 'host.cfg'), '-f', join(dir, 'haproxy.cfg')]).then(
      ({ stdout, stderr }) => ({ code: 0, output: stdout + stderr }),
      (err: { code?: number; stdout?: string; stderr?: string }) => ({ code: err.code ?? 1, output: (err.stdout ?? '') + (err.stderr ?? '') }),
    )
    return { valid: result.code === 0 && /Configuration file is valid/.test(result.output), output: result.output }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
