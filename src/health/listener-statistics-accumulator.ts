import type { ListenerStatisticsRecord } from '../db/repositories/heartbeat-repository.ts'
import { hasDeltaStats, type HeartbeatDocument } from './heartbeat-document.ts'

/**
 * Listener statistics waiting to be written, one record per listener and amphora, each the fold
 * of every heartbeat that carried it since the last write, as if each had been written in turn
 * (spec/heartbeat.md §4): version 3 deltas add up, an absolute heartbeat replaces what came
 * before, active_connections is always the latest.
 */
export class StatisticsBuffer {
  /** By amphora, then listener. */
  readonly #records = new Map<string, Map<string, ListenerStatisticsRecord>>()
  #size = 0

  /** The counters of `document`'s listeners among `listenerIds` (others are not ours to count). */
  add(document: HeartbeatDocument, listenerIds: ReadonlySet<string>): void {
    const delta = hasDeltaStats(document)
    let ofAmphora = this.#records.get(document.id)
    for (const listenerId in document.listeners) {
      const stats = document.listeners[listenerId]!.stats
      if (!stats || !listenerIds.has(listenerId)) continue
      if (!ofAmphora) this.#records.set(document.id, ofAmphora = new Map())
      const previous = ofAmphora.get(listenerId)
      if (previous && delta) {
        previous.bytes_in += stats.rx
        previous.bytes_out += stats.tx
        previous.total_connections += stats.totconns
        previous.request_errors += stats.ereq
        previous.active_connections = stats.conns
        continue
      }
      if (!previous) this.#size++
      ofAmphora.set(listenerId, {
        listener_id: listenerId, amphora_id: document.id, bytes_in: stats.rx, bytes_out: stats.tx, active_connections: stats.conns,
        total_connections: stats.totconns, request_errors: stats.ereq, mode: delta ? 'delta' : 'absolute',
      })
    }
  }

  /** Records buffered. */
  get size(): number {
    return this.#size
  }

  /** Everything buffered, leaving the buffer empty. */
  take(): ListenerStatisticsRecord[] {
    const records: ListenerStatisticsRecord[] = []
    for (const ofAmphora of this.#records.values()) for (const record of ofAmphora.values()) records.push(record)
    this.#records.clear()
    this.#size = 0
    return records
  }
}
