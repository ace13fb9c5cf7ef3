import type { HeartbeatListener, HeartbeatPool } from '../health/heartbeat-document.ts'

// An amphora's part of a heartbeat from its HAProxy `show stat -1 -1 -1` CSV (spec/heartbeat.md
// §3.1-3.2): FRONTEND rows are listeners (named by listener id), BACKEND rows are pools (named
// `<pool id>:<listener id>`), the other rows are their servers (named by member id).

export type StatRow = Record<string, string>

/** The rows of `show stat` CSV output, keyed by its header's field names. */
export function parseShowStat(csv: string): StatRow[] {
  const lines = csv.split('\n').filter((line) => line.trim() !== '')
  const header = lines.find((line) => line.startsWith('# '))
  if (header === undefined) return []
  const fields = header.slice(2).split(',')
  return lines.filter((line) => !line.startsWith('#')).map((line) => {
    const values = line.split(',')
    return Object.fromEntries(fields.map((field, i) => [field, values[i] ?? '']))
  })
}

/** The absolute counters a listener reported last, for the deltas of version 3 (persisted by the caller). */
export interface ListenerCounters {
  bin: number
  bout: number
  ereq: number
  stot: number
}

export interface AmphoraStats {
  listeners: Record<string, HeartbeatListener>
  pools: Record<string, HeartbeatPool>
  /** The absolute counters now, to keep for the next heartbeat. */
  counters: Record<string, ListenerCounters>
}

const count = (text: string | undefined): number => {
  const n = Number(text)
  return Number.isSafeInteger(n) && n >= 0 ? n : 0
}

/** current − last, or current when the counter went down (HAProxy restarted and counts from 0). */
const delta = (current: number, last: number | undefined): number => (last === undefined || current < last ? current : current - last)

/**
 * Listeners with delta statistics and pools with member statuses, from `show stat` rows and the
 * counters of the previous heartbeat. Rows of the internal Prometheus exporter are left out; a
 * server UP with weight 0 is DRAIN (the agent's rewrite, spec/heartbeat.md §3.2).
 */
export function amphoraStats(rows: readonly StatRow[], previous: Readonly<Record<string, ListenerCounters>>): AmphoraStats {
  const stats: AmphoraStats = { listeners: {}, pools: {}, counters: {} }
  for (const row of rows) {
    const proxy = row.pxname ?? ''
    const server = row.svname ?? ''
    if (proxy === '' || proxy.includes('prometheus')) continue
    if (server === 'FRONTEND') {
      const now: ListenerCounters = { bin: count(row.bin), bout: count(row.bout), ereq: count(row.ereq), stot: count(row.stot) }
      const last = previous[proxy]
      stats.counters[proxy] = now
      stats.listeners[proxy] = {
        status: row.status ?? '',
        stats: {
          tx: delta(now.bout, last?.bout), rx: delta(now.bin, last?.bin), conns: count(row.scur),
          totconns: delta(now.stot, last?.stot), ereq: delta(now.ereq, last?.ereq),
        },
      }
    } else if (server === 'BACKEND') {
      const pool = (stats.pools[proxy] ??= { status: '', members: {} })
      pool.status = row.status ?? ''
    } else {
      const pool = (stats.pools[proxy] ??= { status: '', members: {} })
      const status = row.status ?? ''
      pool.members[server] = status === 'UP' && row.weight === '0' ? 'DRAIN' : status
    }
  }
  return stats
}
