import type { AddressInfo } from 'node:net'
import type { Command } from 'commander'
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
import type { CliContext } from '../cli-context.ts'
import { startMetricsPart } from '../metrics-part.ts'
import { runUntilSignal, type Stoppable } from '../run-until-signal.ts'
import { hasDataPlane, startWorkerService } from '../worker-service.ts'

export function registerServeCommands(program: Command, cli: CliContext): void {
  program
    .command('up')
    .description('run the all-in-one service: API, worker, health manager, housekeeping and a local host agent with its HAProxy amphorae, in one process; migrates the database first')
    .action(async () => cli.exit(await serve(cli.globals(), 'up')))
  program
    .command('api')
    .description('run the Octavia v2 API service; jobs it queues are run by `octavia worker` processes (the database schema must be at head: see `octavia db upgrade`)')
    .action(async () => cli.exit(await serve(cli.globals(), 'api')))
}

async function serve(options: GlobalOptions, mode: 'up' | 'api'): Promise<number> {
  const config = loadCliConfig(options)

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

/** Starts the API listener and its metrics endpoint; returns them in start order. `announce` tells workers about a queued job. */
export async function startApiService(config: OctaviaConfig, db: Database, log: Logger,
  options: { registry: Registry; announce: (jobId?: string) => void }): Promise<Stoppable[]> {
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
    log.info({ address: bound.address, port: bound.port }, 'api listening')
    const metrics = config.api.metrics
    if (metrics.enabled) {
      parts.push(await startMetricsPart(registry, metrics.address, metrics.port, log))
    }
    return parts
  } catch (err) {
    await stopAll(parts, log)
    throw err
  }
}

async function stopAll(parts: Stoppable[], log: Logger): Promise<void> {
  for (const part of [...parts].reverse()) {
    await part.stop().catch((err: unknown) => log.error({ err, part: part.name }, 'stop failed'))
  }
}
