import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isStaleConnection } from '../../src/api/access/keystone-request.ts'

// A private Keystone (Debian's package, scripts/keystone-packages.sh installs it) for identity
// tests, run the way /work/shared/recipes/keystone.md found to work: SQLite in WAL mode, an
// in-memory cache, one uWSGI worker with one thread behind uWSGI's HTTP router, on loopback.

const KEYSTONE_MANAGE = '/usr/bin/keystone-manage'
const UWSGI = '/usr/bin/uwsgi-core'
const WSGI_APP = '/usr/bin/keystone-wsgi-public'
export const KEYSTONE_ADMIN_PASSWORD = 'keystone-admin-password'
export const KEYSTONE_REGION = 'RegionOne'
// The URL bootstrap writes into the template's catalogue; each run rewrites it to its own port.
const TEMPLATE_URL = 'http://127.0.0.1:5000/v3'
// Bump when the template's content changes (the folder name includes it).
const TEMPLATE_REVISION = 1

/** The roles tests use: Keystone's three defaults, the service role and Octavia's legacy roles (rbac.md §2.2). */
export const KEYSTONE_ROLES = [
  'admin', 'member', 'reader', 'service',
  'load-balancer_observer', 'load-balancer_global_observer', 'load-balancer_member',
  'load-balancer_quota_admin', 'load-balancer_admin',
] as const

export interface IssuedToken {
  token: string
  expiresAt: string
  /** The token body as Keystone issued it (project, user, roles). */
  body: { token: { user: { id: string }; project?: { id: string; name: string }; roles?: { name: string }[]; expires_at: string } }
}

export interface KeystoneUser {
  id: string
  name: string
  password: string
  projectId: string
  projectName: string
}

export interface KeystoneReply {
  status: number
  headers: Headers
  body: unknown
}

/** A running private Keystone; `stop()` ends it by its pid. */
export class TestKeystone {
  readonly host = '127.0.0.1'
  readonly #dir: string
  readonly #child: ChildProcess
  readonly #exited: Promise<void>
  readonly #roleIds = new Map<string, string>()
  #adminToken: string | null = null

  constructor(readonly port: number, dir: string, child: ChildProcess, exited: Promise<void>) {
    this.#dir = dir
    this.#child = child
    this.#exited = exited
  }

  /** http://127.0.0.1:<port>, the root the identity engine is configured with (v3 lives under /v3). */
  get url(): string {
    return `http://${this.host}:${this.port}`
  }

  /** The auth URL clients use. */
  get authUrl(): string {
    return `${this.url}/v3`
  }

  /** A call to Keystone's v3 API as the bootstrap admin (`subjectToken`: the X-Subject-Token of /auth/tokens calls). */
  async admin(method: string, path: string, body?: unknown, subjectToken?: string): Promise<KeystoneReply> {
    this.#adminToken ??= (await this.issueToken({ user: 'admin', password: KEYSTONE_ADMIN_PASSWORD, project: 'admin' })).token
    return this.request(method, path, { 'x-auth-token': this.#adminToken, ...(subjectToken ? { 'x-subject-token': subjectToken } : {}) }, body)
  }

  /** Points the catalogue's identity endpoints at this run's port and makes the roles of KEYSTONE_ROLES. */
  async prepare(): Promise<void> {
    const endpoints = expectStatus(await this.admin('GET', '/endpoints'), 200) as { endpoints: { id: string; url: string }[] }
    for (const endpoint of endpoints.endpoints.filter((e) => e.url === TEMPLATE_URL)) {
      expectStatus(await this.admin('PATCH', `/endpoints/${endpoint.id}`, { endpoint: { url: this.authUrl } }), 200)
    }
    for (const role of KEYSTONE_ROLES) await this.roleId(role)
  }

  async request(method: string, path: string, headers: Record<string, string>, body?: unknown): Promise<KeystoneReply> {
    const res = await fetchOnce(`${this.authUrl}${path}`, {
      method,
      headers: { accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const text = await res.text()
    return { status: res.status, headers: res.headers, body: text === '' ? null : JSON.parse(text) as unknown }
  }

  /** How the openstack client logs in as `user` (test/helpers/openstack-client.ts openstackAs). */
  clientAuth(user: KeystoneUser): { authUrl: string; username: string; password: string; projectName: string } {
    return { authUrl: this.authUrl, username: user.name, password: user.password, projectName: user.projectName }
  }

  /** Password authentication scoped to a project (by name, Default domain). */
  async issueToken(who: { user: string; password: string; project: string }): Promise<IssuedToken> {
    return this.#auth({
      identity: { methods: ['password'], password: { user: { name: who.user, domain: { id: 'default' }, password: who.password } } },
      scope: { project: { name: who.project, domain: { id: 'default' } } },
    })
  }

  /**
   * A token that expires `seconds` from now: issued through an application credential that
   * expires then (Keystone caps the token's expiry at the credential's).
   */
  async issueShortLivedToken(user: KeystoneUser, seconds: number): Promise<IssuedToken> {
    const own = await this.issueToken({ user: user.name, password: user.password, project: user.projectName })
    const expiresAt = new Date(Date.now() + seconds * 1000).toISOString().replace('Z', '')
    const created = expectStatus(await this.request('POST', `/users/${user.id}/application_credentials`, { 'x-auth-token': own.token }, {
      application_credential: { name: `short-${randomSuffix()}`, expires_at: expiresAt },
    }), 201) as { application_credential: { id: string; secret: string } }
    const { id, secret } = created.application_credential
    return this.#auth({ identity: { methods: ['application_credential'], application_credential: { id, secret } } })
  }

  /** Revokes a token (DELETE /v3/auth/tokens). */
  async revokeToken(token: string): Promise<void> {
    expectStatus(await this.admin('DELETE', '/auth/tokens', undefined, token), 204)
  }

  async createProject(name: string): Promise<string> {
    const body = expectStatus(await this.admin('POST', '/projects', { project: { name, domain_id: 'default' } }), 201) as { project: { id: string } }
    return body.project.id
  }

  /** A user with `roles` on its project (created here unless it exists). */
  async createUser(name: string, project: string, roles: readonly string[], password = `${name}-password`): Promise<KeystoneUser> {
    const projectId = await this.#projectId(project) ?? await this.createProject(project)
    const body = expectStatus(await this.admin('POST', '/users', {
      user: { name, password, domain_id: 'default', default_project_id: projectId },
    }), 201) as { user: { id: string } }
    for (const role of roles) await this.grant(body.user.id, projectId, role)
    return { id: body.user.id, name, password, projectId, projectName: project }
  }

  async grant(userId: string, projectId: string, role: string): Promise<void> {
    expectStatus(await this.admin('PUT', `/projects/${projectId}/users/${userId}/roles/${await this.roleId(role)}`), 204)
  }

  async roleId(name: string): Promise<string> {
    const known = this.#roleIds.get(name)
    if (known) return known
    const found = expectStatus(await this.admin('GET', `/roles?name=${encodeURIComponent(name)}`), 200) as { roles: { id: string }[] }
    const id = found.roles[0]?.id
      ?? (expectStatus(await this.admin('POST', '/roles', { role: { name } }), 201) as { role: { id: string } }).role.id
    this.#roleIds.set(name, id)
    return id
  }

  /**
   * Puts our API in the catalogue: as the load-balancer service (name octavia) and, because it
   * also answers Neutron's read-only subset the client resolves subnets with, as the network service.
   */
  async registerOctavia(url: string): Promise<void> {
    await this.registerService('load-balancer', 'octavia', url)
    await this.registerService('network', 'neutron', url)
  }

  /** A service with public, internal and admin endpoints at `url` in region RegionOne. */
  async registerService(type: string, name: string, url: string): Promise<void> {
    const created = expectStatus(await this.admin('POST', '/services', { service: { type, name, enabled: true } }), 201) as { service: { id: string } }
    for (const iface of ['public', 'internal', 'admin']) {
      expectStatus(await this.admin('POST', '/endpoints', { endpoint: { service_id: created.service.id, interface: iface, url, region_id: KEYSTONE_REGION } }), 201)
    }
  }

  /** Ends uWSGI (master, HTTP router and worker) by the pid in its pid file, and removes the folder. */
  async stop(): Promise<void> {
    const pid = this.#child.pid
    if (pid !== undefined && this.#child.exitCode === null && this.#child.signalCode === null) {
      const filed = Number(readFileSync(join(this.#dir, 'uwsgi.pid'), 'utf8').trim())
      signalGroup(filed === pid ? filed : pid, 'SIGTERM')
      const forced = setTimeout(() => signalGroup(pid, 'SIGKILL'), 5000)
      await this.#exited
      clearTimeout(forced)
    }
    rmSync(this.#dir, { recursive: true, force: true })
  }

  /** Log lines of this Keystone (for failure messages). */
  log(): string {
    const path = join(this.#dir, 'keystone.log')
    return existsSync(path) ? readFileSync(path, 'utf8').split('\n').slice(-40).join('\n') : ''
  }

  async #auth(auth: unknown): Promise<IssuedToken> {
    const res = await fetchOnce(`${this.authUrl}/auth/tokens?nocatalog`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ auth }),
    })
    const body = await res.json() as IssuedToken['body']
    const token = res.headers.get('x-subject-token')
    if (res.status !== 201 || !token) throw new Error(`keystone refused authentication (${res.status}): ${JSON.stringify(body)}`)
    return { token, expiresAt: body.token.expires_at, body }
  }

  async #projectId(name: string): Promise<string | undefined> {
    const found = expectStatus(await this.admin('GET', `/projects?name=${encodeURIComponent(name)}`), 200) as { projects: { id: string }[] }
    return found.projects[0]?.id
  }
}

/**
 * Starts a private Keystone on a free loopback port, with the roles of KEYSTONE_ROLES. Takes a
 * few seconds: start one per test file and stop it in `after`.
 */
export async function startKeystone(): Promise<TestKeystone> {
  for (const path of [KEYSTONE_MANAGE, UWSGI, WSGI_APP]) {
    if (!existsSync(path)) throw new Error(`${path} is missing: install keystone, uwsgi-core and uwsgi-plugin-python3 (scripts/setup.sh does)`)
  }
  const template = await keystoneTemplate()
  let lastError: unknown
  // A port picked free can be taken before uWSGI binds it (other tests run alongside): try again.
  for (let attempt = 0; attempt < 3; attempt++) {
    const dir = mkdtempSync(join(tmpdir(), 'octavia-test-keystone-'))
    cpSync(template, dir, { recursive: true })
    const port = await freePort()
    writeConfig(dir)
    try {
      const keystone = await serve(dir, port)
      await keystone.prepare()
      return keystone
    } catch (err) {
      lastError = err
      rmSync(dir, { recursive: true, force: true })
    }
  }
  throw lastError
}

/**
 * fetch, sent again once when uWSGI closed the kept-alive connection it went out on (its HTTP
 * router drops idle ones): the service's own Keystone calls do the same (keystone-request.ts).
 */
async function fetchOnce(url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init)
  } catch (err) {
    if (!isStaleConnection(err)) throw err
    return fetch(url, init)
  }
}

function expectStatus(reply: KeystoneReply, status: number): unknown {
  if (reply.status !== status) throw new Error(`keystone answered ${reply.status}, expected ${status}: ${JSON.stringify(reply.body)}`)
  return reply.body
}

function randomSuffix(): string {
  return Math.random().toString(36).slice(2, 10)
}

/** The environment Keystone's tools run with: none of the caller's Python or OpenStack settings. */
function cleanEnv(dir: string): NodeJS.ProcessEnv {
  return { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', HOME: dir, LANG: 'C.UTF-8' }
}

function writeConfig(dir: string): void {
  mkdirSync(join(dir, 'policy.d'), { recursive: true })
  writeFileSync(join(dir, 'policy.yaml'), '{}\n')
  writeFileSync(join(dir, 'keystone.conf'), [
    '[DEFAULT]', `log_file = ${join(dir, 'keystone.log')}`,
    '[database]', `connection = sqlite:///${join(dir, 'keystone.db')}`,
    '[fernet_tokens]', `key_repository = ${join(dir, 'fernet-keys')}`,
    '[credential]', `key_repository = ${join(dir, 'credential-keys')}`,
    // The default hashing cost makes each password check ~200 ms.
    '[identity]', 'password_hash_rounds = 4', 'max_password_length = 72',
    // Without a cache a validation takes ~480 ms instead of ~10 ms.
    '[cache]', 'enabled = true', 'backend = dogpile.cache.memory',
    // An empty policy_dirs makes Keystone read its working folder as policy (500s).
    '[oslo_policy]', `policy_file = ${join(dir, 'policy.yaml')}`, `policy_dirs = ${join(dir, 'policy.d')}`,
    '',
  ].join('\n'))
}

function manage(dir: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(KEYSTONE_MANAGE, ['--config-file', join(dir, 'keystone.conf'), ...args], { env: cleanEnv(dir), timeout: 120_000 }, (err, _stdout, stderr) => {
      if (err) reject(new Error(`keystone-manage ${args[0]} failed: ${err.message}\n${stderr.slice(-2000)}`))
      else resolve()
    })
  })
}

/**
 * A bootstrapped Keystone folder (database, fernet and credential keys) made once per machine and
 * Keystone version, then copied per run: db_sync and bootstrap take ~7 s, a copy milliseconds.
 */
async function keystoneTemplate(): Promise<string> {
  const version = execFileSync('dpkg-query', ['-W', '-f=${Version}', 'keystone'], { encoding: 'utf8' })
  const key = createHash('sha256').update(`${version} ${TEMPLATE_REVISION}`).digest('hex').slice(0, 16)
  const template = join(tmpdir(), `octavia-test-keystone-template-${key}`)
  if (existsSync(join(template, 'keystone.db'))) return template
  const build = mkdtempSync(join(tmpdir(), 'octavia-test-keystone-build-'))
  try {
    writeConfig(build)
    const owner = ['--keystone-user', 'root', '--keystone-group', 'root']
    await manage(build, ['fernet_setup', ...owner])
    await manage(build, ['credential_setup', ...owner])
    await manage(build, ['db_sync'])
    // Without WAL, concurrent writes fail with "database is locked" and clients hang.
    execFileSync('sqlite3', [join(build, 'keystone.db'), 'PRAGMA journal_mode=WAL;'], { stdio: 'ignore' })
    await manage(build, ['bootstrap', '--bootstrap-password', KEYSTONE_ADMIN_PASSWORD, '--bootstrap-region-id', KEYSTONE_REGION,
      '--bootstrap-public-url', TEMPLATE_URL, '--bootstrap-internal-url', TEMPLATE_URL, '--bootstrap-admin-url', TEMPLATE_URL])
    for (const file of ['keystone.conf', 'keystone.log', 'policy.yaml']) rmSync(join(build, file), { force: true })
    try {
      renameSync(build, template)
    } catch (err) {
      // Another test file finished the same template first: use theirs.
      if (!existsSync(join(template, 'keystone.db'))) throw err
    }
  } finally {
    rmSync(build, { recursive: true, force: true })
  }
  return template
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal)
  } catch {
    // The group is already gone.
  }
}

/** Runs uWSGI in the foreground as the leader of its own process group; resolves once Keystone answers. */
async function serve(dir: string, port: number): Promise<TestKeystone> {
  writeFileSync(join(dir, 'uwsgi.ini'), [
    '[uwsgi]',
    // uWSGI's HTTP router, not http-socket: keep-alive clients get resets from the latter.
    `http = 127.0.0.1:${port}`,
    // Without it the router answers HTTP/1.1 with no "Connection: close" and then closes: a client
    // that sends its next request on that connection first gets it cut (RemoteDisconnected).
    'http-keepalive = 1',
    `wsgi-file = ${WSGI_APP}`,
    'plugins = python3,http',
    // More threads or workers break on SQLite.
    'processes = 1', 'threads = 1', 'master = true',
    'die-on-term = true',
    // Room for long headers: the default 4 KB makes uWSGI drop requests with long tokens.
    'buffer-size = 65535',
    `pidfile = ${join(dir, 'uwsgi.pid')}`,
    `logto = ${join(dir, 'uwsgi.log')}`,
    `env = OS_KEYSTONE_CONFIG_DIR=${dir}`,
    'env = OS_KEYSTONE_CONFIG_FILES=keystone.conf',
    '',
  ].join('\n'))
  const child = spawn(UWSGI, ['--ini', join(dir, 'uwsgi.ini')], { cwd: dir, env: cleanEnv(dir), detached: true, stdio: 'ignore' })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const pid = child.pid
  if (pid === undefined) throw new Error('uWSGI did not start')
  // Should the test process end without stop(), Keystone ends with it.
  const reap = () => signalGroup(pid, 'SIGKILL')
  process.once('exit', reap)
  void exited.then(() => process.removeListener('exit', reap))

  const keystone = new TestKeystone(port, dir, child, exited)
  const deadline = Date.now() + 60_000
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      const log = existsSync(join(dir, 'uwsgi.log')) ? readFileSync(join(dir, 'uwsgi.log'), 'utf8').slice(-2000) : ''
      throw new Error(`uWSGI for Keystone exited before answering on port ${port}:\n${log}`)
    }
    const up = await fetch(`${keystone.authUrl}`).then((res) => res.ok, () => false)
    if (up) return keystone
    if (Date.now() > deadline) {
      await keystone.stop()
      throw new Error(`Keystone did not answer on port ${port} within 60 s`)
    }
    await new Promise((r) => setTimeout(r, 100))
  }
}
