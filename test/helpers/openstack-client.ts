import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { createInterface } from 'node:readline'
import type { Socket } from 'node:net'

export const OPENSTACK_BIN = '/usr/bin/openstack'
const RUNNER = new URL('./openstack-runner.py', import.meta.url).pathname

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

/**
 * The same command run as its own `/usr/bin/openstack` process, the way a tenant's shell runs it
 * (each call pays the client's second of start-up; `openstack` shares runners instead).
 */
export function openstackProcess(endpoint: string, args: string[]): Promise<ClientResult> {
  clientPython() // fails loudly when the client is missing
  return new Promise((resolve) => {
    execFile(OPENSTACK_BIN, ['--os-auth-type', 'none', '--os-endpoint', endpoint, ...args], { timeout: 60_000, env: clientEnv() },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }))
  })
}

/** The client's environment: no OS_* settings of the caller's shell reach it; the arguments say everything. */
function clientEnv(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OS_')))
  return { ...env, OS_CLOUD: '' }
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

/**
 * A Python process running `openstack` commands one at a time (openstack-runner.py): the
 * client's own `main(argv)`, as /usr/bin/openstack calls it, without paying the interpreter
 * start and the imports (about a second of CPU) per command. Idle runners do not keep the test
 * process alive.
 */
class ClientRunner {
  readonly #child: ChildProcessWithoutNullStreams
  readonly #replies: Array<(result: ClientResult) => void> = []
  #crashed: string | undefined

  constructor(python: string) {
    this.#child = spawn(python, [RUNNER], { env: clientEnv() })
    let stderr = ''
    this.#child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    this.#child.on('close', (code) => {
      this.#crashed = `the openstack runner exited with ${String(code)}: ${stderr}`
      for (const reply of this.#replies.splice(0)) reply({ code: 1, stdout: '', stderr: this.#crashed })
    })
    createInterface({ input: this.#child.stdout }).on('line', (line) => {
      this.#replies.shift()?.(JSON.parse(line) as ClientResult)
      if (this.#replies.length === 0) this.#idle(true)
    })
    this.#idle(true)
  }

  /** Busy with a command, or gone. */
  get busy(): boolean {
    return this.#replies.length > 0 || this.#crashed !== undefined
  }

  run(args: string[]): Promise<ClientResult> {
    this.#idle(false)
    return new Promise((resolve) => {
      this.#replies.push(resolve)
      this.#child.stdin.write(JSON.stringify(args) + '\n')
    })
  }

  /** An idle runner lets the test process end; a busy one keeps it waiting for the answer. */
  #idle(idle: boolean): void {
    for (const handle of [this.#child, this.#child.stdout as Socket, this.#child.stdin as Socket, this.#child.stderr as Socket]) {
      if (idle) handle.unref()
      else handle.ref()
    }
  }
}

const runners: ClientRunner[] = []

/** The Python that /usr/bin/openstack names on its first line (Debian's, with the client's modules). */
function clientPython(): string {
  if (!existsSync(OPENSTACK_BIN)) {
    throw new Error(`${OPENSTACK_BIN} is missing: install python3-openstackclient and python3-octaviaclient (scripts/setup.sh does)`)
  }
  const shebang = readFileSync(OPENSTACK_BIN, 'utf8').split('\n', 1)[0]!
  return shebang.replace(/^#!\s*/, '').split(/\s+/)[0]!
}

/** Runs one command on an idle runner, starting one when all are busy (commands may run in parallel). */
function run(args: string[]): Promise<ClientResult> {
  let runner = runners.find((r) => !r.busy)
  if (!runner) {
    runner = new ClientRunner(clientPython())
    runners.push(runner)
  }
  return runner.run(args)
}

/** Runs a client command with `-f json` and parses its output; throws with the client's stderr on failure. */
export async function openstackJson<T = Record<string, unknown>>(endpoint: string, args: string[]): Promise<T> {
  const res = await openstack(endpoint, [...args, '-f', 'json'])
  if (res.code !== 0) throw new Error(`openstack ${args.join(' ')} failed (${res.code}): ${res.stderr}`)
  return JSON.parse(res.stdout) as T
}
