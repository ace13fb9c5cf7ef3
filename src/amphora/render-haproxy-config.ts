import { usesExternalCheck } from './health-check.ts'
import type { HaproxySettings, LoadBalancerGraph, ListenerNode, PoolNode } from './load-balancer-graph.ts'
import { connectionLimit, renderBackend } from './render-backend.ts'
import { listenerMode, renderFrontend } from './render-frontend.ts'

// spec/haproxy-mapping.md: the HAProxy configuration of one load balancer. Host-specific parts
// (stats socket, server-state file, log target, pid file) are the agent's: it adds them in a
// second configuration file of its own, so the text rendered here is the same on any host.

/** Listener protocols this configuration serves; UDP and SCTP belong to keepalived, TERMINATED_HTTPS needs the secrets driver. */
export const HAPROXY_LISTENER_PROTOCOLS = ['HTTP', 'HTTPS', 'TCP', 'PROMETHEUS'] as const

const MAX_GLOBAL_CONNECTIONS = 1_000_000

/** Whether a listener gets a frontend in the load balancer's HAProxy configuration. */
export function isRenderedListener(listener: ListenerNode): boolean {
  return listener.enabled && listener.provisioning_status !== 'PENDING_DELETE' &&
    (HAPROXY_LISTENER_PROTOCOLS as readonly string[]).includes(listener.protocol)
}

/** The haproxy.cfg text of a load balancer: a pure function of its object graph and the settings. */
export function renderHaproxyConfig(graph: LoadBalancerGraph, settings: HaproxySettings): string {
  const lb = graph.loadbalancer
  // A disabled load balancer keeps its process but serves nothing (spec §1).
  const listeners = lb.enabled ? graph.listeners.filter(isRenderedListener) : []
  const pools = new Map(graph.pools.map((pool) => [pool.id, pool]))
  const usablePool = (poolId: string): PoolNode | null => {
    const pool = pools.get(poolId)
    return pool !== undefined && pool.enabled && pool.provisioning_status !== 'PENDING_DELETE' ? pool : null
  }

  const sections: string[][] = [globalSection(listeners, settings, usablePool), defaultsSection(settings)]
  for (const listener of listeners) {
    sections.push(renderFrontend(graph, listener, usablePool, settings))
    if (listener.protocol === 'PROMETHEUS') continue
    for (const pool of poolsOf(listener, usablePool)) sections.push(renderBackend(pool, listener, listenerMode(listener), settings))
  }
  return `# HAProxy configuration of load balancer ${lb.id}, rendered by the octavia controller.\n\n${sections.map((s) => s.join('\n')).join('\n\n')}\n`
}

/**
 * The configuration of a spare amphora (no load balancer yet): the global and defaults sections
 * of a load balancer with nothing to serve. Its haproxy runs with only the agent's stats socket
 * listening, so a load balancer given to it later arrives by a hitless reload of that master.
 */
export function renderSpareConfig(amphoraId: string, settings: HaproxySettings): string {
  const sections = [globalSection([], settings, () => null), defaultsSection(settings)]
  return `# HAProxy configuration of spare amphora ${amphoraId}, rendered by the octavia controller.\n\n${sections.map((s) => s.join('\n')).join('\n\n')}\n`
}

/** The pools a listener sends traffic to: its default pool, then its L7 policies' redirect pools. */
function poolsOf(listener: ListenerNode, usablePool: (poolId: string) => PoolNode | null): PoolNode[] {
  const ids = [listener.default_pool_id]
  for (const policy of [...listener.l7policies].sort((a, b) => a.position - b.position)) {
    if (policy.action === 'REDIRECT_TO_POOL' && policy.enabled && policy.provisioning_status !== 'PENDING_DELETE') ids.push(policy.redirect_pool_id)
  }
  const seen = new Set<string>()
  const out: PoolNode[] = []
  for (const id of ids) {
    const pool = id === null || seen.has(id) ? null : usablePool(id)
    if (pool === null) continue
    seen.add(pool.id)
    out.push(pool)
  }
  return out
}

function globalSection(listeners: readonly ListenerNode[], settings: HaproxySettings, usablePool: (poolId: string) => PoolNode | null): string[] {
  const sum = listeners.reduce((total, l) => total + connectionLimit(l.connection_limit, settings), 0)
  let maxconn = sum <= 0 || sum >= MAX_GLOBAL_CONNECTIONS ? MAX_GLOBAL_CONNECTIONS : sum
  if (settings.max_connections !== null) maxconn = Math.min(maxconn, settings.max_connections)
  const lines = [`maxconn ${maxconn}`]
  const ping = listeners.some((l) => poolsOf(l, usablePool).some((pool) => usesExternalCheck(pool.healthmonitor)))
  if (ping) lines.push('external-check', 'insecure-fork-wanted')
  return ['global', ...lines.map((line) => `    ${line}`)]
}

function defaultsSection(settings: HaproxySettings): string[] {
  const lines = [
    settings.connection_logging ? 'log global' : 'no log',
    'retries 3',
    'option redispatch',
    'option splice-request',
    'option splice-response',
    'option http-keep-alive',
    // One packet less per connection each way (also in shared/bench/haproxy-tuned.cfg).
    'option tcp-smart-accept',
    'option tcp-smart-connect',
  ]
  return ['defaults', ...lines.map((line) => `    ${line}`)]
}
