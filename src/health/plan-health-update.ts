import { isPending } from '../common/statuses.ts'
import type { HealthLoadBalancer } from '../db/repositories/heartbeat-repository.ts'
import { deriveOperatingStatuses, type DerivedStatuses } from './derive-operating-statuses.ts'
import type { HeartbeatDocument } from './heartbeat-document.ts'

export interface HealthUpdatePlan {
  /** Refresh the amphora's amphora_health row (its liveness). */
  refresh: boolean
  /** Processed `heartbeat_interval` or more after it arrived: ignored entirely (§5.3). */
  late: boolean
  /** Listener count the heartbeat should have had, when it had another (health row not refreshed). */
  mismatch?: { expected: number; reported: number }
  /** Undefined when the heartbeat is ignored. */
  derived?: DerivedStatuses
}

export interface HealthTiming {
  /** When the heartbeat arrived (ms since epoch). */
  receivedAt: number
  /** Now (ms since epoch). */
  now: number
  /** [health_manager] heartbeat_interval, in ms. */
  heartbeatIntervalMs: number
}

/** Whether a heartbeat is too old to act on (spec/heartbeat.md §5.3). */
export function isLate(timing: HealthTiming): boolean {
  return timing.now - timing.receivedAt >= timing.heartbeatIntervalMs
}

/**
 * spec/heartbeat.md §5.3: the listeners an amphora of this load balancer should report, the
 * enabled ones; for an amphora too old to send `ver`, minus the UDP listeners it cannot report
 * (no default pool, or no enabled member in it).
 */
export function expectedListenerCount(lb: HealthLoadBalancer, document: HeartbeatDocument): number {
  let expected = 0
  for (const l of lb.listeners) {
    if (!l.enabled) continue
    if (document.ver === undefined && l.protocol === 'UDP') {
      const pool = lb.pools.find((p) => p.id === l.default_pool_id)
      if (!pool || !pool.members.some((m) => m.enabled)) continue
    }
    expected++
  }
  return expected
}

function countKeys(record: object): number {
  let n = 0
  for (const _ in record) n++
  return n
}

/** spec/heartbeat.md §5.3-5.4 for an amphora whose load balancer is live. */
export function planHealthUpdate(lb: HealthLoadBalancer, document: HeartbeatDocument, timing: HealthTiming): HealthUpdatePlan {
  const reported = countKeys(document.listeners)
  const skipCount = isPending(lb.provisioning_status) || !lb.enabled
  const expected = expectedListenerCount(lb, document)
  if (skipCount || reported === expected) {
    if (isLate(timing)) return { refresh: false, late: true }
    return { refresh: true, late: false, derived: deriveOperatingStatuses(lb, document) }
  }
  // A persistent mismatch ends in a failover: the row goes stale while statuses stay current.
  return { refresh: false, late: false, mismatch: { expected, reported }, derived: deriveOperatingStatuses(lb, document) }
}

/** For amphorae without a live load balancer (spare, or reaping failed): they should report nothing (§5.2). */
export function planBareAmphoraUpdate(document: HeartbeatDocument, timing: HealthTiming): HealthUpdatePlan {
  const reported = countKeys(document.listeners)
  if (reported !== 0) return { refresh: false, late: false, mismatch: { expected: 0, reported } }
  if (isLate(timing)) return { refresh: false, late: true }
  return { refresh: true, late: false }
}
