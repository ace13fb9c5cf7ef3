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

export interface HostConfigOptions {
  amphora_id: string
  /** The agent's tenant log receiver (UDP on loopback), or null for none. */
  log_port: number | null
  user_log_facility: number
  administrative_log_facility: number
}

/**
 * The agent's part of an amphora's configuration, loaded before the controller's: what
 * depends on this host (sockets, state file, log target) rather than on the load balancer.
 * The log tag names the amphora, so the receiver knows whose line a datagram is.
 */
export function renderHostConfig(options: HostConfigOptions): string {
  const lines = [
    `# Written by the octavia agent for amphora ${options.amphora_id}.`,
    'global',
    // expose-fd listeners: a reload hands the listening sockets over, so no connection is refused.
    `    stats socket unix@${AMPHORA_FILES.statsSocket} mode 600 level admin expose-fd listeners`,
    `    server-state-file ${AMPHORA_FILES.serverState}`,
    `    log-tag ${options.amphora_id}`,
  ]
  if (options.log_port !== null) {
    // Traffic lines are at level info; only those go to the tenant facility.
    lines.push(`    log 127.0.0.1:${options.log_port} len 8192 local${options.user_log_facility} info info`)
    lines.push(`    log 127.0.0.1:${options.log_port} local${options.administrative_log_facility} notice`)
  }
  return `${lines.join('\n')}\n`
}
