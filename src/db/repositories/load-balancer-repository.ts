import { sql, type Insertable, type Selectable, type SelectQueryBuilder, type Updateable } from 'kysely'
import { newId } from '../../common/ids.ts'
import type { OperatingStatus, ProvisioningStatus } from '../../common/statuses.ts'
import type { Executor, Transaction } from '../database.ts'
import type { AdditionalVipTable, LoadBalancerTable, Schema, VipTable } from '../schema.ts'
import { idsQuery } from '../ids-query.ts'
import { inTransaction } from './in-transaction.ts'
import { inIdOrder, StatusRepository } from './status-repository.ts'
import { setProvisioningStatus } from './provisioning-status.ts'
import { deleteTags, replaceTags } from './tags.ts'

export type LoadBalancerRow = Selectable<LoadBalancerTable>
export type VipRow = Selectable<VipTable>
export type AdditionalVipRow = Selectable<AdditionalVipTable>

/** A load balancer with what the API shows of it. */
export interface LoadBalancer extends LoadBalancerRow {
  vip: VipRow | null
  /** vip_security_group, sorted. */
  vip_sg_ids: string[]
  /** Sorted by subnet_id. */
  additional_vips: AdditionalVipRow[]
  tags: string[]
  /** Listeners and pools of the LB, oldest first. */
  listener_ids: string[]
  pool_ids: string[]
}

export interface NewLoadBalancer extends Omit<Insertable<LoadBalancerTable>,
  'id' | 'created_at' | 'updated_at' | 'enabled' | 'provisioning_status' | 'operating_status'> {
  id?: string
  /** Default true. */
  enabled?: boolean
  /** Default PENDING_CREATE / OFFLINE (spec/api-v2.md §6.2). */
  provisioning_status?: ProvisioningStatus
  operating_status?: OperatingStatus
  vip: Omit<Insertable<VipTable>, 'load_balancer_id'>
  vip_sg_ids?: readonly string[]
  additional_vips?: ReadonlyArray<Omit<Insertable<AdditionalVipTable>, 'load_balancer_id'>>
  tags?: readonly string[]
}

/** Fields an update may change; statuses change only through the status methods. */
export interface LoadBalancerChanges extends Omit<Updateable<LoadBalancerTable>,
  'updated_at' | 'provisioning_status' | 'operating_status'> {
  vip?: Omit<Updateable<VipTable>, 'load_balancer_id'>
  vip_sg_ids?: readonly string[]
  tags?: readonly string[]
}

export interface LoadBalancerStatistics {
  bytes_in: number
  bytes_out: number
  active_connections: number
  total_connections: number
  request_errors: number
}

const CHILD_TABLES_WITH_TAGS = ['listener', 'pool'] as const

/**
 * Load balancers with their VIP, additional VIPs, VIP security groups and tags.
 * Every method takes an optional trailing executor (a transaction to join); methods that
 * only make sense inside a transaction take it first.
 */
export class LoadBalancerRepository extends StatusRepository<LoadBalancer> {
  protected readonly table = 'load_balancer' as const
  // Compiled once per id count (ids-query.ts): show, list and create read LBs on every call.
  readonly #rows = idsQuery((executor, ids) => withVip(executor.selectFrom('load_balancer')).where('load_balancer.id', 'in', ids))
  readonly #relations = idsQuery(relationsOf)

  /** Inserts the LB, its VIP, security groups, additional VIPs and tags in one transaction. */
  async create(input: NewLoadBalancer, executor?: Executor): Promise<LoadBalancer> {
    return inTransaction(this.db, executor, async (trx) => {
      const id = await this.insert(input, trx)
      const created = await this.get(id, trx)
      if (!created) throw new Error(`load balancer ${id} vanished inside its own transaction`)
      return created
    })
  }

  /**
   * create without reading the LB back: for a caller that reads it after the commit anyway
   * (the API's create), so the transaction (on SQLite, the database's write lock) stays short.
   * Resolves the new LB's id.
   */
  async insert(input: NewLoadBalancer, executor?: Executor): Promise<string> {
    const { vip, vip_sg_ids: sgIds = [], additional_vips: additionalVips = [], tags = [], ...fields } = input
    const id = input.id ?? newId()
    return inTransaction(this.db, executor, async (trx) => {
      await trx.insertInto('load_balancer').values({
        ...fields,
        id,
        enabled: input.enabled ?? true,
        provisioning_status: input.provisioning_status ?? 'PENDING_CREATE',
        operating_status: input.operating_status ?? 'OFFLINE',
        created_at: this.clock.now(),
        updated_at: null,
      }).execute()
      await trx.insertInto('vip').values({ ...vip, load_balancer_id: id }).execute()
      const uniqueSgIds = [...new Set(sgIds)]
      if (uniqueSgIds.length > 0) {
        await trx.insertInto('vip_security_group').values(uniqueSgIds.map((sg_id) => ({ load_balancer_id: id, sg_id }))).execute()
      }
      if (additionalVips.length > 0) {
        await trx.insertInto('additional_vip').values(additionalVips.map((a) => ({ ...a, load_balancer_id: id }))).execute()
      }
      // A new LB has no tags to replace: an LB's tags go when it is purged (delete below).
      const uniqueTags = [...new Set(tags)]
      if (uniqueTags.length > 0) await trx.insertInto('tags').values(uniqueTags.map((tag) => ({ resource_id: id, tag }))).execute()
      return id
    })
  }

  /**
   * The LBs with these ids, in the order given (missing ids are skipped): two queries
   * whatever the count (LB with its VIP; security groups, additional VIPs, tags and children).
   */
  async getMany(ids: readonly string[], executor: Executor = this.db.kysely): Promise<LoadBalancer[]> {
    if (ids.length === 0) return []
    return inIdOrder(ids, await this.#withRelations(executor, await this.#rows(executor, ids)))
  }

  /**
   * The LB's id, project and VIP, in one query (no relations): for the worker's VIP tasks, which
   * need nothing else of it.
   */
  async vipOf(id: string, executor: Executor = this.db.kysely): Promise<Pick<LoadBalancer, 'id' | 'project_id' | 'vip'> | undefined> {
    const [row] = await this.#rows(executor, [id])
    return row === undefined ? undefined : { id: row.id, project_id: row.project_id, vip: vipOfRow(row) }
  }

  /**
   * Sums of the listener statistics of the LB's listeners (zeros when none reported; spec/api-v2.md
   * §8.8), each counted as §9.6 does: active connections only from ALLOCATED amphorae (or rows a
   * non-amphora provider reported under the listener's id).
   */
  async statistics(id: string, executor: Executor = this.db.kysely): Promise<LoadBalancerStatistics> {
    const row = await executor.selectFrom('listener_statistics')
      .innerJoin('listener', 'listener.id', 'listener_statistics.listener_id')
      .leftJoin('amphora', 'amphora.id', 'listener_statistics.amphora_id')
      .where('listener.load_balancer_id', '=', id)
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

  /** Whether the LB has any listener or pool (a delete without cascade is refused then). */
  async hasChildren(id: string, executor: Executor = this.db.kysely): Promise<boolean> {
    const listener = await executor.selectFrom('listener').select('id').where('load_balancer_id', '=', id).limit(1).executeTakeFirst()
    if (listener) return true
    return (await executor.selectFrom('pool').select('id').where('load_balancer_id', '=', id).limit(1).executeTakeFirst()) !== undefined
  }

  async list(filter: { project_id?: string; include_deleted?: boolean } = {}, executor: Executor = this.db.kysely): Promise<LoadBalancer[]> {
    let query = withVip(executor.selectFrom('load_balancer'))
    if (filter.project_id !== undefined) query = query.where('load_balancer.project_id', '=', filter.project_id)
    if (!filter.include_deleted) query = query.where('load_balancer.provisioning_status', '!=', 'DELETED')
    const rows = await query.orderBy('load_balancer.created_at').orderBy('load_balancer.id').execute()
    return this.#withRelations(executor, rows)
  }

  /**
   * Locks the LB row until the transaction ends, so a status check and the writes that
   * depend on it ("test and set", spec/api-v2.md §6.3) cannot interleave with another's.
   * MySQL/PostgreSQL: SELECT ... FOR UPDATE. SQLite has no row locks: our transactions
   * start with BEGIN IMMEDIATE, which takes the database's write lock for the whole
   * transaction, so holding `trx` already excludes every other writer.
   */
  async lockForUpdate(trx: Transaction<Schema>, id: string): Promise<LoadBalancerRow | undefined> {
    const query = trx.selectFrom('load_balancer').selectAll().where('id', '=', id)
    return (this.db.engine === 'sqlite' ? query : query.forUpdate()).executeTakeFirst()
  }

  /** Writes the given fields (and updated_at); resolves whether the LB exists. */
  async update(id: string, changes: LoadBalancerChanges, executor?: Executor): Promise<boolean> {
    const { vip, vip_sg_ids: sgIds, tags, ...fields } = changes
    return inTransaction(this.db, executor, async (trx) => {
      const { numUpdatedRows } = await trx.updateTable('load_balancer').set({ ...fields, updated_at: this.clock.now() })
        .where('id', '=', id).executeTakeFirst()
      if (numUpdatedRows === 0n) return false
      if (vip !== undefined && Object.keys(vip).length > 0) {
        await trx.updateTable('vip').set(vip).where('load_balancer_id', '=', id).execute()
      }
      if (sgIds !== undefined) {
        await trx.deleteFrom('vip_security_group').where('load_balancer_id', '=', id).execute()
        const unique = [...new Set(sgIds)]
        if (unique.length > 0) {
          await trx.insertInto('vip_security_group').values(unique.map((sg_id) => ({ load_balancer_id: id, sg_id }))).execute()
        }
      }
      if (tags !== undefined) await replaceTags(trx, id, tags)
      return true
    })
  }


  /** The end of a delete flow: the row stays, DELETED, until housekeeping purges it. */
  markDeleted(id: string, executor: Executor = this.db.kysely): Promise<boolean> {
    return setProvisioningStatus(executor, 'load_balancer', id, 'DELETED', { at: this.clock.now() })
  }

  /**
   * The end of a cascade delete: removes the LB's listeners (with their L7 policies and rules)
   * and pools (with members and health monitors) and their tags; the LB row stays.
   */
  async deleteChildren(id: string, executor?: Executor): Promise<void> {
    await inTransaction(this.db, executor, async (trx) => {
      const taggedIds = await this.#descendantIds(trx, id)
      // Listeners first: their default_pool_id and L7 redirects point at pools.
      await trx.deleteFrom('listener').where('load_balancer_id', '=', id).execute()
      await trx.deleteFrom('pool').where('load_balancer_id', '=', id).execute()
      await deleteTags(trx, taggedIds)
    })
  }

  /**
   * The end of a successful flow: the LB and every object under it that is PENDING_CREATE or
   * PENDING_UPDATE becomes ACTIVE (one statement per table).
   */
  activateTree(id: string, executor?: Executor): Promise<void> {
    return this.#setTreeStatus(id, 'ACTIVE', ['PENDING_CREATE', 'PENDING_UPDATE'], executor)
  }

  /**
   * The end of a successful failover (spec/flows.md §4.4 step 11, §7.1 step 12): the LB and
   * every object under it ACTIVE, also those left in ERROR by an earlier failure; DELETED rows
   * and objects being deleted keep their status.
   */
  markTreeActive(id: string, executor?: Executor): Promise<void> {
    return this.#setTreeStatus(id, 'ACTIVE', ['PENDING_CREATE', 'PENDING_UPDATE', 'ERROR'], executor)
  }

  /**
   * A failed load-balancer flow: the LB ERROR, and every object under it still PENDING_CREATE or
   * PENDING_UPDATE (a single-call create's listeners, pools, ...) too, so nothing is left pending
   * once the flow has ended.
   */
  async markTreeError(id: string, executor?: Executor): Promise<void> {
    await inTransaction(this.db, executor, async (trx) => {
      await this.#setTreeStatus(id, 'ERROR', ['PENDING_CREATE', 'PENDING_UPDATE'], trx)
      await setProvisioningStatus(trx, 'load_balancer', id, 'ERROR', { at: this.clock.now() })
    })
  }

  async #setTreeStatus(id: string, to: 'ACTIVE' | 'ERROR', from: readonly ProvisioningStatus[], executor?: Executor): Promise<void> {
    const at = this.clock.now()
    const statuses = [...from]
    await inTransaction(this.db, executor, async (trx) => {
      const set = { provisioning_status: to, updated_at: at }
      await trx.updateTable('load_balancer').set(set).where('id', '=', id).where('provisioning_status', 'in', statuses).execute()
      // Every other object of the tree hangs off a listener or a pool: an LB with neither is done.
      const child = await trx.selectFrom('listener').select('id').where('load_balancer_id', '=', id)
        .unionAll(trx.selectFrom('pool').select('id').where('load_balancer_id', '=', id)).limit(1).executeTakeFirst()
      if (child === undefined) return
      for (const table of CHILD_TABLES_WITH_TAGS) {
        await trx.updateTable(table).set(set).where('load_balancer_id', '=', id).where('provisioning_status', 'in', statuses).execute()
      }
      const poolIds = trx.selectFrom('pool').select('id').where('load_balancer_id', '=', id)
      const listenerIds = trx.selectFrom('listener').select('id').where('load_balancer_id', '=', id)
      await trx.updateTable('member').set(set).where('pool_id', 'in', poolIds).where('provisioning_status', 'in', statuses).execute()
      await trx.updateTable('health_monitor').set(set).where('pool_id', 'in', poolIds).where('provisioning_status', 'in', statuses).execute()
      await trx.updateTable('l7policy').set(set).where('listener_id', 'in', listenerIds).where('provisioning_status', 'in', statuses).execute()
      await trx.updateTable('l7rule').set(set)
        .where('l7policy_id', 'in', trx.selectFrom('l7policy').select('id').where('listener_id', 'in', listenerIds))
        .where('provisioning_status', 'in', statuses).execute()
    })
  }

  /**
   * Removes the row for good (housekeeping purge); the database cascades to the VIPs,
   * listeners, pools and everything under them. Tags of the LB and its children go too.
   */
  async delete(id: string, executor?: Executor): Promise<boolean> {
    return inTransaction(this.db, executor, async (trx) => {
      const taggedIds = [id, ...await this.#descendantIds(trx, id)]
      const { numDeletedRows } = await trx.deleteFrom('load_balancer').where('id', '=', id).executeTakeFirst()
      if (numDeletedRows === 0n) return false
      await deleteTags(trx, taggedIds)
      return true
    })
  }

  async #descendantIds(executor: Executor, id: string): Promise<string[]> {
    const ids: string[] = []
    for (const table of CHILD_TABLES_WITH_TAGS) {
      const rows = await executor.selectFrom(table).select('id').where('load_balancer_id', '=', id).execute()
      ids.push(...rows.map((r) => r.id))
    }
    const members = await executor.selectFrom('member').innerJoin('pool', 'pool.id', 'member.pool_id')
      .select('member.id').where('pool.load_balancer_id', '=', id).execute()
    const monitors = await executor.selectFrom('health_monitor').innerJoin('pool', 'pool.id', 'health_monitor.pool_id')
      .select('health_monitor.id').where('pool.load_balancer_id', '=', id).execute()
    const policies = await executor.selectFrom('l7policy').innerJoin('listener', 'listener.id', 'l7policy.listener_id')
      .select('l7policy.id').where('listener.load_balancer_id', '=', id).execute()
    const rules = await executor.selectFrom('l7rule').innerJoin('l7policy', 'l7policy.id', 'l7rule.l7policy_id')
      .innerJoin('listener', 'listener.id', 'l7policy.listener_id').select('l7rule.id')
      .where('listener.load_balancer_id', '=', id).execute()
    return [...ids, ...[members, monitors, policies, rules].flat().map((r) => r.id)]
  }

  /** The LBs of rows read with selectWithVip (a list's page), in their order, with what else they show. */
  fromRows(rows: readonly RowWithVip[], executor: Executor = this.db.kysely): Promise<LoadBalancer[]> {
    return this.#withRelations(executor, rows)
  }

  async #withRelations(executor: Executor, rows: readonly RowWithVip[]): Promise<LoadBalancer[]> {
    if (rows.length === 0) return []
    const related = await this.#relations(executor, rows.map((r) => r.id))
    const sgIds = new Map<string, string[]>()
    const additionalById = new Map<string, AdditionalVipRow[]>()
    const tags = new Map<string, string[]>()
    const listenerIds = new Map<string, string[]>()
    const poolIds = new Map<string, string[]>()
    for (const r of related) {
      switch (Number(r.kind)) {
        case LISTENER: push(listenerIds, r.owner, r.a)
          break
        case POOL: push(poolIds, r.owner, r.a)
          break
        case TAG: push(tags, r.owner, r.a)
          break
        case SECURITY_GROUP: push(sgIds, r.owner, r.a)
          break
        case ADDITIONAL_VIP: push(additionalById, r.owner, { load_balancer_id: r.owner, subnet_id: r.a, ip_address: r.b, port_id: r.c, network_id: r.d })
          break
      }
    }
    // Built field by field: spreading rows into a wider object costs V8 several µs per row.
    return rows.map((joined): LoadBalancer => ({
      id: joined.id, project_id: joined.project_id, name: joined.name, description: joined.description,
      provisioning_status: joined.provisioning_status, operating_status: joined.operating_status, topology: joined.topology,
      enabled: joined.enabled, server_group_id: joined.server_group_id, provider: joined.provider, flavor_id: joined.flavor_id,
      availability_zone: joined.availability_zone, created_at: joined.created_at, updated_at: joined.updated_at,
      vip: vipOfRow(joined),
      vip_sg_ids: sgIds.get(joined.id) ?? [],
      additional_vips: additionalById.get(joined.id) ?? [],
      tags: tags.get(joined.id) ?? [],
      listener_ids: listenerIds.get(joined.id) ?? [],
      pool_ids: poolIds.get(joined.id) ?? [],
    }))
  }
}

// The kinds of relationsOf's rows; listeners come first (see there).
const LISTENER = 0
const POOL = 1
const TAG = 2
const SECURITY_GROUP = 3
const ADDITIONAL_VIP = 4

/**
 * Everything an LB shows besides its row, for these LBs, in one UNION ALL (one round trip
 * instead of four): rows (kind, owner LB, a, b, c, d, at). Listeners and pools: a = id, ordered
 * by created_at then id; tags: a = tag; security groups: a = sg_id; additional VIPs: a =
 * subnet_id, b = ip_address, c = port_id, d = network_id; each sorted by a. The listener branch
 * comes first: its typed `at` gives the column its type (PostgreSQL resolves a UNION's column
 * types pair by pair; SQLite takes the declared types of the first SELECT).
 */
function relationsOf(executor: Executor, ids: string[]) {
  const none = sql<string | null>`null`
  const noTime = sql<Date | null>`null`
  return executor.selectFrom('listener').where('load_balancer_id', 'in', ids)
    .select((eb) => [eb.lit<number>(LISTENER).as('kind'), eb.ref('load_balancer_id').$castTo<string>().as('owner'), 'id as a',
      none.as('b'), none.as('c'), none.as('d'), eb.ref('created_at').$castTo<Date | null>().as('at')])
    .unionAll(executor.selectFrom('pool').where('load_balancer_id', 'in', ids)
      .select((eb) => [eb.lit<number>(POOL).as('kind'), eb.ref('load_balancer_id').$castTo<string>().as('owner'), 'id as a',
        none.as('b'), none.as('c'), none.as('d'), eb.ref('created_at').$castTo<Date | null>().as('at')]))
    .unionAll(executor.selectFrom('tags').where('resource_id', 'in', ids)
      .select((eb) => [eb.lit<number>(TAG).as('kind'), 'resource_id as owner', 'tag as a', none.as('b'), none.as('c'), none.as('d'), noTime.as('at')]))
    .unionAll(executor.selectFrom('vip_security_group').where('load_balancer_id', 'in', ids)
      .select((eb) => [eb.lit<number>(SECURITY_GROUP).as('kind'), 'load_balancer_id as owner', 'sg_id as a',
        none.as('b'), none.as('c'), none.as('d'), noTime.as('at')]))
    .unionAll(executor.selectFrom('additional_vip').where('load_balancer_id', 'in', ids)
      .select((eb) => [eb.lit<number>(ADDITIONAL_VIP).as('kind'), 'load_balancer_id as owner', 'subnet_id as a',
        eb.ref('ip_address').as('b'), eb.ref('port_id').as('c'), eb.ref('network_id').as('d'), noTime.as('at')]))
    .orderBy('kind').orderBy('at').orderBy('a')
}

function push<V>(groups: Map<string, V[]>, key: string, value: V): void {
  const group = groups.get(key)
  if (group) group.push(value)
  else groups.set(key, [value])
}

type LoadBalancerSelect = SelectQueryBuilder<Schema, 'load_balancer', object>

/** The LB's own columns and its VIP's (vip_-prefixed, null without a VIP row) in one SELECT. */
function withVip(query: LoadBalancerSelect) {
  return selectWithVip(query.leftJoin('vip', 'vip.load_balancer_id', 'load_balancer.id'))
}

/** withVip's columns from a SELECT that already LEFT JOINs the vip (a list's). */
export function selectWithVip<O>(query: SelectQueryBuilder<Schema, 'load_balancer' | 'vip', O>) {
  return query.selectAll('load_balancer').select([
    'vip.load_balancer_id as vip_load_balancer_id', 'vip.ip_address as vip_ip_address', 'vip.port_id as vip_port_id',
    'vip.subnet_id as vip_subnet_id', 'vip.network_id as vip_network_id', 'vip.qos_policy_id as vip_qos_policy_id',
    'vip.octavia_owned as vip_octavia_owned', 'vip.vnic_type as vip_vnic_type',
  ])
}

/** The VIP of a withVip row; null when the LB has none. */
function vipOfRow(joined: RowWithVip): VipRow | null {
  return joined.vip_load_balancer_id === null ? null : {
    load_balancer_id: joined.vip_load_balancer_id, ip_address: joined.vip_ip_address, port_id: joined.vip_port_id,
    subnet_id: joined.vip_subnet_id, network_id: joined.vip_network_id, qos_policy_id: joined.vip_qos_policy_id,
    octavia_owned: joined.vip_octavia_owned, vnic_type: joined.vip_vnic_type ?? 'normal',
  }
}

export type RowWithVip = Awaited<ReturnType<ReturnType<typeof withVip>['execute']>>[number]
