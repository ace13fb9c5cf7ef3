import { access, constants } from 'node:fs/promises'
import { keystoneUrl } from '../api/access/keystone-identity.ts'
import { KeystoneUnavailable } from '../api/access/keystone-request.ts'
import { KeystoneServiceToken } from '../api/access/keystone-service-token.ts'
import { systemClock } from '../common/clock.ts'
import { ConfigError } from '../config/config-error.ts'
import { loadConfig } from '../config/load-config.ts'
import type { OctaviaConfig } from '../config/schema.ts'
import { probeRabbitmq } from '../controller/queue/probe-rabbitmq.ts'
import { currentVersion } from '../db/migrations.ts'
import { createLogger } from '../common/logger.ts'
import type { CheckResult } from './check-table.ts'
import { openDatabase } from './database.ts'
import type { GlobalOptions } from './load-cli-config.ts'

/**
 * The checks of `octavia status upgrade check`: each looks at one thing an upgrade (or a first
 * start) depends on and never changes anything. With an invalid configuration nothing else can be
 * checked, so that is the only result.
 */
export async function runUpgradeChecks(options: GlobalOptions): Promise<CheckResult[]> {
  let config: OctaviaConfig
  const results: CheckResult[] = []
  try {
    const loaded = loadConfig({ files: options.config, env: process.env, sets: options.set })
    config = loaded.config
    results.push(loaded.warnings.length === 0
      ? { name: 'Configuration', code: 'Success', details: describeSources(config) }
      : { name: 'Configuration', code: 'Warning', details: `${describeSources(config)}; ${loaded.warnings.map((w) => `${w.path}: ${w.message}`).join('; ')}` })
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    return [{ name: 'Configuration', code: 'Failure', details: err.message }]
  }
  results.push(await checkIdentity(config))
  results.push(...(await checkDatabase(config)))
  results.push(await checkQueue(config))
  results.push(await checkCertificates(config))
  return results
}

function describeSources(config: OctaviaConfig): string {
  return config.sources.length === 0 ? 'embedded defaults' : `loaded ${config.sources.join(', ')}`
}

async function checkIdentity(config: OctaviaConfig): Promise<CheckResult> {
  const name = 'Identity'
  const engine = config.identity.engine
  if (engine === 'keystone') return checkKeystone(config)
  const address = config.api.bind.address
  const exposed = config.roles.api && !/^(127\.|::1$|localhost$)/.test(address)
  if (engine === 'headers') {
    return exposed
      ? { name, code: 'Warning', details: `headers on ${address}: X-Project-Id and X-Roles are trusted, so only an authenticating proxy may reach the API` }
      : { name, code: 'Success', details: 'headers: callers come from X-Project-Id and X-Roles (API on loopback)' }
  }
  if (exposed) {
    return { name, code: 'Warning', details: `noauth on ${address}: anyone who can reach the API is an administrator` }
  }
  return { name, code: 'Success', details: 'noauth: every caller is an administrator (embedded default, API on loopback)' }
}

/** The API's service user can log in to Keystone (what every token validation needs first). */
async function checkKeystone(config: OctaviaConfig): Promise<CheckResult> {
  const name = 'Identity'
  const { host, port, user, password, tenant } = config.identity
  const url = keystoneUrl(host ?? '127.0.0.1', port)
  const serviceToken = new KeystoneServiceToken({
    url, credentials: { user, password: password ?? '', project: tenant },
    clock: systemClock, log: createLogger({ level: 'silent' }), fetch: globalThis.fetch, timeoutMs: 5000,
  })
  try {
    await serviceToken.get()
    return { name, code: 'Success', details: `keystone ${url}: service user ${user} authenticated in project ${tenant}` }
  } catch (err) {
    return { name, code: 'Failure', details: `keystone ${url}: ${err instanceof KeystoneUnavailable ? err.reason : String(err)}` }
  }
}

async function checkDatabase(config: OctaviaConfig): Promise<CheckResult[]> {
  const { engine, host, port, name: dbName, path } = config.database
  const where = engine === 'sqlite' ? `sqlite ${path}` : `${engine} ${host}:${port}/${dbName}`
  let db
  try {
    db = await openDatabase(config, createLogger({ level: 'silent' }))
  } catch (err) {
    await db?.close()
    return [
      { name: 'Database', code: 'Failure', details: `${where}: ${err instanceof Error ? err.message : String(err)}` },
      { name: 'Database schema', code: 'Failure', details: 'not checked: the database is unreachable' },
    ]
  }
  try {
    const version = await currentVersion(db)
    const schema: CheckResult = version.unknown.length > 0
      ? { name: 'Database schema', code: 'Failure', details: `the database has migrations this release does not know (${version.unknown.join(', ')}): it was upgraded by a newer release` }
      : version.pending.length > 0
        ? { name: 'Database schema', code: 'Warning', details: `at ${version.current ?? 'nothing'}, head is ${version.head}; ${version.pending.length} pending: run \`octavia db upgrade\`` }
        : { name: 'Database schema', code: 'Success', details: `at head ${version.head}` }
    return [{ name: 'Database', code: 'Success', details: `${where} reachable` }, schema]
  } finally {
    await db.close()
  }
}

async function checkQueue(config: OctaviaConfig): Promise<CheckResult> {
  const name = 'Message queue'
  const mq = config.message_queue
  if (mq.engine === 'memory') return { name, code: 'Success', details: 'in-process queue (single process)' }
  try {
    await probeRabbitmq({ ...mq, host: mq.host ?? '127.0.0.1' })
    return { name, code: 'Success', details: `RabbitMQ ${mq.host}:${mq.port} vhost ${mq.virtual_host} reachable` }
  } catch (err) {
    return { name, code: 'Failure', details: err instanceof Error ? err.message : String(err) }
  }
}

/**
 * The controller's certificate material (worker, health manager, housekeeping and agents use it;
 * the API does not). A missing file the operator named is a failure; a missing Octavia default
 * path is a warning, since the operator never chose it.
 */
async function checkCertificates(config: OctaviaConfig): Promise<CheckResult> {
  const name = 'Certificates'
  if (!config.roles.manager && !config.roles.agent) return { name, code: 'Success', details: 'not needed: no manager or agent role on this host' }
  const defaults = loadConfig({ files: [] }).config
  const files: Array<[key: string, path: string | null | undefined, fallback: string | null | undefined]> = [
    ['certificates.ca_certificate', config.certificates.ca_certificate, defaults.certificates.ca_certificate],
    ['certificates.ca_private_key', config.certificates.ca_private_key, defaults.certificates.ca_private_key],
    ['haproxy_amphora.client_cert', config.haproxy_amphora.client_cert, defaults.haproxy_amphora.client_cert],
    ['haproxy_amphora.server_ca', config.haproxy_amphora.server_ca, defaults.haproxy_amphora.server_ca],
    ['controller_worker.client_ca', config.controller_worker.client_ca, defaults.controller_worker.client_ca],
  ]
  const named: string[] = []
  const defaulted: string[] = []
  for (const [key, path, fallback] of files) {
    if (!path) continue
    const readable = await access(path, constants.R_OK).then(() => true, () => false)
    if (!readable) (path === fallback ? defaulted : named).push(`${key} ${path}`)
  }
  if (named.length > 0) return { name, code: 'Failure', details: `unreadable: ${[...named, ...defaulted].join(', ')}` }
  if (defaulted.length > 0) return { name, code: 'Warning', details: `default paths not present (set them in the pillar): ${defaulted.join(', ')}` }
  return { name, code: 'Success', details: 'every configured certificate file is readable' }
}
