import { systemClock } from '../../common/clock.ts'
import { createLogger, type Logger } from '../../common/logger.ts'
import { createMetricsRegistry } from '../../common/metrics.ts'
import type { OctaviaConfig } from '../../config/schema.ts'
import { createJobQueue } from '../../controller/queue/create-job-queue.ts'
import { currentVersion } from '../../db/migrations.ts'
import type { LocalAgentCompute } from '../../drivers/compute/local-agent-compute.ts'
import { computeReaper, type AmphoraReaper } from '../../health/amphora-reaper.ts'
import { startHealthManager, type HealthManager } from '../../health/health-manager.ts'
import { openDatabase, type Database } from '../database.ts'
import { CommandFailed } from '../exit-codes.ts'
import { loadCliConfig, type GlobalOptions } from '../load-cli-config.ts'
import { startMetricsPart } from '../metrics-part.ts'
import { runUntilSignal, type Stoppable } from '../run-until-signal.ts'
import { createAgentCompute } from '../worker-service.ts'

/** Refuses a database whose schema is not at head, naming the command that fixes it. */
export async function requireSchemaAtHead(db: Database, command: string): Promise<void> {
  const version = await currentVersion(db)
  if (version.pending.length > 0) {
    throw new CommandFailed(`octavia ${command}: the database schema is at ${version.current ?? 'nothing'}, not ${version.head}; run \`octavia db upgrade\` first`)
  }
}

export async function runHealthManager(options: GlobalOptions): Promise<number> {
  const config = loadCliConfig(options)
  const log = createLogger()
  const db = await openDatabase(config, log)
  const parts: Stoppable[] = [{ name: 'database', stop: () => db.close() }]
  try {
    await requireSchemaAtHead(db, 'health-manager')
    const registry = createMetricsRegistry({ service: 'octavia-health-manager' })
    // Failovers it queues are announced to the workers (a lost announcement only delays them).
    const queue = createJobQueue(config.message_queue, log)
    parts.push({ name: 'queue', stop: () => queue.close() })
    parts.push(...(await startHealthManagerService(config, db, log, registry, (jobId) => queue.announce(jobId))).parts)
    const metrics = config.manager.metrics
    if (metrics.enabled) {
      parts.push(await startMetricsPart(registry, metrics.address, metrics.health_manager_port, log))
    }
  } catch (err) {
    for (const part of [...parts].reverse()) await part.stop().catch(() => undefined)
    throw err
  }
  return runUntilSignal(parts, log)
}

/**
 * Starts the health manager (also inside `octavia up`); a heartbeat address in use is a one-line
 * error. Resolves the heartbeat address it bound and the parts to stop.
 */
export async function startHealthManagerService(config: OctaviaConfig, db: Database, log: Logger,
  registry?: Parameters<typeof startHealthManager>[0]['registry'], onJobQueued?: (jobId: string) => void):
  Promise<{ address: string; port: number; parts: Stoppable[] }> {
  const { bind_ip: address, bind_port: port } = config.health_manager
  let hm: HealthManager
  const reaper = agentReaper(config, db, log)
  try {
    hm = await startHealthManager({
      config, db, clock: systemClock, log, reaper: reaper.reaper, ...(registry ? { registry } : {}), ...(onJobQueued ? { onJobQueued } : {}),
    })
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    throw new CommandFailed(`cannot listen on ${address}:${port} (UDP) for heartbeats: ${code ?? (err as Error).message}`)
  }
  return {
    address: hm.receiver.address, port: hm.receiver.port,
    parts: [{ name: 'compute', stop: async () => reaper.close() }, { name: 'health-manager', stop: () => hm.stop() }],
  }
}

/**
 * spec/heartbeat.md §5.2 through the host agents: the compute driver, with the controller's
 * client certificate, is made on the first delete (most health managers never need one). A delete
 * tries twice, with the REST timeouts: it runs beside the batches, not in them.
 */
function agentReaper(config: OctaviaConfig, db: Database, log: Logger): { reaper: AmphoraReaper; close(): void } {
  let compute: LocalAgentCompute | undefined
  let made: Promise<AmphoraReaper> | undefined
  const make = async () => {
    compute = await createAgentCompute(config, db, log, { max_retries: 2 })
    return computeReaper(compute)
  }
  return {
    reaper: {
      deleteInstance: async (amphora) => {
        made ??= make().catch((err: unknown) => {
          made = undefined
          throw err
        })
        await (await made).deleteInstance(amphora)
      },
    },
    close: () => compute?.close(),
  }
}
