import type { Registry } from 'prom-client'
import { startAgent } from '../../agent/start-agent.ts'
import { systemClock } from '../../common/clock.ts'
import { registerAgentMetrics } from '../../agent/agent-metrics.ts'
import { createLogger, type Logger } from '../../common/logger.ts'
import type { OctaviaConfig } from '../../config/schema.ts'
import { agentTlsMaterial } from '../../drivers/certificates/tls-material.ts'
import { createMetricsRegistry } from '../../common/metrics.ts'
import { CommandFailed } from '../exit-codes.ts'
import { loadCliConfig, type GlobalOptions } from '../load-cli-config.ts'
import { startMetricsPart } from '../metrics-part.ts'
import { runUntilSignal, type Stoppable } from '../run-until-signal.ts'

export async function runAgent(options: GlobalOptions): Promise<number> {
  const config = loadCliConfig(options)
  const log = createLogger()
  const { parts } = await startAgentService(config, log)
  return runUntilSignal(parts, log)
}

/**
 * Starts the host agent as `octavia agent` runs it (also inside `octavia up`) with its metrics
 * endpoint; `controllers` replaces agent.controllers (`octavia up` names its own health manager,
 * whose port is known only once bound). With `registry` its metrics join that registry (`octavia
 * up` serves them all on one endpoint) instead of agent.metrics. Resolves the bound port, when
 * the agent's certificate expires, and the parts to stop.
 */
export async function startAgentService(config: OctaviaConfig, log: Logger, options: { controllers?: readonly string[]; registry?: Registry } = {}):
  Promise<{ port: number; cert_expiration: Date; parts: Stoppable[] }> {
  const { expires_at, ...tls } = await agentTlsMaterial(config, systemClock)
  log.info({ expires_at, name: config.agent.name }, 'agent certificate')
  const controllers = options.controllers ?? config.agent.controllers
  const agent = await startAgent({
    name: config.agent.name,
    state_dir: config.agent.state_dir,
    address: config.agent.bind.address,
    port: config.agent.bind.port,
    capacity: config.agent.capacity,
    haproxy_cmd: config.haproxy_amphora.haproxy_cmd,
    tls: { ...tls, min_version: config.amphora_agent.agent_tls_protocol },
    user_log_facility: config.amphora_agent.user_log_facility,
    administrative_log_facility: config.amphora_agent.administrative_log_facility,
    ...(config.health_manager.heartbeat_key === null ? {} : {
      heartbeat: { controllers, key: config.health_manager.heartbeat_key, interval: config.health_manager.heartbeat_interval },
    }),
    log,
  }).catch((err: NodeJS.ErrnoException) => {
    throw new CommandFailed(`octavia agent: cannot start: ${err.code ?? ''} ${err.message}`.replace('  ', ' '))
  })
  const parts: Stoppable[] = [{ name: 'agent', stop: () => agent.close() }]
  const metrics = config.agent.metrics
  if (options.registry !== undefined) {
    registerAgentMetrics(options.registry, agent.supervisor, config.agent.capacity)
  } else if (metrics.enabled) {
    const registry = createMetricsRegistry({ service: 'octavia-agent' })
    registerAgentMetrics(registry, agent.supervisor, config.agent.capacity)
    parts.push(await startMetricsPart(registry, metrics.address, metrics.port, log).catch(async (err: unknown) => {
      await agent.close()
      throw err
    }))
  }
  return { port: agent.port, cert_expiration: expires_at, parts }
}
