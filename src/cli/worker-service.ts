import type { Registry } from 'prom-client'
import { systemClock } from '../common/clock.ts'
import type { Logger } from '../common/logger.ts'
import type { OctaviaConfig } from '../config/schema.ts'
import type { DataPlane } from '../controller/data-plane.ts'
import { createFlowContext } from '../controller/flow-context.ts'
import { ALL_FLOWS } from '../controller/flows/all-flows.ts'
import type { JobQueue } from '../controller/queue/job-queue.ts'
import { workerMetrics } from '../controller/worker-metrics.ts'
import { workerSettings } from '../controller/worker-settings.ts'
import { startWorker, type Worker } from '../controller/worker.ts'
import type { Database } from '../db/database.ts'
import { AgentRepository } from '../db/repositories/agent-repository.ts'
import { AmphoraRepository } from '../db/repositories/amphora-repository.ts'
import { openCertificateAuthority } from '../drivers/certificates/open-certificate-authority.ts'
import { ControllerCertificate } from '../drivers/certificates/controller-certificate.ts'
import { AgentScheduler, LocalAgentCompute, type LocalAgentComputeOptions } from '../drivers/compute/local-agent-compute.ts'
import { AmphoraSpareBuilder } from '../controller/spare-amphora-builder.ts'
import { AgentCertificateRotator } from '../housekeeping/agent-certificate-rotator.ts'
import type { AmphoraCertificateRotator } from '../housekeeping/certificate-rotation.ts'
import type { Stoppable } from './run-until-signal.ts'

/** controller_worker.amphora_driver naming Octavia's noop amphora driver: flows change the database only. */
export const NOOP_AMPHORA_DRIVER = 'amphora_noop_driver'

/** Whether this configuration runs amphorae on host agents (any amphora driver but the noop one). */
export function hasDataPlane(config: OctaviaConfig): boolean {
  return config.controller_worker.amphora_driver !== NOOP_AMPHORA_DRIVER
}

/**
 * The amphora provider's data plane as the worker sees it: the registered host agents (agents
 * table), reached over mutual TLS with the controller's client certificate and the
 * [haproxy_amphora] retry and timeout options.
 */
export async function createDataPlane(config: OctaviaConfig, db: Database, log: Logger): Promise<DataPlane> {
  const ha = config.haproxy_amphora
  const compute = await createAgentCompute(config, db, log)
  return {
    compute,
    haproxy: {
      connection_logging: ha.connection_logging, user_log_format: ha.user_log_format, default_connection_limit: ha.default_connection_limit,
      timeout_client_data: ha.timeout_client_data, timeout_member_connect: ha.timeout_member_connect, timeout_member_data: ha.timeout_member_data,
      timeout_tcp_inspect: ha.timeout_tcp_inspect, haproxy_stick_size: ha.haproxy_stick_size,
    },
    amp_flavor_id: config.controller_worker.amp_flavor_id,
    amp_image_tag: config.controller_worker.amp_image_tag,
    default_zone: config.nova.availability_zone,
  }
}

/**
 * The registered host agents, reached as the controller reaches them: with its client
 * certificate, renewed while the process runs (ControllerCertificate).
 */
export async function createAgentCompute(config: OctaviaConfig, db: Database, log: Logger,
  retries: Partial<LocalAgentComputeOptions['retries']> = {}): Promise<LocalAgentCompute> {
  const ha = config.haproxy_amphora
  const certificate = await ControllerCertificate.load(config, systemClock, log)
  certificate.start()
  return new LocalAgentCompute({
    agents: new AgentRepository(db, systemClock), amphorae: new AmphoraRepository(db, systemClock),
    tls: certificate,
    retries: {
      max_retries: ha.connection_max_retries, retry_interval: ha.connection_retry_interval,
      conn_timeout: ha.rest_request_conn_timeout, read_timeout: ha.rest_request_read_timeout, ...retries,
    },
  })
}

/**
 * Housekeeping's certificate rotation for the data plane: the local CA signs the host agents new
 * server certificates, pushed to them as the worker reaches them. `close` drops its connections.
 */
export async function createCertificateRotator(config: OctaviaConfig, db: Database, log: Logger):
  Promise<{ rotator: AmphoraCertificateRotator; close(): void }> {
  const compute = await createAgentCompute(config, db, log)
  const ca = await openCertificateAuthority(config.certificates, systemClock)
  const rotator = new AgentCertificateRotator({
    agents: new AgentRepository(db, systemClock), amphorae: new AmphoraRepository(db, systemClock), compute, ca, log,
  })
  return { rotator, close: () => compute.close() }
}

/**
 * The spare amphora builds of housekeeping's spare pool, when this configuration has a data
 * plane (without one there is nothing to build a spare on). Housekeeping only records them and
 * their jobs; the workers build them.
 */
export function createSpareBuilder(config: OctaviaConfig, db: Database, log: Logger): AmphoraSpareBuilder | undefined {
  if (!hasDataPlane(config)) return undefined
  return new AmphoraSpareBuilder({
    db, clock: systemClock, log,
    scheduler: new AgentScheduler({ agents: new AgentRepository(db, systemClock), amphorae: new AmphoraRepository(db, systemClock) }),
    amp_flavor_id: config.controller_worker.amp_flavor_id, amp_image_tag: config.controller_worker.amp_image_tag,
  })
}

/**
 * A controller worker as `octavia worker` and `octavia up` run it: every flow, the amphora data
 * plane unless the amphora driver is the noop one, the configured timings, announcements from
 * `queue`, metrics on `registry`. Stopping it stops claiming and hands running jobs back at their
 * next task boundary.
 */
export async function startWorkerService(config: OctaviaConfig, db: Database, log: Logger, queue: JobQueue, registry: Registry):
  Promise<{ worker: Worker; part: Stoppable }> {
  const dataPlane = hasDataPlane(config) ? await createDataPlane(config, db, log) : undefined
  const worker = startWorker({
    context: createFlowContext({
      db, clock: systemClock, log, subnets: config.networks, reservedIps: config.networking.reserved_ips, ...(dataPlane ? { dataPlane } : {}),
    }),
    flows: ALL_FLOWS, queue, ...workerSettings(config),
    observer: workerMetrics(registry, { db, clock: systemClock }),
  })
  log.info({ owner: worker.owner, queue: config.message_queue.engine, amphora_driver: config.controller_worker.amphora_driver }, 'worker started')
  return {
    worker,
    part: {
      name: 'worker',
      stop: async () => {
        await worker.stop()
        dataPlane?.compute.close()
      },
    },
  }
}
