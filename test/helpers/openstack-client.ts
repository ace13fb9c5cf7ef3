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
  return run(['--os-auth-type', 'none', '--os-endpoint', endpoint, ...args])
}

/** A Keystone user as the client authenticates it (user and project in the Default domain). */
export interface PasswordAuth {
  authUrl: string
  username: string
  password: string
  projectName: string
}

/**
 * Runs the client with ordinary password authentication: it gets a token from Keystone and finds
 * our API (and our Neutron subset) in the catalogue.
 */
export function openstackAs(auth: PasswordAuth, args: string[]): Promise<ClientResult> {
  return run([
    '--os-auth-type', 'password', '--os-auth-url', auth.authUrl, '--os-identity-api-version', '3',
    '--os-username', auth.username, '--os-password', auth.password, '--os-project-name', auth.projectName,
    '--os-user-domain-name', 'Default', '--os-project-domain-name', 'Default', ...args,
  ])
}

function run(args: string[]): Promise<ClientResult> {
  if (!existsSync(OPENSTACK_BIN)) {
    throw new Error(`${OPENSTACK_BIN} is missing: install python3-openstackclient and python3-octaviaclient (scripts/setup.sh does)`)
  }
  // No OS_* settings of the caller's shell reach the client: the arguments say everything.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OS_')))
  return new Promise((resolve) => {
    execFile(OPENSTACK_BIN, args, { timeout: 60_000, env: { ...env, OS_CLOUD: '' } },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }))
  })
}

/** Runs a client command with `-f json` and parses its output; throws with the client's stderr on failure. */
export async function openstackJson<T = Record<string, unknown>>(endpoint: string, args: string[]): Promise<T> {
  const res = await openstack(endpoint, [...args, '-f', 'json'])
  if (res.code !== 0) throw new Error(`openstack ${args.join(' ')} failed (${res.code}): ${res.stderr}`)
  return JSON.parse(res.stdout) as T
}
