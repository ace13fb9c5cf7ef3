import { haproxyWord } from './haproxy-word.ts'
import type { HealthMonitorNode, HaproxySettings } from './load-balancer-graph.ts'

// spec/haproxy-mapping.md §6.2: what an enabled health monitor adds to its pool's backend and to
// each server line. UDP-CONNECT and SCTP monitors belong to keepalived pools, never rendered here.

const HTTP_TYPES = new Set(['HTTP', 'HTTPS'])

/** The monitor that applies, or null when the pool has none enabled (then no check at all). */
export function activeMonitor(hm: HealthMonitorNode | null): HealthMonitorNode | null {
  return hm !== null && hm.enabled && hm.provisioning_status !== 'PENDING_DELETE' ? hm : null
}

/** True when this monitor needs HAProxy's external-check (global `external-check`). */
export function usesExternalCheck(hm: HealthMonitorNode | null): boolean {
  return activeMonitor(hm)?.type === 'PING'
}

/** Backend lines of the monitor. */
export function healthCheckLines(hm: HealthMonitorNode, settings: HaproxySettings): string[] {
  const lines = ['load-server-state-from-file global', `timeout check ${hm.timeout}s`]
  if (HTTP_TYPES.has(hm.type)) {
    lines.push('option httpchk')
    const send = [`meth ${haproxyWord(hm.http_method ?? 'GET')}`, `uri ${haproxyWord(hm.url_path ?? '/')}`]
    if (hm.http_version !== null) send.push(`ver HTTP/${hm.http_version.toFixed(1)}`)
    if (hm.http_version === 1.1 && hm.domain_name) send.push(`hdr Host ${haproxyWord(hm.domain_name)}`)
    lines.push(`http-check send ${send.join(' ')}`)
    lines.push(`http-check expect rstatus ${haproxyWord(`^(${expectedCodes(hm.expected_codes).join('|')})$`)}`)
  } else if (hm.type === 'PING') {
    lines.push('option external-check', `external-check command ${haproxyWord(settings.ping_wrapper)}`)
  }
  return lines
}

/** Server-line options of the monitor for one member. */
export function serverCheckOptions(hm: HealthMonitorNode, member: { monitor_address: string | null; monitor_port: number | null }): string {
  const options = [`check inter ${hm.delay}s fall ${hm.fall_threshold} rise ${hm.rise_threshold}`]
  if (member.monitor_address) options.push(`addr ${haproxyWord(member.monitor_address)}`)
  if (member.monitor_port !== null) options.push(`port ${member.monitor_port}`)
  if (hm.type === 'HTTPS') options.push('check-ssl verify none')
  return options.join(' ')
}

/** `200`, `200,202`, `200-204` → each code (the API validated the syntax; anything else means 200). */
export function expectedCodes(spec: string | null): string[] {
  const codes: string[] = []
  for (const part of (spec ?? '200').split(',')) {
    const range = /^\s*(\d{3})\s*-\s*(\d{3})\s*$/.exec(part)
    const single = /^\s*(\d{3})\s*$/.exec(part)
    if (range) for (let code = Number(range[1]); code <= Number(range[2]); code++) codes.push(String(code))
    else if (single) codes.push(single[1]!)
  }
  return codes.length > 0 ? [...new Set(codes)] : ['200']
}
