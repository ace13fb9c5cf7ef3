import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Command } from 'commander'
import { startAgent } from '../../agent/start-agent.ts'
import { systemClock } from '../../common/clock.ts'
import { registerAgentMetrics } from '../../agent/agent-metrics.ts'
import { createLogger, type Logger } from '../../common/logger.ts'
import { createMetricsRegistry, startMetricsServer } from '../../common/metrics.ts'
import type { OctaviaConfig } from '../../config/schema.ts'
import { ensureCertificateFiles } from '../../drivers/certificates/ensure-certificate-files.ts'
import { openCertificateAuthority } from '../../drivers/certificates/open-certificate-authority.ts'
import { isWildcard, parseIp } from '../../config/ip-address.ts'
import type { CliContext } from '../cli-context.ts'
import { CommandFailed } from '../exit-codes.ts'
import { loadCliConfig, type GlobalOptions } from '../load-cli-config.ts'
import { runUntilSignal, type Stoppable } from '../run-until-signal.ts'

export function registerAgentCommand(program: Command, cli: CliContext): void {
  program
    .command('agent')
    .description('run the host agent: the mTLS REST API that runs this host\'s HAProxy amphorae (they keep running when it stops)')
    .action(async () => cli.exit(await runAgent(cli.globals())))
}

async function runAgent(options: GlobalOptions): Promise<number> {
  const config = loadCliConfig(options)
  const log = createLogger()
  const tls = await agentTls(config, log)
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
    log,
  }).catch((err: NodeJS.ErrnoException) => {
    throw new CommandFailed(`octavia agent: cannot start: ${err.code ?? ''} ${err.message}`.replace('  ', ' '))
  })
  const parts: Stoppable[] = [{ name: 'agent', stop: () => agent.close() }]
  const metrics = config.agent.metrics
  if (metrics.enabled) {
    const registry = createMetricsRegistry({ service: 'octavia-agent' })
    registerAgentMetrics(registry, agent.supervisor, config.agent.capacity)
    const server = await startMetricsServer(registry, metrics.address, metrics.port).catch(async (err: NodeJS.ErrnoException) => {
      await agent.close()
      throw new CommandFailed(`cannot listen on ${metrics.address}:${metrics.port} for metrics: ${err.code ?? err.message}`)
    })
    parts.push({ name: 'metrics', stop: () => server.close() })
    log.info({ url: server.url }, 'metrics listening')
  }
  return runUntilSignal(parts, log)
}

/**
 * The agent's server certificate and the CA its clients must chain to: the files of the
 * amphora_agent section when they exist (operator-provisioned), otherwise a certificate for
 * agent.name signed by the local CA, kept under the state directory and renewed when it nears expiry.
 */
export async function agentTls(config: OctaviaConfig, log: Logger): Promise<{ key: string; cert: string; ca: string }> {
  const { agent_server_cert, agent_server_ca } = config.amphora_agent
  if (existsSync(agent_server_cert) && existsSync(agent_server_ca)) {
    const pem = readFileSync(agent_server_cert, 'utf8')
    return { key: pem, cert: pem, ca: readFileSync(agent_server_ca, 'utf8') }
  }
  const ca = await openCertificateAuthority(config.certificates, systemClock)
  const dir = join(config.agent.state_dir, 'tls')
  const files = { cert: join(dir, 'server.pem'), key: null, all: null, ca: join(dir, 'client_ca.pem') }
  const address = parseIp(config.agent.bind.address)
  const { expires_at, issued } = await ensureCertificateFiles(files, ca, () => ca.issueServerCertificate({
    common_name: config.agent.name,
    dns_names: [config.agent.name],
    ip_addresses: address !== null && !isWildcard(address) ? [config.agent.bind.address] : [],
  }), { now: systemClock.now(), renew_before_seconds: config.house_keeping.cert_expiry_buffer })
  log.info({ expires_at, issued, name: config.agent.name }, 'agent certificate')
  const pem = readFileSync(files.cert, 'utf8')
  return { key: pem, cert: pem, ca: ca.ca_certificate }
}
