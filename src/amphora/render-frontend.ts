import { backendName, connectionLimit } from './render-backend.ts'
import { haproxyWord } from './haproxy-word.ts'
import type { HaproxySettings, LoadBalancerGraph, ListenerNode, PoolNode } from './load-balancer-graph.ts'
import { renderL7Policies } from './render-l7-policies.ts'
import { tenantLogFormat } from './tenant-log-format.ts'

// spec/haproxy-mapping.md §4: one frontend per enabled listener, named by the listener's id
// (the heartbeat reports listener statistics by that name).

/** HTTP-mode listener protocols; TCP and HTTPS (TLS passthrough) run in TCP mode. */
export function listenerMode(listener: ListenerNode): 'http' | 'tcp' {
  return listener.protocol === 'HTTP' || listener.protocol === 'PROMETHEUS' ? 'http' : 'tcp'
}

export function renderFrontend(
  graph: LoadBalancerGraph,
  listener: ListenerNode,
  usablePool: (poolId: string) => PoolNode | null,
  settings: HaproxySettings,
): string[] {
  const mode = listenerMode(listener)
  const lb = graph.loadbalancer
  const lines = [`maxconn ${connectionLimit(listener.connection_limit, settings)}`]
  const vips = [lb.vip?.ip_address ?? null, ...lb.additional_vips.map((v) => v.ip_address)].filter((ip): ip is string => ip !== null)
  // An IPv6 address is written bare: HAProxy takes the port after the last colon.
  for (const vip of vips) lines.push(`bind ${haproxyWord(vip)}:${listener.protocol_port}`)
  lines.push(`mode ${mode}`)
  // We have no security groups: allowed_cidrs are enforced here, before anything else is done
  // with the connection (a deviation from spec/haproxy-mapping.md §10).
  if (listener.allowed_cidrs.length > 0) {
    lines.push(`tcp-request connection reject if !{ src ${listener.allowed_cidrs.map(haproxyWord).join(' ')} }`)
  }
  if (settings.connection_logging) {
    lines.push(`log-format ${tenantLogFormat(settings.user_log_format, { project_id: lb.project_id, lb_id: lb.id }, mode === 'http')}`)
  }
  lines.push(`timeout client ${listener.timeout_client_data || settings.timeout_client_data}`)
  const inspectDelay = listener.timeout_tcp_inspect ?? settings.timeout_tcp_inspect
  if (inspectDelay > 0) lines.push(`tcp-request inspect-delay ${inspectDelay}`)

  if (listener.protocol === 'PROMETHEUS') {
    // spec §11 puts the exporter behind an internal frontend on 127.0.0.1:9101; a host runs many
    // amphorae, so each PROMETHEUS listener serves HAProxy's exporter itself.
    lines.push('http-request use-service prometheus-exporter if { path /metrics }', 'http-request deny')
  } else {
    if (mode === 'http') {
      const l7 = renderL7Policies(listener.l7policies, usablePool, (poolId) => backendName(poolId, listener.id))
      lines.push(...l7.acls, ...l7.denies, ...l7.redirects, ...l7.useBackends)
    }
    if (listener.default_pool_id !== null && usablePool(listener.default_pool_id) !== null) {
      lines.push(`default_backend ${backendName(listener.default_pool_id, listener.id)}`)
    }
  }
  return [`frontend ${listener.id}`, ...lines.map((line) => `    ${line}`)]
}
