import { Counter, type Registry } from 'prom-client'

/** Why a heartbeat was not applied. */
export const HEARTBEAT_DROPS = [
  // by the receiver
  'hmac', 'malformed', 'oversized', 'duplicate', 'stale', 'overload',
  // by the processor
  'unknown', 'failed',
] as const
export type HeartbeatDrop = (typeof HEARTBEAT_DROPS)[number]

/** What happened to heartbeats, for tests, benches and Prometheus (`octavia_heartbeats_*`). */
export class HeartbeatCounters {
  received = 0
  /** Authentic, fresh heartbeats handed to the processor. */
  accepted = 0
  /** Heartbeats whose health and statistics were written (in a batch). */
  applied = 0
  /** Applied for statistics only: processed later than heartbeat_interval after arrival. */
  late = 0
  /** From amphorae without a live load balancer whose instance was deleted. */
  reaped = 0
  batches = 0
  readonly dropped: Record<HeartbeatDrop, number> = Object.fromEntries(HEARTBEAT_DROPS.map((d) => [d, 0])) as Record<HeartbeatDrop, number>
  readonly #metrics?: { received: Counter; accepted: Counter; applied: Counter; dropped: Counter<'reason'> }

  constructor(registry?: Registry) {
    if (!registry) return
    this.#metrics = {
      received: new Counter({ name: 'octavia_heartbeats_received_total', help: 'UDP datagrams read by the heartbeat receiver', registers: [registry] }),
      accepted: new Counter({ name: 'octavia_heartbeats_accepted_total', help: 'Authentic, fresh heartbeats', registers: [registry] }),
      applied: new Counter({ name: 'octavia_heartbeats_applied_total', help: 'Heartbeats written to the database', registers: [registry] }),
      dropped: new Counter({ name: 'octavia_heartbeats_dropped_total', help: 'Heartbeats dropped, by reason', labelNames: ['reason'], registers: [registry] }),
    }
  }

  countReceived(n = 1): void {
    this.received += n
    this.#metrics?.received.inc(n)
  }

  countAccepted(): void {
    this.accepted++
    this.#metrics?.accepted.inc()
  }

  countApplied(n: number): void {
    this.applied += n
    this.batches++
    this.#metrics?.applied.inc(n)
  }

  countDropped(reason: HeartbeatDrop, n = 1): void {
    this.dropped[reason] += n
    this.#metrics?.dropped.inc({ reason }, n)
  }

  get droppedTotal(): number {
    return Object.values(this.dropped).reduce((a, b) => a + b, 0)
  }
}
