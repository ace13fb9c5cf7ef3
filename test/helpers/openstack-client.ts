import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'

export const OPENSTACK_BIN = '/usr/bin/openstack'

export interface ClientResult {
  code: number
  stdout: string
  stderr: string
}

/**
 * Runs the real `openstack` client (Debian's python3-openstackclient + python3-octaviaclient, which
 * `npm test` installs) against our API in noauth mode; the client appends /v2.0 itself.
 * Fails loudly, never skips, when the client is missing.
 */
export function openstack(endpoint: string, args: string[]): Promise<ClientResult> {
  if (!existsSync(OPENSTACK_BIN)) {
    throw new Error(`${OPENSTACK_BIN} is missing: install python3-openstackclient and python3-octaviaclient (scripts/setup.sh does)`)
  }
  return new Promise((resolve) => {
    execFile(OPENSTACK_BIN, ['--os-auth-type', 'none', '--os-endpoint', endpoint, ...args], { timeout: 60_000, env: { ...process.env, OS_CLOUD: '' } },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }))
  })
}

/** Runs a client command with `-f json` and parses its output; throws with the client's stderr on failure. */
export async function openstackJson<T = Record<string, unknown>>(endpoint: string, args: string[]): Promise<T> {
  const res = await openstack(endpoint, [...args, '-f', 'json'])
  if (res.code !== 0) throw new Error(`openstack ${args.join(' ')} failed (${res.code}): ${res.stderr}`)
  return JSON.parse(res.stdout) as T
}
