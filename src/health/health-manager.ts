import type { Registry } from 'prom-client'
import type { Clock } from '../common/clock.ts'
import type { Logger } from '../common/logger.ts'
import type { OctaviaConfig } from '../config/schema.ts'
import type { Database } from '../db/database.ts'
import { NO_COMPUTE_REAPER, type AmphoraReaper } from './amphora-reaper.ts'
import { FailoverScan, startFailoverLoop, type FailoverLoop } from './failover-scan.ts'
import { HeartbeatCounters } from './heartbeat-counters.ts'
import { HeartbeatProcessor } from './heartbeat-processor.ts'
import { startHeartbeatReceiver, type HeartbeatReceiver } from './heartbeat-receiver.ts'

export interface HealthManagerDeps {
  config: OctaviaConfig
  db: Database
  clock: Clock
  log: Logger
  registry?: Registry
  reaper?: AmphoraReaper
  /** Called with each failover job queued, for an in-process worker. */
  onJobQueued?: (jobId: string) => void
  /** Delay before the first failover scan (ms); default heartbeat_timeout, as upstream. */
  firstScanDelayMs?: number
}

export interface HealthManager {
  readonly receiver: HeartbeatReceiver
  readonly processor: HeartbeatProcessor
  readonly scan: FailoverScan
  readonly counters: HeartbeatCounters
  stop(): Promise<void>
}

/** The health manager's key, or the reason it cannot run. */
export function heartbeatKeyOf(config: OctaviaConfig): string {
  const key = config.health_manager.heartbeat_key
  if (key === null) throw new Error('health_manager.heartbeat_key is not set')
  return key
}

/**
 * `octavia health-manager` (spec/heartbeat.md §7): the UDP receiver feeding the batch processor,
 * and the stale-amphora failover loop, in one process.
 */
export async function startHealthManager(deps: HealthManagerDeps): Promise<HealthManager> {
  const options = deps.config.health_manager
  const log = deps.log.child({ component: 'health-manager' })
  const counters = new HeartbeatCounters(deps.registry)
  const processor = new HeartbeatProcessor({
    db: deps.db, clock: deps.clock, log, counters, reaper: deps.reaper ?? NO_COMPUTE_REAPER, heartbeatInterval: options.heartbeat_interval,
  })
  const receiver = await startHeartbeatReceiver({
    address: options.bind_ip, port: options.bind_port, key: heartbeatKeyOf(deps.config), receiveBufferSize: options.sock_rlimit,
    clock: deps.clock, log, counters, forgetAfterMs: 2 * options.heartbeat_timeout * 1000,
    onHeartbeat: (document, receivedAt) => processor.add(document, receivedAt),
  })
  const scan = new FailoverScan({
    db: deps.db, clock: deps.clock, log, heartbeatTimeout: options.heartbeat_timeout, failoverThreads: options.failover_threads,
    failoverThreshold: options.failover_threshold, onJobQueued: deps.onJobQueued,
  })
  const loop: FailoverLoop = startFailoverLoop(scan, {
    db: deps.db, log, intervalMs: options.health_check_interval * 1000,
    firstDelayMs: deps.firstScanDelayMs ?? options.heartbeat_timeout * 1000, heartbeatTimeoutMs: options.heartbeat_timeout * 1000,
  })
  return {
    receiver, processor, scan, counters,
    stop: async () => {
      await loop.stop()
      await receiver.close()
      await processor.stop()
    },
  }
}
