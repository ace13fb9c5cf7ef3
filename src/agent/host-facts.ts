import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { availableParallelism, hostname, loadavg } from 'node:os'

/** What the agent reports of its host (GET /1.0/info and /1.0/details); the controller renders with some of it. */
export interface HostFacts {
  hostname: string
  haproxy_version: string
  cpu_count: number
  /** kB, from /proc/meminfo. */
  memory: { total: number; free: number; buffers: number; cached: number }
  load: string[]
  /** The most connections one amphora can hold here: its open-file limit, at 2.5 descriptors per connection. */
  max_connections: number
}

/** Descriptors HAProxy needs besides its connections (listeners, checks, logs, CLI). */
const RESERVED_FDS = 500

export function haproxyVersion(haproxyCmd: string): string {
  const out = execFileSync(haproxyCmd, ['-v'], { encoding: 'utf8' })
  return /version (\S+)/i.exec(out)?.[1] ?? 'unknown'
}

export function hostFacts(haproxy_version: string): HostFacts {
  const meminfo = readFileSync('/proc/meminfo', 'utf8')
  const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(meminfo)?.[1] ?? 0)
  return {
    hostname: hostname(),
    haproxy_version,
    cpu_count: availableParallelism(),
    memory: { total: kb('MemTotal'), free: kb('MemFree'), buffers: kb('Buffers'), cached: kb('Cached') },
    load: loadavg().map((n) => n.toFixed(2)),
    // HAProxy 2.6 asks for 2.5 descriptors per connection (client side, server side, pipes for splicing).
    max_connections: Math.max(1, Math.floor((openFileLimit() - RESERVED_FDS) / 2.5)),
  }
}

/** The hard open-file limit haproxy (our child) may raise itself to. */
function openFileLimit(): number {
  const limits = readFileSync('/proc/self/limits', 'utf8')
  const hard = /^Max open files\s+\S+\s+(\S+)/m.exec(limits)?.[1]
  return hard === undefined || hard === 'unlimited' ? 1_048_576 : Number(hard)
}
