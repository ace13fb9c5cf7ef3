import { DEV_HEARTBEAT_KEY } from './defaults.ts'
import { isLoopback, isWildcard, parseHostPort, parseIp } from './ip-address.ts'
import { TLS_VERSIONS, type OctaviaConfig, type Role } from './schema.ts'
import type { Placements, Reporter } from './walk-pillar.ts'

// Checks that involve more than one option, run on the built config. Paths in messages are pillar
// paths: where the value was given, or where it should be given.

/** Options required only with some engine. */
const REQUIRED_BY_ENGINE = [
  { group: 'database', engines: ['mysql', 'postgresql'], keys: ['host'] },
  { group: 'identity', engines: ['keystone'], keys: ['host', 'password'] },
  { group: 'message_queue', engines: ['rabbitmq'], keys: ['host'] },
] as const

/**
 * Reports every cross-option problem and returns the config with the rule-made values filled in
 * (health_manager.heartbeat_key's development default).
 */
export function applyConfigRules(config: OctaviaConfig, placements: Placements, report: Reporter): OctaviaConfig {
  const pillarPathOf = (effective: string): string[] => (placements.get(effective)?.pillarPath ?? `octavia.${effective}`).split('.')

  for (const { group, engines, keys } of REQUIRED_BY_ENGINE) {
    const values = config[group] as unknown as Record<string, unknown>
    const engine = values.engine as string
    if (!(engines as readonly string[]).includes(engine)) continue
    // Name the key next to where the engine was chosen (`octavia.api.database.host`).
    const enginePath = pillarPathOf(`${group}.engine`)
    const base = enginePath.at(-2) === group ? enginePath.slice(0, -1) : ['octavia', group]
    for (const key of keys) {
      if (values[key] === null) report.error([...base, key], `required when ${group}.engine is ${engine}`)
    }
  }

  const heartbeatKey = checkHeartbeatKey(config, placements, report)

  const settings = config.api_settings
  if (!Object.hasOwn(settings.enabled_provider_drivers, settings.default_provider_driver)) {
    report.error(pillarPathOf('api_settings.default_provider_driver'),
      `"${settings.default_provider_driver}" is not one of api_settings.enabled_provider_drivers (${Object.keys(settings.enabled_provider_drivers).join(', ')})`)
  }
  const minimum = settings.minimum_tls_version
  if (minimum !== null) {
    for (const option of ['default_listener_tls_versions', 'default_pool_tls_versions'] as const) {
      const below = settings[option].filter((v) => TLS_VERSIONS.indexOf(v) < TLS_VERSIONS.indexOf(minimum))
      if (below.length > 0) report.error(pillarPathOf(`api_settings.${option}`), `${below.join(', ')} below api_settings.minimum_tls_version (${minimum})`)
    }
  }

  // With the manager in the same process on a free port (0), the agent is given the bound port at start.
  const inProcessReceiver = config.roles.manager && config.health_manager.bind_port === 0
  if (config.roles.agent && config.agent.controllers.length === 0 && !inProcessReceiver) {
    report.error(pillarPathOf('agent.controllers'), 'the agent needs at least one controller to send heartbeats to')
  }

  checkPortClashes(config, pillarPathOf, report)

  return heartbeatKey === config.health_manager.heartbeat_key
    ? config
    : { ...config, health_manager: { ...config.health_manager, heartbeat_key: heartbeatKey } }
}

/**
 * health_manager.heartbeat_key may be left out only when every heartbeat stays on this machine
 * and the deployment is the embedded kind (sqlite, memory queue, loopback heartbeat addresses):
 * then the public DEV_HEARTBEAT_KEY is used. Otherwise the manager and the agent need a real key.
 */
function checkHeartbeatKey(config: OctaviaConfig, placements: Placements, report: Reporter): string | null {
  const given = config.health_manager.heartbeat_key
  if (given !== null) return given
  const loopback = (host: string): boolean => host === 'localhost' || (parseIp(host) !== null && isLoopback(parseIp(host)!))
  const embedded = config.database.engine === 'sqlite' && config.message_queue.engine === 'memory'
    && loopback(config.health_manager.bind_ip)
    && config.agent.controllers.every((controller) => loopback(parseHostPort(controller)?.host ?? ''))
  if (embedded) return DEV_HEARTBEAT_KEY
  const role = (['manager', 'agent'] as const satisfies readonly Role[]).find((r) => config.roles[r])
  if (role !== undefined) {
    // Suggest the place health_manager options already come from, if any.
    const given = [...placements.values()].map((p) => p.pillarPath.split('.')).find((path) => path.includes('health_manager'))
    const at = given ? [...given.slice(0, given.indexOf('health_manager') + 1), 'heartbeat_key'] : ['octavia', role, 'health_manager', 'heartbeat_key']
    report.error(at, `required when the ${role} role runs, unless the deployment is the embedded kind `
      + '(database sqlite, message_queue memory, loopback health_manager.bind_ip and agent.controllers)')
  }
  return null
}

/** Two enabled listeners on one TCP port of one address (or of a wildcard) cannot both start. */
function checkPortClashes(config: OctaviaConfig, pillarPathOf: (effective: string) => string[], report: Reporter): void {
  const listeners: { address: string; port: number; effective: string }[] = []
  const add = (address: string, port: number, effective: string): void => {
    // Port 0 asks the kernel for a free port: never a clash.
    if (port !== 0) listeners.push({ address, port, effective })
  }
  if (config.roles.api) {
    add(config.api.bind.address, config.api.bind.port, 'api.bind.port')
    if (config.api.metrics.enabled) add(config.api.metrics.address, config.api.metrics.port, 'api.metrics.port')
  }
  if (config.roles.manager && config.manager.metrics.enabled) {
    const m = config.manager.metrics
    for (const key of ['worker_port', 'health_manager_port', 'housekeeping_port'] as const) add(m.address, m[key], `manager.metrics.${key}`)
  }
  if (config.roles.agent) {
    add(config.agent.bind.address, config.agent.bind.port, 'agent.bind.port')
    if (config.agent.metrics.enabled) add(config.agent.metrics.address, config.agent.metrics.port, 'agent.metrics.port')
  }
  const wildcard = (address: string): boolean => isWildcard(parseIp(address)!)
  listeners.forEach((listener, i) => {
    const other = listeners.slice(0, i).find((o) => o.port === listener.port
      && (o.address === listener.address || wildcard(o.address) || wildcard(listener.address)))
    if (other) report.error(pillarPathOf(listener.effective), `port ${listener.port} is also used by ${pillarPathOf(other.effective).join('.')}`)
  })
}
