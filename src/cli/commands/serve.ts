import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import type { Registry } from 'prom-client'
import { createApi } from '../../api/create-api.ts'
import { registerKeystoneRoutes } from '../../api/keystone/keystone-routes.ts'
import { registerNeutronRoutes } from '../../api/neutron/neutron-routes.ts'
import { createApiDeps } from '../../api/v2/api-deps.ts'
import { V2_ROUTES } from '../../api/v2/routes.ts'
import { systemClock } from '../../common/clock.ts'
import { createJobQueue } from '../../controller/queue/create-job-queue.ts'
import type { Worker } from '../../controller/worker.ts'
import { createLogger, type Logger } from '../../common/logger.ts'
import { createMetricsRegistry } from '../../common/metrics.ts'
import { formatHostPort, isWildcard, parseIp } from '../../config/ip-address.ts'
import type { OctaviaConfig } from '../../config/schema.ts'
import { AgentRepository } from '../../db/repositories/agent-repository.ts'
import { openDatabase, type Database } from '../database.ts'
import { currentVersion, migrateToLatest, recordVersion } from '../../db/migrations.ts'
import { CommandFailed } from '../exit-codes.ts'
import { startAgentService } from './agent.ts'
import { startHealthManagerService } from './health-manager.ts'
import { startHousekeepingService } from './housekeeping.ts'
import { loadCliConfig, type GlobalOptions } from '../load-cli-config.ts'
import { startMetricsPart } from '../metrics-part.ts'
import { apiProcess, isApiProcess, startApiProcesses } from '../api-processes.ts'
import { runUntilSignal, type Stoppable } from '../run-until-signal.ts'
import { hasDataPlane, startWorkerService } from '../worker-service.ts'

export async function serve(options: GlobalOptions, mode: 'up' | 'api'): Promise<number> {
  const config = loadCliConfig(options)
  if (isApiProcess()) return serveApiProcess(config)

  const log = createLogger()
  const db = await openDatabase(config, log)
  const parts: Stoppable[] = [{ name: 'database', stop: () => db.close() }]
  try {
    if (mode === 'up') {
      const { applied } = await migrateToLatest(db)
      await recordVersion(db, config.version)
      if (applied.length > 0) log.info({ applied }, 'database migrated')
    } else {
      const version = await currentVersion(db)
      if (version.pending.length > 0) {
        throw new CommandFailed(`octavia api: the database schema is at ${version.current ?? 'nothing'}, not ${version.head}; run \`octavia db upgrade\` first`)
      }
    }
    const queue = createJobQueue(config.message_queue, log)
    parts.push({ name: 'queue', stop: () => queue.close() })
    const registry = createMetricsRegistry({ service: 'octavia-api' })
    // `octavia up` runs a worker in this process; `octavia api` only announces jobs to the workers.
    let worker: Worker | undefined
    if (mode === 'up') {
      const started = await startWorkerService(config, db, log, queue, registry)
      worker = started.worker
      parts.push(started.part)
    }
    const announce = (jobId?: string) => (jobId === undefined ? worker?.wake() : queue.announce(jobId))
    if (mode === 'up') {
      const hm = await startHealthManagerService(config, db, log, registry, announce)
      parts.push(...hm.parts)
      if (hasDataPlane(config)) parts.push(...await startLocalAgent(config, db, log, hm, registry))
    }
    parts.push(...(await startApiService(config, db, log, { registry, announce })))
    if (mode === 'up') parts.push(...await startHousekeepingService(config, db, log, announce))
  } catch (err) {
    await stopAll(parts, log)
    throw err
  }
  return runUntilSignal(parts, log)
}

/**
 * `octavia up`'s own host agent (DESIGN.md): started like `octavia agent`, heartbeats to this
 * process's health manager unless agent.controllers names others, and registered in the agents
 * table under agent.name with the port it bound and its certificate's expiry, so the worker
 * schedules amphorae onto it and housekeeping rotates that certificate in time.
 */
async function startLocalAgent(config: OctaviaConfig, db: Database, log: Logger, hm: { address: string; port: number }, registry: Registry):
  Promise<Stoppable[]> {
  const controllers = config.agent.controllers.length > 0 ? config.agent.controllers : [heartbeatTarget(hm)]
  const { port, cert_expiration, parts } = await startAgentService(config, log, { controllers, registry })
  try {
    const agents = new AgentRepository(db, systemClock)
    const agent = await agents.register({ name: config.agent.name, address: config.agent.bind.address, port, capacity: config.agent.capacity })
    // The agent may have renewed its certificate at start: its amphorae are reached through the new one.
    await agents.recordCertificate(agent.id, cert_expiration)
    log.info({ agent_id: agent.id, name: agent.name, address: agent.address, port, cert_expiration }, 'local agent registered')
    return parts
  } catch (err) {
    await stopAll(parts, log)
    throw err
  }
}

/** Where a local agent reaches a health manager bound to `address` (a wildcard means loopback). */
function heartbeatTarget({ address, port }: { address: string; port: number }): string {
  const parsed = parseIp(address)
  const host = parsed === null || isWildcard(parsed) ? '127.0.0.1' : address
  return formatHostPort(host, port)
}

/**
 * Starts the API and its metrics endpoint; returns them in start order. `announce` tells workers
 * about a queued job. With api.workers > 1 the API runs in that many processes (api-processes.ts).
 */
export async function startApiService(config: OctaviaConfig, db: Database, log: Logger,
  options: { registry: Registry; announce: (jobId?: string) => void }): Promise<Stoppable[]> {
  if (config.api.workers > 1) return startApiProcesses(config, log, options)
  const { parts, address, port } = await startApiListener(config, db, log, options)
  try {
    log.info({ address, port }, 'api listening')
    const metrics = config.api.metrics
    if (metrics.enabled) {
      parts.push(await startMetricsPart(options.registry, metrics.address, metrics.port, log))
    }
    return parts
  } catch (err) {
    await stopAll(parts, log)
    throw err
  }
}

/** One process's API listener on api.bind (shared with the other API processes when there are several). */
async function startApiListener(config: OctaviaConfig, db: Database, log: Logger,
  options: { registry: Registry; announce: (jobId?: string) => void }): Promise<{ parts: Stoppable[]; address: string; port: number }> {
  const { registry } = options
  const deps = createApiDeps(config, db, systemClock, options.announce, log)
  const app = createApi({
    log,
    registry,
    routes: [
      (api) => registerNeutronRoutes(api, deps),
      registerKeystoneRoutes,
      ...V2_ROUTES.map((register) => (api: FastifyInstance) => register(api, deps)),
    ],
    healthcheck: {
      enabled: config.api_settings.healthcheck_enabled,
      refreshIntervalSeconds: config.api_settings.healthcheck_refresh_interval,
      probe: () => db.ping(),
    },
  })
  const parts: Stoppable[] = [
    { name: 'identity', stop: () => deps.identity.close() },
    { name: 'api', stop: () => app.close() },
  ]
  try {
    const { address, port } = config.api.bind
    await app.listen({ host: address, port }).catch((err: NodeJS.ErrnoException) => {
      throw new CommandFailed(`cannot listen on ${address}:${port} for the API: ${err.code ?? err.message}`)
    })
    const bound = app.server.address() as AddressInfo
    return { parts, address: bound.address, port: bound.port }
  } catch (err) {
    await stopAll(parts, log)
    throw err
  }
}

/**
 * One of the API processes of api.workers > 1 (api-processes.ts): the API alone, on its own
 * database connections; the jobs it queues and its metrics go to the parent.
 */
async function serveApiProcess(config: OctaviaConfig): Promise<number> {
  const log = createLogger()
  apiProcess.stopWithParent()
  const parts: Stoppable[] = []
  try {
    const db = await openDatabase(config, log)
    parts.push({ name: 'database', stop: () => db.close() })
    const registry = createMetricsRegistry({ service: 'octavia-api' })
    apiProcess.serveMetrics(registry)
    const api = await startApiListener(config, db, log, { registry, announce: apiProcess.announce })
    parts.push(...api.parts)
    apiProcess.listening(api.address, api.port)
  } catch (err) {
    // The parent says why, once.
    apiProcess.failed(err instanceof Error ? err.message : String(err))
    await stopAll(parts, log)
    apiProcess.leave()
    if (err instanceof CommandFailed) return err.exitCode
    throw err
  }
  const code = await runUntilSignal(parts, log)
  apiProcess.leave()
  return code
}

async function stopAll(parts: Stoppable[], log: Logger): Promise<void> {
  for (const part of [...parts].reverse()) {
    await part.stop().catch((err: unknown) => log.error({ err, part: part.name }, 'stop failed'))
  }
}
