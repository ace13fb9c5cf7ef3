import type { ListenerStatisticsRecord } from '../db/repositories/heartbeat-repository.ts'
import { hasDeltaStats, type HeartbeatDocument } from './heartbeat-document.ts'

type Counters = Omit<ListenerStatisticsRecord, 'listener_id' | 'amphora_id'>

/**
 * The listener statistics of several heartbeats from one amphora, folded into one record per
 * listener as if each had been written in turn (spec/heartbeat.md §4): version 3 deltas add up,
 * an absolute heartbeat replaces what came before, active_connections is always the latest.
 */
export class ListenerStatisticsAccumulator {
  readonly #listeners = new Map<string, Counters>()

  add(document: HeartbeatDocument): void {
    const delta = hasDeltaStats(document)
    for (const [listenerId, listener] of Object.entries(document.listeners)) {
      const stats = listener.stats
      if (!stats) continue
      const next: Counters = {
        bytes_in: stats.rx, bytes_out: stats.tx, active_connections: stats.conns, total_connections: stats.totconns,
        request_errors: stats.ereq, mode: delta ? 'delta' : 'absolute',
      }
      const previous = this.#listeners.get(listenerId)
      if (previous && delta) {
        next.bytes_in += previous.bytes_in
        next.bytes_out += previous.bytes_out
        next.total_connections += previous.total_connections
        next.request_errors += previous.request_errors
        next.mode = previous.mode
      }
      this.#listeners.set(listenerId, next)
    }
  }

  /** One record per listener of `amphoraId` among `listenerIds` (others are not ours to count). */
  records(amphoraId: string, listenerIds: ReadonlySet<string>): ListenerStatisticsRecord[] {
    return [...this.#listeners].filter(([id]) => listenerIds.has(id)).map(([listener_id, counters]) => ({ listener_id, amphora_id: amphoraId, ...counters }))
  }
}
