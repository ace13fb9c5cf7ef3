import { activeMonitor, healthCheckLines, serverCheckOptions } from './health-check.ts'
import { haproxyWord, isToken } from './haproxy-word.ts'
import type { HaproxySettings, ListenerNode, MemberNode, PoolNode } from './load-balancer-graph.ts'

// spec/haproxy-mapping.md §6 and §7: one backend per (enabled pool, listener) pair, named
// `<pool>:<listener>` (the heartbeat reads statistics by that name).

const BALANCE: Record<string, string> = { ROUND_ROBIN: 'roundrobin', LEAST_CONNECTIONS: 'leastconn', SOURCE_IP: 'source' }

/**
 * Connection reuse towards members. Octavia writes `safe`, which never sends a client
 * connection's first request over an idle server connection; `aggressive` costs about as much.
 * With clients that close after each request, both spend 1.6 times the CPU per request of
 * `always` (bench/dataplane: 14.5k against 23k requests per CPU-second, HAProxy 2.6), which
 * the tuned reference uses. `always` shares idle member connections between clients; HAProxy
 * drops those a member has closed, and a member that closes one at the very moment it is
 * reused costs that one request. `retry-on empty-response`, which would replay it, costs 17%.
 */
export const HTTP_REUSE = 'always'

export function backendName(poolId: string, listenerId: string): string {
  return `${poolId}:${listenerId}`
}

/** The HAProxy mode a pool runs in behind a listener: PROXY pools follow their listener. */
export function backendMode(pool: PoolNode, listenerMode: 'http' | 'tcp'): 'http' | 'tcp' {
  if (pool.protocol === 'HTTP') return 'http'
  if (pool.protocol === 'PROXY' || pool.protocol === 'PROXYV2') return listenerMode
  return 'tcp'
}

export function renderBackend(pool: PoolNode, listener: ListenerNode, listenerMode: 'http' | 'tcp', settings: HaproxySettings): string[] {
  const mode = backendMode(pool, listenerMode)
  const hm = activeMonitor(pool.healthmonitor)
  const limit = connectionLimit(listener.connection_limit, settings)
  const lines = [`mode ${mode}`]
  if (mode === 'http') lines.push(`http-reuse ${HTTP_REUSE}`)
  lines.push(`balance ${BALANCE[pool.lb_algorithm] ?? 'roundrobin'}`)
  lines.push(...persistenceLines(pool, mode, settings))
  if (hm) lines.push(...healthCheckLines(hm, settings))
  if (mode === 'http') lines.push(...headerLines(pool, listener))
  lines.push(`fullconn ${limit}`, 'option allbackups')
  lines.push(`timeout connect ${listener.timeout_member_connect || settings.timeout_member_connect}`)
  lines.push(`timeout server ${listener.timeout_member_data || settings.timeout_member_data}`)
  for (const member of pool.members) {
    if (member.provisioning_status === 'PENDING_DELETE') continue
    lines.push(serverLine(member, pool, hm === null ? null : serverCheckOptions(hm, member), mode))
  }
  return [`backend ${backendName(pool.id, listener.id)}`, ...lines.map((line) => `    ${line}`)]
}

/** connection_limit, with -1/null meaning [haproxy_amphora] default_connection_limit. */
export function connectionLimit(limit: number | null, settings: HaproxySettings): number {
  return limit === null || limit < 0 ? settings.default_connection_limit : limit
}

function persistenceLines(pool: PoolNode, mode: 'http' | 'tcp', settings: HaproxySettings): string[] {
  const sp = pool.session_persistence
  if (sp === null) return []
  const size = settings.haproxy_stick_size
  if (sp.type === 'SOURCE_IP') return [`stick-table type ipv6 size ${size}`, 'stick on src']
  if (mode !== 'http') return []
  if (sp.type === 'HTTP_COOKIE') return ['cookie SRV insert indirect nocache']
  if (sp.type === 'APP_COOKIE' && isToken(sp.cookie_name)) {
    return [`stick-table type string len 64 size ${size}`, `stick store-response res.cook(${sp.cookie_name})`, `stick match req.cook(${sp.cookie_name})`]
  }
  return []
}

/** spec/haproxy-mapping.md §6.3: insert_headers values count when equal to "true", any case. */
function headerLines(pool: PoolNode, listener: ListenerNode): string[] {
  const wanted = (name: string) => Object.entries(listener.insert_headers).some(([k, v]) => k === name && String(v).toLowerCase() === 'true')
  const lines: string[] = []
  if (pool.protocol === 'HTTP') {
    if (wanted('X-Forwarded-For')) lines.push('option forwardfor')
    if (wanted('X-Forwarded-Port')) lines.push('http-request set-header X-Forwarded-Port %[dst_port]')
  }
  if (wanted('X-Forwarded-Proto') && listener.protocol === 'HTTP') lines.push('http-request set-header X-Forwarded-Proto http')
  return lines
}

function serverLine(member: MemberNode, pool: PoolNode, checkOptions: string | null, mode: 'http' | 'tcp'): string {
  const parts = [`server ${member.id} ${haproxyWord(member.ip_address)}:${member.protocol_port} weight ${member.weight ?? 1}`]
  if (checkOptions !== null) parts.push(checkOptions)
  if (pool.session_persistence?.type === 'HTTP_COOKIE' && mode === 'http') parts.push(`cookie ${member.id}`)
  if (pool.protocol === 'PROXY') parts.push('send-proxy')
  if (pool.protocol === 'PROXYV2') parts.push('send-proxy-v2')
  if (member.backup) parts.push('backup')
  if (!member.enabled) parts.push('disabled')
  return parts.join(' ')
}
