import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { TestContext } from 'node:test'

export const OCTAVIA_BIN = resolve(import.meta.dirname, '../../bin/octavia.js')
// Byte-for-byte copies of the operator's sample pillars (a clean clone has no ../shared).
export const FIXTURES = resolve(import.meta.dirname, '../config/fixtures')

export interface RunResult {
  code: number | null
  stdout: string
  stderr: string
}

/** A scratch working directory (the embedded defaults put ./var there), removed after the test. */
export function scratchDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'octavia-cli-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** Environment for a child `octavia`: no OCTAVIA__ overrides leak in from the caller. */
function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OCTAVIA__')))
  // Free heartbeat and agent ports, so that several `octavia up` run side by side; a test may name
  // others. Octavia's noop amphora driver unless a test asks for the data plane: parallel
  // instances would otherwise hand out the same VIPs of the default subnet.
  return {
    ...env, OCTAVIA_LOG_LEVEL: 'info', OCTAVIA__HEALTH_MANAGER__BIND_PORT: '0', OCTAVIA__HAPROXY_AMPHORA__BIND_PORT: '0',
    OCTAVIA__CONTROLLER_WORKER__AMPHORA_DRIVER: 'amphora_noop_driver', ...extra,
  }
}

/** Runs `octavia <args>` to completion. */
export function runOctavia(args: string[], options: { cwd: string; env?: Record<string, string> }): Promise<RunResult> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [OCTAVIA_BIN, ...args], { cwd: options.cwd, env: childEnv(options.env) })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('error', fail)
    child.on('close', (code) => done({ code, stdout, stderr }))
  })
}

export interface RunningService {
  child: ChildProcess
  /** JSON log lines seen so far on stderr. */
  logs: Array<Record<string, unknown>>
  stderr(): string
  /** Resolves with the first log line for which `match` is true. */
  waitForLog(match: (line: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>
  /** Sends a signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>
}

/** Starts a long-running `octavia <args>`; killed after the test if still running. */
export function startOctavia(t: TestContext, args: string[], options: { cwd: string; env?: Record<string, string> }): RunningService {
  const child = spawn(process.execPath, [OCTAVIA_BIN, ...args], { cwd: options.cwd, env: childEnv(options.env) })
  const logs: Array<Record<string, unknown>> = []
  const waiters: Array<{ match: (l: Record<string, unknown>) => boolean; resolve: (l: Record<string, unknown>) => void }> = []
  let text = ''
  let partial = ''
  child.stderr.on('data', (d: Buffer) => {
    text += d.toString()
    const lines = (partial + d.toString()).split('\n')
    partial = lines.pop() ?? ''
    for (const line of lines) {
      let parsed: Record<string, unknown>
      try {
        parsed = JSON.parse(line) as Record<string, unknown>
      } catch {
        continue // not a log line (e.g. a plain error message); kept in stderr()
      }
      logs.push(parsed)
      for (const w of [...waiters]) {
        if (w.match(parsed)) {
          waiters.splice(waiters.indexOf(w), 1)
          w.resolve(parsed)
        }
      }
    }
  })
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)))
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL')
      await exited
    }
  })
  return {
    child,
    logs,
    stderr: () => text,
    waitForLog: (match) => {
      const seen = logs.find(match)
      if (seen) return Promise.resolve(seen)
      return new Promise((resolve, reject) => {
        waiters.push({ match, resolve })
        void exited.then((code) => reject(new Error(`octavia exited with ${code} before the expected log line; stderr:\n${text}`)))
      })
    },
    stop: (signal = 'SIGTERM') => {
      child.kill(signal)
      return exited
    },
  }
}
