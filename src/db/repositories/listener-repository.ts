import type { Insertable, Selectable, Updateable } from 'kysely'
import { newId } from '../../common/ids.ts'
import type { OperatingStatus, ProvisioningStatus } from '../../common/statuses.ts'
import type { Executor } from '../database.ts'
import type { ListenerTable, PoolTable } from '../schema.ts'
import { inTransaction } from './in-transaction.ts'
import { inIdOrder, StatusRepository } from './status-repository.ts'
import { deleteTags, readTags, replaceTags } from './tags.ts'

/** Listener protocols (spec/api-v2.md §9.1); PROXY and PROXYV2 are pool-only. */
export const LISTENER_PROTOCOLS = ['TCP', 'HTTP', 'HTTPS', 'TERMINATED_HTTPS', 'UDP', 'SCTP', 'PROMETHEUS'] as const
export type ListenerProtocol = (typeof LISTENER_PROTOCOLS)[number]

/** The transport a listener's port is taken on: one listener per LB, port and L4 protocol (spec/api-v2.md §9.3 item 12). */
export const L4_PROTOCOL = {
  TCP: 'TCP', HTTP: 'TCP', HTTPS: 'TCP', TERMINATED_HTTPS: 'TCP', PROMETHEUS: 'TCP', UDP: 'UDP', SCTP: 'SCTP',
} as const satisfies Record<ListenerProtocol, string>

// The first port handed out for HAProxy peer synchronisation (Octavia's HAPROXY_BASE_PEER_PORT).
const BASE_PEER_PORT = 1025
const MAX_PORT = 65535

export type ListenerRow = Selectable<ListenerTable>

/** Columns the repository converts: JSON text and comma lists become JS values. */
type Converted = 'insert_headers' | 'tls_versions' | 'alpn_protocols'

/** A listener with what the API shows of it. */
export interface Listener extends Omit<ListenerRow, Converted> {
  /** {} when none. */
  insert_headers: Record<string, string>
  tls_versions: string[] | null
  alpn_protocols: string[] | null
  /** sni rows in position order. */
  sni_container_refs: string[]
  /** listener_cidr rows, sorted. */
  allowed_cidrs: string[]
  tags: string[]
  /** The listener's L7 policies in position order. */
  l7policy_ids: string[]
}

interface Relations {
  insert_headers?: Readonly<Record<string, string>> | null
  tls_versions?: readonly string[] | null
  alpn_protocols?: readonly string[] | null
  /** Duplicates dropped, first occurrence kept; positions follow the order given. */
  sni_container_refs?: readonly string[]
  /** Duplicates dropped. */
  allowed_cidrs?: readonly string[]
  tags?: readonly string[]
}

export interface NewListener extends Omit<Insertable<ListenerTable>,
  'id' | 'created_at' | 'updated_at' | 'enabled' | 'provisioning_status' | 'operating_status' | 'peer_port' | Converted>, Relations {
  id?: string
  /** Default true. */
  enabled?: boolean
  /** Default PENDING_CREATE / OFFLINE (spec/api-v2.md §6.2). */
  provisioning_status?: ProvisioningStatus
  operating_status?: OperatingStatus
}

/** Fields an update may change: the protocol, port and load balancer are fixed at creation. */
export interface ListenerChanges extends Omit<Updateable<ListenerTable>,
  'updated_at' | 'provisioning_status' | 'operating_status' | 'load_balancer_id' | 'project_id' | 'protocol' | 'protocol_port' |
  'peer_port' | Converted>, Relations {}

export interface ListenerStatistics {
  bytes_in: number
  bytes_out: number
  active_connections: number
  total_connections: number
  request_errors: number
}

/** What a listener needs to know of a pool it would use as its default pool. */
export type PoolReference = Pick<Selectable<PoolTable>, 'id' | 'load_balancer_id' | 'protocol'>

/**
 * Listeners with their SNI certificates, allowed CIDRs, tags and L7 policy ids.
 * Every method takes an optional trailing executor (a transaction to join).
 */
export class ListenerRepository extends StatusRepository<Listener> {
  protected readonly table = 'listener' as const

  /** Inserts the listener (with a free HAProxy peer port), its SNI refs, CIDRs and tags in one transaction. */
  async create(input: NewListener, executor?: Executor): Promise<Listener> {
    const { sni_container_refs: sni = [], allowed_cidrs: cidrs = [], tags = [], insert_headers: headers, tls_versions: versions,
      alpn_protocols: alpn, ...fields } = input
    const id = input.id ?? newId()
    return inTransaction(this.db, executor, async (trx) => {
      await trx.insertInto('listener').values({
        ...fields,
        id,
        enabled: input.enabled ?? true,
        provisioning_status: input.provisioning_status ?? 'PENDING_CREATE',
        operating_status: input.operating_status ?? 'OFFLINE',
        peer_port: input.load_balancer_id ? await this.#freePeerPort(trx, input.load_balancer_id) : null,
        insert_headers: headersText(headers),
        tls_versions: commaList(versions),
        alpn_protocols: commaList(alpn),
        created_at: this.clock.now(),
        updated_at: null,
      }).execute()
      await writeSni(trx, id, sni)
      await writeCidrs(trx, id, cidrs)
      await replaceTags(trx, id, tags)
      const created = await this.get(id, trx)
      if (!created) throw new Error(`listener ${id} vanished inside its own transaction`)
      return created
    })
  }


  /** The listeners with these ids, in the order given (missing ids are skipped); one query per related table. */
  async getMany(ids: readonly string[], executor: Executor = this.db.kysely): Promise<Listener[]> {
    if (ids.length === 0) return []
    const rows = await executor.selectFrom('listener').selectAll().where('id', 'in', [...ids]).execute()
    return inIdOrder(ids, await this.#withRelations(executor, rows))
  }

  /**
   * A listener of the LB that already holds `port` for the same L4 protocol as `protocol`
   * (TCP:80 and UDP:80 coexist; HTTP:80 and TCP:80 do not). The unique constraint only covers
   * the exact protocol, so callers run this under the LB's row lock.
   */
  async portConflict(loadBalancerId: string, protocol: ListenerProtocol, port: number, executor: Executor = this.db.kysely): Promise<ListenerRow | undefined> {
    const family = LISTENER_PROTOCOLS.filter((p) => L4_PROTOCOL[p] === L4_PROTOCOL[protocol])
    return executor.selectFrom('listener').selectAll()
      .where('load_balancer_id', '=', loadBalancerId).where('protocol_port', '=', port).where('protocol', 'in', family)
      .where('provisioning_status', '!=', 'DELETED')
      .orderBy('created_at').orderBy('id').executeTakeFirst()
  }

  /** The pool a listener names as its default pool, if it exists. */
  async pool(poolId: string, executor: Executor = this.db.kysely): Promise<PoolReference | undefined> {
    return executor.selectFrom('pool').select(['id', 'load_balancer_id', 'protocol']).where('id', '=', poolId).executeTakeFirst()
  }

  /** Writes the given fields (and updated_at); lists given replace the stored ones. Resolves whether the listener exists. */
  async update(id: string, changes: ListenerChanges, executor?: Executor): Promise<boolean> {
    const { sni_container_refs: sni, allowed_cidrs: cidrs, tags, insert_headers: headers, tls_versions: versions,
      alpn_protocols: alpn, ...fields } = changes
    return inTransaction(this.db, executor, async (trx) => {
      const { numUpdatedRows } = await trx.updateTable('listener').set({
        ...fields,
        ...(headers !== undefined && { insert_headers: headersText(headers) }),
        ...(versions !== undefined && { tls_versions: commaList(versions) }),
        ...(alpn !== undefined && { alpn_protocols: commaList(alpn) }),
        updated_at: this.clock.now(),
      }).where('id', '=', id).executeTakeFirst()
      if (numUpdatedRows === 0n) return false
      if (sni !== undefined) {
        await trx.deleteFrom('sni').where('listener_id', '=', id).execute()
        await writeSni(trx, id, sni)
      }
      if (cidrs !== undefined) {
        await trx.deleteFrom('listener_cidr').where('listener_id', '=', id).execute()
        await writeCidrs(trx, id, cidrs)
      }
      if (tags !== undefined) await replaceTags(trx, id, tags)
      return true
    })
  }

  /**
   * The end of a listener delete: the row goes with its L7 policies and rules, SNI and CIDR
   * rows (database cascades), statistics and every tag among them; its default pool stays.
   * Resolves whether the listener existed.
   */
  async delete(id: string, executor?: Executor): Promise<boolean> {
    return inTransaction(this.db, executor, async (trx) => {
      const policies = await trx.selectFrom('l7policy').select('id').where('listener_id', '=', id).execute()
      const rules = await trx.selectFrom('l7rule').innerJoin('l7policy', 'l7policy.id', 'l7rule.l7policy_id')
        .select('l7rule.id').where('l7policy.listener_id', '=', id).execute()
      const { numDeletedRows } = await trx.deleteFrom('listener').where('id', '=', id).executeTakeFirst()
      // listener_statistics has no foreign key (heartbeats may name listeners we no longer have).
      await trx.deleteFrom('listener_statistics').where('listener_id', '=', id).execute()
      await deleteTags(trx, [id, ...policies.map((p) => p.id), ...rules.map((r) => r.id)])
      return numDeletedRows > 0n
    })
  }

  /**
   * Sums of the listener's per-amphora statistics (zeros when none; spec/api-v2.md §9.6).
   * Active connections count only from ALLOCATED amphorae, or from rows a non-amphora provider
   * reported (those carry the listener id as amphora id): other amphorae hold stale counts.
   */
  async statistics(id: string, executor: Executor = this.db.kysely): Promise<ListenerStatistics> {
    const row = await executor.selectFrom('listener_statistics')
      .leftJoin('amphora', 'amphora.id', 'listener_statistics.amphora_id')
      .where('listener_statistics.listener_id', '=', id)
      .select((eb) => [
        eb.fn.coalesce(eb.fn.sum<number>('listener_statistics.bytes_in'), eb.lit(0)).as('bytes_in'),
        eb.fn.coalesce(eb.fn.sum<number>('listener_statistics.bytes_out'), eb.lit(0)).as('bytes_out'),
        eb.fn.coalesce(eb.fn.sum<number>(eb.case()
          .when(eb.or([eb('amphora.status', '=', 'ALLOCATED'), eb('listener_statistics.amphora_id', '=', eb.ref('listener_statistics.listener_id'))]))
          .then(eb.ref('listener_statistics.active_connections')).else(eb.lit(0)).end()), eb.lit(0)).as('active_connections'),
        eb.fn.coalesce(eb.fn.sum<number>('listener_statistics.total_connections'), eb.lit(0)).as('total_connections'),
        eb.fn.coalesce(eb.fn.sum<number>('listener_statistics.request_errors'), eb.lit(0)).as('request_errors'),
      ]).executeTakeFirst()
    return {
      bytes_in: Number(row?.bytes_in ?? 0), bytes_out: Number(row?.bytes_out ?? 0),
      active_connections: Number(row?.active_connections ?? 0), total_connections: Number(row?.total_connections ?? 0),
      request_errors: Number(row?.request_errors ?? 0),
    }
  }


  /** The lowest port from 1025 that no listener of the LB uses as protocol or peer port (Octavia's rule). */
  async #freePeerPort(executor: Executor, loadBalancerId: string): Promise<number | null> {
    const rows = await executor.selectFrom('listener').select(['protocol_port', 'peer_port'])
      .where('load_balancer_id', '=', loadBalancerId).execute()
    const used = new Set(rows.flatMap((r) => [r.protocol_port, r.peer_port]))
    for (let port = BASE_PEER_PORT; port < MAX_PORT; port++) if (!used.has(port)) return port
    return null
  }

  async #withRelations(executor: Executor, rows: ListenerRow[]): Promise<Listener[]> {
    if (rows.length === 0) return []
    const ids = rows.map((r) => r.id)
    const [sni, cidrs, tags, policies] = await Promise.all([
      executor.selectFrom('sni').selectAll().where('listener_id', 'in', ids).orderBy('position').orderBy('tls_container_id').execute(),
      executor.selectFrom('listener_cidr').selectAll().where('listener_id', 'in', ids).orderBy('cidr').execute(),
      readTags(executor, ids),
      executor.selectFrom('l7policy').select(['id', 'listener_id']).where('listener_id', 'in', ids)
        .orderBy('position').orderBy('created_at').orderBy('id').execute(),
    ])
    const sniById = groupBy(sni, (s) => s.listener_id, (s) => s.tls_container_id)
    const cidrsById = groupBy(cidrs, (c) => c.listener_id, (c) => c.cidr)
    const policiesById = groupBy(policies, (p) => p.listener_id, (p) => p.id)
    return rows.map((row) => ({
      ...row,
      insert_headers: row.insert_headers ? JSON.parse(row.insert_headers) as Record<string, string> : {},
      tls_versions: fromCommaList(row.tls_versions),
      alpn_protocols: fromCommaList(row.alpn_protocols),
      sni_container_refs: sniById.get(row.id) ?? [],
      allowed_cidrs: cidrsById.get(row.id) ?? [],
      tags: tags.get(row.id) ?? [],
      l7policy_ids: policiesById.get(row.id) ?? [],
    }))
  }
}

async function writeSni(executor: Executor, listenerId: string, refs: readonly string[]): Promise<void> {
  const unique = [...new Set(refs)]
  if (unique.length === 0) return
  await executor.insertInto('sni').values(unique.map((ref, position) => ({ listener_id: listenerId, tls_container_id: ref, position }))).execute()
}

async function writeCidrs(executor: Executor, listenerId: string, cidrs: readonly string[]): Promise<void> {
  const unique = [...new Set(cidrs)]
  if (unique.length === 0) return
  await executor.insertInto('listener_cidr').values(unique.map((cidr) => ({ listener_id: listenerId, cidr }))).execute()
}

function headersText(headers: Readonly<Record<string, string>> | null | undefined): string | null {
  return headers === undefined || headers === null ? null : JSON.stringify(headers)
}

/** Octavia's ScalarListType: values joined with commas; [] is stored as '' and read back as []. */
function commaList(values: readonly string[] | null | undefined): string | null {
  return values === undefined || values === null ? null : values.join(',')
}

function fromCommaList(text: string | null): string[] | null {
  if (text === null) return null
  return text === '' ? [] : text.split(',')
}

function groupBy<T, V>(items: readonly T[], key: (item: T) => string, value: (item: T) => V): Map<string, V[]> {
  const groups = new Map<string, V[]>()
  for (const item of items) {
    const k = key(item)
    const group = groups.get(k)
    if (group) group.push(value(item))
    else groups.set(k, [value(item)])
  }
  return groups
}
