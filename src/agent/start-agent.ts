import { existsSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Logger } from '../common/logger.ts'
import { startAgentServer, type AgentTls } from './agent-server.ts'
import { AMPHORA_FILES } from './amphora-host-config.ts'
import { AmphoraSupervisor } from './amphora-supervisor.ts'
import { startHeartbeatSender, type HeartbeatSender } from './heartbeat-sender.ts'
import { haproxyVersion, hostFacts } from './host-facts.ts'
import { TenantLogReceiver } from './tenant-log-receiver.ts'

export interface AgentOptions {
  name: string
  /** agent.state_dir: amphorae, the log port, the PING check script. */
  state_dir: string
  address: string
  port: number
  capacity: number
  haproxy_cmd: string
  tls: AgentTls
  user_log_facility: number
  administrative_log_facility: number
  /** Where and how often each amphora reports (spec/heartbeat.md §1); none when absent or without controllers. */
  heartbeat?: { controllers: readonly string[]; key: string; interval: number }
  log: Logger
}

export interface RunningAgent {
  port: number
  supervisor: AmphoraSupervisor
  logs: TenantLogReceiver
  /** Stops serving the API and receiving logs; the amphorae keep running. */
  close(): Promise<void>
}

/** Per-load-balancer tenant log files rotate at 10 MiB, five kept. */
const LOG_ROTATION = { max_bytes: 10 * 1024 * 1024, keep: 5 }

// spec/haproxy-mapping.md §6.2: the PING monitor's external check; HAProxy passes the server's address as $3.
const PING_WRAPPER = `#!/bin/sh
# HAProxy external check for PING health monitors, written by the octavia agent.
case "$3" in *:*) exec ping -6 -q -n -c 1 -W 1 "$3" >/dev/null 2>&1 ;; esac
exec ping -q -n -c 1 -W 1 "$3" >/dev/null 2>&1
`

/** Starts the host agent: adopts the amphorae already running, then serves the API. */
export async function startAgent(options: AgentOptions): Promise<RunningAgent> {
  mkdirSync(options.state_dir, { recursive: true })
  const stateDir = realpathSync(options.state_dir)
  const pingWrapper = join(stateDir, 'ping-wrapper.sh')
  writeFileSync(pingWrapper, PING_WRAPPER, { mode: 0o755 })
  const log = options.log.child({ component: 'agent' })

  let supervisor: AmphoraSupervisor | null = null
  const logs = await startLogReceiver(stateDir, (id) => supervisor?.logFile(id) ?? null, log)
  supervisor = await AmphoraSupervisor.open({
    dir: stateDir, haproxy_cmd: options.haproxy_cmd, capacity: options.capacity, log_port: logs.port,
    user_log_facility: options.user_log_facility, administrative_log_facility: options.administrative_log_facility, log,
    on_delete: (id) => logs.forget(id),
    // A spare has no frontend, so no line was written under its own name; the next ones go to its load balancer's file.
    on_assign: (id) => logs.forget(id),
  })
  const version = haproxyVersion(options.haproxy_cmd)
  try {
    const server = await startAgentServer({
      name: options.name, address: options.address, port: options.port, tls: options.tls, capacity: options.capacity,
      supervisor, facts: () => hostFacts(version), ping_wrapper: pingWrapper, log,
    })
    log.info({ address: options.address, port: server.port, amphorae: supervisor.list().length }, 'agent listening')
    const running = supervisor
    const heartbeats = startHeartbeats(options, running, log)
    return {
      port: server.port,
      supervisor: running,
      logs,
      close: async () => {
        await heartbeats?.stop()
        await server.close()
        await running.close()
        await logs.close()
      },
    }
  } catch (err) {
    await supervisor.close()
    await logs.close()
    throw err
  }
}

/**
 * The log receiver keeps its port across agent restarts (running amphorae send to it); when
 * that port is taken, another one is used and the amphorae are reloaded with it.
 */
async function startLogReceiver(stateDir: string, fileFor: (id: string) => string | null, log: Logger): Promise<TenantLogReceiver> {
  const portFile = join(stateDir, 'log-port')
  const previous = existsSync(portFile) ? Number(readFileSync(portFile, 'utf8').trim()) : 0
  const start = (port: number) => TenantLogReceiver.start({ port, fileFor, rotation: LOG_ROTATION, log })
  const receiver = await start(previous).catch((err: NodeJS.ErrnoException) => {
    log.warn({ err, port: previous }, 'tenant log port unavailable; using another one')
    return start(0)
  })
  writeFileSync(portFile, `${receiver.port}\n`)
  return receiver
}

/** Every amphora of this host reports to the controllers, with its haproxy's statistics while it runs. */
function startHeartbeats(options: AgentOptions, supervisor: AmphoraSupervisor, log: Logger): HeartbeatSender | null {
  const heartbeat = options.heartbeat
  if (!heartbeat || heartbeat.controllers.length === 0) return null
  return startHeartbeatSender({
    ...heartbeat, log,
    targets: () => supervisor.list().map((amphora) => {
      const dir = join(supervisor.amphoraeDir, amphora.id)
      return { id: amphora.id, stats_socket: amphora.running ? join(dir, AMPHORA_FILES.statsSocket) : null, counters_file: join(dir, 'stats_counters.json') }
    }),
  })
}
