/** File names inside an amphora's directory (haproxy runs there, so they are relative). */
export const AMPHORA_FILES = {
  record: 'amphora.json',
  hostConfig: 'host.cfg',
  config: 'haproxy.cfg',
  newConfig: 'haproxy.cfg.new',
  failedConfig: 'haproxy.cfg.new-failed',
  pid: 'haproxy.pid',
  masterSocket: 'master.sock',
  statsSocket: 'stats.sock',
  serverState: 'servers-state',
  output: 'haproxy.out',
  logs: 'logs',
  certificates: 'certs',
} as const

const TENANT_RING = 'tenant-logs'

export interface HostConfigOptions {
  amphora_id: string
  /** The agent's tenant log receiver (TCP on loopback), or null for none. */
  log_port: number | null
  user_log_facility: number
  administrative_log_facility: number
}

/**
 * The agent's part of an amphora's configuration, loaded before the controller's: what
 * depends on this host (sockets, state file, log targets) rather than on the load balancer.
 *
 * Tenant traffic lines go into a ring buffer that HAProxy forwards over one TCP connection to
 * the agent's receiver, newline-separated: a request costs HAProxy a memory copy rather than a
 * syscall, the agent reads many lines per read, and a stopped agent only means lines dropped
 * from a full ring, never a slower data plane. The log tag names the amphora. Administrative
 * lines go to HAProxy's own output file.
 */
export function renderHostConfig(options: HostConfigOptions): string {
  const lines = [
    `# Written by the octavia agent for amphora ${options.amphora_id}.`,
    'global',
    // expose-fd listeners: a reload hands the listening sockets over, so no connection is refused.
    `    stats socket unix@${AMPHORA_FILES.statsSocket} mode 600 level admin expose-fd listeners`,
    `    server-state-file ${AMPHORA_FILES.serverState}`,
    `    log-tag ${options.amphora_id}`,
    `    log stderr format short local${options.administrative_log_facility} notice`,
  ]
  if (options.log_port !== null) {
    // Traffic lines are at level info; only those go to the tenant facility.
    lines.push(`    log ring@${TENANT_RING} len 8192 local${options.user_log_facility} info info`)
    lines.push(
      `ring ${TENANT_RING}`,
      '    format rfc3164',
      '    maxlen 8192',
      // 1 MiB of lines waits here while the agent is away (restarting); beyond that, lines are dropped.
      '    size 1048576',
      '    timeout connect 1s',
      '    timeout server 30s',
      `    server agent 127.0.0.1:${options.log_port}`,
    )
  }
  return `${lines.join('\n')}\n`
}
