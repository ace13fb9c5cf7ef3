/** What the guard decided about one authentic heartbeat. */
export type SequenceVerdict = 'accepted' | 'duplicate' | 'stale'

// The least time between two heartbeats of one sender: heartbeat_interval is a whole number of
// seconds, at least 1, and the sender sleeps it after each send (spec/heartbeat.md §1).
const MIN_SEND_INTERVAL_MS = 1000
// How many recent datagrams per amphora are remembered to recognise a copy.
const RECENT = 4

interface SenderState {
  newest: number
  /** When the newest accepted heartbeat arrived (ms since epoch). */
  at: number
  recent: string[]
}

/**
 * Drops stale duplicates of heartbeats, per amphora, without ever dropping what a real amphora
 * sends (docs/health-manager.md, "Sequence rule"). A heartbeat is accepted when its `seq` is
 * above the newest accepted one (gaps are normal: lost packets, round-robin over several health
 * managers); a byte-identical copy of one of the last few accepted datagrams is a duplicate; a
 * lower or equal `seq` is accepted as an agent restart (seq counts from 0 again) only if a
 * sender restarted after our newest heartbeat could have reached it, sending at most one
 * heartbeat per second: seq <= seconds since the newest + 1. Anything else is stale (a late or
 * replayed old heartbeat). A heartbeat without `seq` is always accepted.
 */
export class SequenceGuard {
  readonly #senders = new Map<string, SenderState>()

  /**
   * @param fingerprint identifies the datagram's bytes (its digest)
   * @param receivedAt when the datagram was read (ms since epoch)
   */
  admit(amphoraId: string, seq: number | undefined, fingerprint: string, receivedAt: number): SequenceVerdict {
    if (seq === undefined) return 'accepted'
    const sender = this.#senders.get(amphoraId)
    if (!sender) {
      this.#senders.set(amphoraId, { newest: seq, at: receivedAt, recent: [fingerprint] })
      return 'accepted'
    }
    if (sender.recent.includes(fingerprint)) return 'duplicate'
    if (seq > sender.newest) {
      sender.newest = seq
      sender.at = receivedAt
      sender.recent.push(fingerprint)
      if (sender.recent.length > RECENT) sender.recent.shift()
      return 'accepted'
    }
    if (seq <= Math.max(0, receivedAt - sender.at) / MIN_SEND_INTERVAL_MS + 1) {
      this.#senders.set(amphoraId, { newest: seq, at: receivedAt, recent: [fingerprint] })
      return 'accepted'
    }
    return 'stale'
  }

  /** Forgets amphorae silent since before `olderThan` (ms since epoch): their next heartbeat starts afresh. */
  forget(olderThan: number): void {
    for (const [id, sender] of this.#senders) if (sender.at < olderThan) this.#senders.delete(id)
  }

  get size(): number {
    return this.#senders.size
  }
}
