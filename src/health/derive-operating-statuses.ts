import type { OperatingStatus } from '../common/statuses.ts'
import type { HealthLoadBalancer, OperatingStatusChange } from '../db/repositories/heartbeat-repository.ts'
import { healthVersion, poolIdOfKey, type HeartbeatDocument, type HeartbeatPool } from './heartbeat-document.ts'

export interface DerivedStatuses {
  /** The operating status each object should have; the caller writes those that differ from the database. */
  statuses: OperatingStatusChange[]
  /** Statuses the heartbeat carried that the rules do not know (left unchanged, spec/heartbeat.md §5.4). */
  unknown: string[]
}

/** Member status text → operating status; undefined = leave it as it is. */
function memberStatus(text: string): OperatingStatus | undefined | 'unknown' {
  if (text.startsWith('UP')) return 'ONLINE'
  if (text.startsWith('DOWN')) return 'ERROR'
  switch (text) {
    case 'DRAIN': return 'DRAINING'
    case 'MAINT': return 'OFFLINE'
    case 'no check': return 'NO_MONITOR'
    // keepalived restarting after a change: wait for a stable status.
    case 'RESTARTING': return undefined
    default: return 'unknown'
  }
}

/**
 * spec/heartbeat.md §5.4: the operating statuses one heartbeat implies for its amphora's load
 * balancer, listeners first, then pools with their members, the load balancer last.
 */
export function deriveOperatingStatuses(lb: HealthLoadBalancer, document: HeartbeatDocument): DerivedStatuses {
  const statuses: OperatingStatusChange[] = []
  const unknown: string[] = []
  let lbStatus: OperatingStatus = lb.enabled ? 'ONLINE' : 'OFFLINE'

  for (const listener of lb.listeners) {
    const reported = document.listeners[listener.id]
    let status: OperatingStatus | undefined
    if (reported === undefined) status = listener.enabled && lb.provisioning_status === 'ACTIVE' ? 'ERROR' : 'OFFLINE'
    else if (reported.status === 'OPEN') status = 'ONLINE'
    else if (reported.status === 'FULL') {
      status = 'DEGRADED'
      if (lbStatus === 'ONLINE') lbStatus = 'DEGRADED'
    } else unknown.push(`listener ${listener.id}: ${reported.status}`)
    if (status) statuses.push({ table: 'listener', id: listener.id, status })
  }

  // Keys normalised to pool ids; the first occurrence of a pool wins (§3.2).
  const reportedPools = new Map<string, HeartbeatPool>()
  const add = (pools: Record<string, HeartbeatPool> | undefined) => {
    for (const key in pools) {
      const id = poolIdOfKey(key)
      if (!reportedPools.has(id)) reportedPools.set(id, pools[key]!)
    }
  }
  if (healthVersion(document) >= 2) add(document.pools)
  else for (const listenerId in document.listeners) add(document.listeners[listenerId]!.pools)
  for (const pool of lb.pools) {
    const reported = reportedPools.get(pool.id)
    if (reported === undefined) {
      statuses.push({ table: 'pool', id: pool.id, status: 'OFFLINE' })
      continue
    }
    let poolStatus: OperatingStatus | undefined
    if (reported.status === 'UP') poolStatus = 'ONLINE'
    else if (reported.status === 'DOWN') {
      poolStatus = 'ERROR'
      lbStatus = 'ERROR'
    } else unknown.push(`pool ${pool.id}: ${reported.status}`)
    for (const member of pool.members) {
      const text = reported.members[member.id]
      let status: OperatingStatus | undefined
      if (text === undefined) status = member.operating_status === 'NO_MONITOR' ? undefined : 'OFFLINE'
      else {
        const mapped = memberStatus(text)
        if (mapped === 'unknown') unknown.push(`member ${member.id}: ${text}`)
        else status = mapped
        if (mapped === 'ERROR' && poolStatus === 'ONLINE') {
          poolStatus = 'DEGRADED'
          if (lbStatus === 'ONLINE') lbStatus = 'DEGRADED'
        }
      }
      if (status) statuses.push({ table: 'member', id: member.id, status })
    }
    if (poolStatus) statuses.push({ table: 'pool', id: pool.id, status: poolStatus })
  }

  statuses.push({ table: 'load_balancer', id: lb.id, status: lbStatus })
  return { statuses, unknown }
}
