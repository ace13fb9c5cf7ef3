import { randomBytes } from 'node:crypto'
import type { Selectable, Updateable } from 'kysely'
import type { Clock } from '../../common/clock.ts'
import { newId } from '../../common/ids.ts'
import { contains, formatIp, parseCidr, parseIp, type IpAddress, type IpNetwork } from '../../config/ip-address.ts'
import { defaultAllocationPools } from '../../config/subnet-defaults.ts'
import type { Database, Executor } from '../database.ts'
import { AddressExhausted, DuplicateEntry, InvalidAddress } from '../errors.ts'
import type { PortsTable } from '../schema.ts'

export type Port = Selectable<PortsTable>

const UNIQUE_ADDRESS = 'uq_ports_subnet_id_ip_address'
const UNIQUE_ADDRESS_MEANING = 'the address is already allocated on this subnet'

/** The parts of a configured subnet (config `networks` entries fit) that allocation needs. */
export interface AllocationSubnet {
  readonly id: string
  readonly network_id: string
  readonly cidr: string
  readonly gateway_ip?: string | null
  /** Ranges automatic allocation picks from; default: Neutron's (the whole subnet but network, broadcast and gateway). */
  readonly allocation_pools?: ReadonlyArray<{ readonly start: string; readonly end: string }>
}

export interface PortRequest {
  subnet: AllocationSubnet
  /** A specific address; any address of the subnet but network, broadcast, gateway and reserved ones. */
  ip_address?: string | null
  id?: string
  device_owner?: string | null
  device_id?: string | null
  project_id?: string | null
  name?: string | null
}

export interface PortFilter {
  network_id?: string
  subnet_id?: string
  device_id?: string
  device_owner?: string
  project_id?: string
}

export interface PortRepositoryOptions {
  /** Addresses never handed out, automatically or on request (e.g. the host's own addresses). */
  reserved?: readonly string[]
}

/**
 * Address allocations (our stand-in for Neutron ports). An address is never handed out twice:
 * the UNIQUE (subnet_id, ip_address) constraint decides between concurrent allocators, and
 * the loser moves on to the next free address.
 */
export class PortRepository {
  readonly #reserved: ReadonlySet<string>
  /** Per subnet: where the next automatic allocation starts looking. */
  readonly #next = new Map<string, bigint>()
  /**
   * Per subnet: the addresses this process's allocations are inserting or inserted lately (the
   * latest RECENT_ALLOCATIONS), whose transactions may not have committed yet.
   */
  readonly #recent = new Map<string, Set<string>>()

  constructor(private readonly db: Database, private readonly clock: Clock, options: PortRepositoryOptions = {}) {
    this.#reserved = new Set((options.reserved ?? []).map((text) => {
      const address = parseIp(text)
      if (address === null) throw new Error(`reserved address ${JSON.stringify(text)} is not an IP address`)
      return formatIp(address)
    }))
  }

  /**
   * Allocates the requested address, or a free one of the subnet's allocation pools: at first
   * the lowest, then the next after this allocator's previous one (see below).
   * Throws DuplicateEntry when a requested address is taken, InvalidAddress when it cannot be
   * assigned, AddressExhausted when no address is left.
   */
  async allocate(request: PortRequest, executor: Executor = this.db.kysely): Promise<Port> {
    const { subnet } = request
    const parsed = parseCidr(subnet.cidr)
    if (!parsed.ok) throw new Error(`subnet ${subnet.id} has an invalid cidr ${subnet.cidr}: ${parsed.reason}`)
    const network = parsed.network
    const reserved = new Set(this.#reserved)
    const gateway = subnet.gateway_ip ? parseIp(subnet.gateway_ip) : null
    if (gateway !== null) reserved.add(formatIp(gateway))
    const row = (ip_address: string): Port => ({
      id: request.id ?? newId(), network_id: subnet.network_id, subnet_id: subnet.id, ip_address,
      device_owner: request.device_owner ?? null, device_id: request.device_id ?? null,
      project_id: request.project_id ?? null, name: request.name ?? null, created_at: this.clock.now(), updated_at: null,
    })

    if (request.ip_address !== undefined && request.ip_address !== null) {
      const address = this.#assignable(request.ip_address, subnet, network, reserved)
      const port = row(formatIp(address))
      if (!(await this.#tryInsert(executor, port))) throw new DuplicateEntry('ports', UNIQUE_ADDRESS, UNIQUE_ADDRESS_MEANING)
      return port
    }

    // Candidates are checked 64 at a time from just after this process's last allocation in the
    // subnet (wrapping round), so an allocation costs a query or two however full the subnet is;
    // recently freed addresses are reused last. Allocations running side by side in this process
    // move the start past every address they try and leave each other's recent addresses to the
    // end, so they do not all race for the same free address (on MySQL each lost race is a failed
    // INSERT that waits for the winner's commit); allocators of other processes that race this one
    // send it elsewhere in the subnet (below); a recent address whose transaction rolled back is
    // still tried before giving up.
    const pools = subnet.allocation_pools ?? defaultAllocationPools(subnet.cidr, subnet.gateway_ip ?? null)
    const start = this.#next.get(subnet.id)
    let recent = this.#recent.get(subnet.id)
    if (!recent) this.#recent.set(subnet.id, recent = new Set())
    const deferred: Array<{ value: bigint; text: string }> = []
    const attempt = async (value: bigint, text: string): Promise<Port | undefined> => {
      this.#moveStart(subnet.id, start, value)
      const port = row(text)
      recent.delete(text)
      recent.add(text)
      if (recent.size > RECENT_ALLOCATIONS) recent.delete(recent.values().next().value as string)
      return (await this.#tryInsert(executor, port)) ? port : undefined
    }
    const ranges = candidateRanges(pools, network)
    // Most allocations find the first address of the search (the one after the previous) free:
    // that one is tried first, with no query to look for free ones (half of a create's
    // allocation cost otherwise).
    const next = start === undefined ? undefined : batches(ranges, start, 1).next().value?.[0]
    if (next !== undefined) {
      const text = formatIp({ family: network.family, value: next })
      if (!reserved.has(text) && !recent.has(text)) {
        const port = await attempt(next, text)
        if (port) return port
      }
    }
    // Whether another allocator (another API process, on MySQL or PostgreSQL) took an address
    // this one found free: both walk the same addresses, each losing race an INSERT that waited
    // for the winner's commit (two INSERTs per create on MariaDB with two API processes). The
    // next allocation then starts at a random address of the subnet, so the processes walk
    // apart. (SQLite's writers take turns, so its allocations never race and never jump.)
    let raced = false
    for (const batch of batches(ranges, start, ALLOCATION_BATCH)) {
      const candidates = batch.map((value) => ({ value, text: formatIp({ family: network.family, value }) })).filter((c) => !reserved.has(c.text))
      if (candidates.length === 0) continue
      const taken = new Set((await executor.selectFrom('ports').select('ip_address')
        .where('subnet_id', '=', subnet.id).where('ip_address', 'in', candidates.map((c) => c.text)).execute()).map((p) => p.ip_address))
      for (const { value, text } of candidates) {
        if (taken.has(text)) continue
        if (recent.has(text)) {
          deferred.push({ value, text })
          continue
        }
        const port = await attempt(value, text)
        if (port) {
          if (raced) this.#jump(subnet.id, ranges)
          return port
        }
        // Taken by a concurrent allocation since we read `taken`: try the next one.
        raced = true
      }
    }
    for (const { value, text } of deferred) {
      const port = await attempt(value, text)
      if (port) return port
    }
    throw new AddressExhausted(subnet.id)
  }

  get(id: string, executor: Executor = this.db.kysely): Promise<Port | undefined> {
    return executor.selectFrom('ports').selectAll().where('id', '=', id).executeTakeFirst()
  }

  /** Ports matching every given field, oldest first. */
  list(filter: PortFilter = {}, executor: Executor = this.db.kysely): Promise<Port[]> {
    let query = executor.selectFrom('ports').selectAll()
    for (const [column, value] of Object.entries(filter) as Array<[keyof PortFilter, string | undefined]>) {
      if (value !== undefined) query = query.where(column, '=', value)
    }
    return query.orderBy('created_at').orderBy('id').execute()
  }

  async update(id: string, changes: Pick<Updateable<PortsTable>, 'device_owner' | 'device_id' | 'project_id' | 'name'>,
    executor: Executor = this.db.kysely): Promise<boolean> {
    const { numUpdatedRows } = await executor.updateTable('ports').set({ ...changes, updated_at: this.clock.now() })
      .where('id', '=', id).executeTakeFirst()
    return numUpdatedRows > 0n
  }

  /** Frees the address; false when the port was already gone (callers treat that as done). */
  async release(id: string, executor: Executor = this.db.kysely): Promise<boolean> {
    const { numDeletedRows } = await executor.deleteFrom('ports').where('id', '=', id).executeTakeFirst()
    return numDeletedRows > 0n
  }

  /** Frees every address of a device (an amphora, a load balancer); resolves how many. */
  async releaseByDevice(deviceId: string, executor: Executor = this.db.kysely): Promise<number> {
    const { numDeletedRows } = await executor.deleteFrom('ports').where('device_id', '=', deviceId).executeTakeFirst()
    return Number(numDeletedRows)
  }

  /**
   * The next allocation starts after `value`. Only forward while allocations overlap (one that
   * began earlier must not send the start back over addresses inserted since), except when this
   * allocation's search wrapped round to the beginning of the pools.
   */
  #moveStart(subnetId: string, start: bigint | undefined, value: bigint): void {
    const current = this.#next.get(subnetId)
    if (current === undefined || value >= current || (start !== undefined && value < start)) this.#next.set(subnetId, value + 1n)
  }

  /** The next allocation in the subnet starts at a random address of its pools. */
  #jump(subnetId: string, ranges: readonly Range[]): void {
    const size = ranges.reduce((n, r) => n + (r.end - r.start + 1n), 0n)
    if (size <= 0n) return
    // 64 more random bits than the size needs: as good as uniform.
    let pick = BigInt(`0x${randomBytes(Math.ceil(size.toString(16).length / 2) + 8).toString('hex')}`) % size
    for (const range of ranges) {
      const length = range.end - range.start + 1n
      if (pick < length) {
        this.#next.set(subnetId, range.start + pick)
        return
      }
      pick -= length
    }
  }

  #assignable(text: string, subnet: AllocationSubnet, network: IpNetwork, reserved: ReadonlySet<string>): IpAddress {
    const address = parseIp(text)
    if (address === null) throw new InvalidAddress(text, subnet.id, 'not an IP address')
    if (!contains(network, address)) throw new InvalidAddress(text, subnet.id, `outside ${subnet.cidr}`)
    const small = network.prefix >= (network.family === 4 ? 31 : 127)
    if (!small && address.value === network.first) throw new InvalidAddress(text, subnet.id, 'the network address')
    if (!small && network.family === 4 && address.value === network.last) throw new InvalidAddress(text, subnet.id, 'the broadcast address')
    if (reserved.has(formatIp(address))) throw new InvalidAddress(text, subnet.id, 'reserved (gateway or configured)')
    return address
  }

  /** Inserts unless the address is taken; resolves whether it inserted, without aborting a caller's transaction. */
  async #tryInsert(executor: Executor, port: Port): Promise<boolean> {
    if (this.db.engine === 'mysql') {
      // A failed statement does not abort a MySQL transaction, so the error itself is the answer.
      try {
        await executor.insertInto('ports').values(port).execute()
        return true
      } catch (error) {
        if (error instanceof DuplicateEntry && error.constraint === UNIQUE_ADDRESS) return false
        throw error
      }
    }
    // PostgreSQL would abort the whole transaction on a unique violation: ask it not to raise one.
    const result = await executor.insertInto('ports').values(port)
      .onConflict((oc) => oc.columns(['subnet_id', 'ip_address']).doNothing()).executeTakeFirst()
    return (result.numInsertedOrUpdatedRows ?? 0n) > 0n
  }
}

/** Addresses of the pools that lie in the subnet, in order; lazy, so a /64 costs nothing. */
const ALLOCATION_BATCH = 64
/** How many of its latest addresses per subnet an allocator leaves to the end of its search. */
const RECENT_ALLOCATIONS = 256

interface Range { start: bigint; end: bigint }

/** The allocation pools inside the network, as value ranges in pool order. */
function candidateRanges(pools: ReadonlyArray<{ readonly start: string; readonly end: string }>, network: IpNetwork): Range[] {
  return pools.flatMap((pool) => {
    const start = parseIp(pool.start)
    const end = parseIp(pool.end)
    return start === null || end === null || !contains(network, start) || !contains(network, end) ? [] : [{ start: start.value, end: end.value }]
  })
}

/** Every value of `ranges` once, in batches: from `from` (or the beginning) to the end, then from the beginning up to `from`. */
function* batches(ranges: readonly Range[], from: bigint | undefined, size: number): Generator<bigint[]> {
  const clipped = (low: bigint, high: bigint) => ranges.flatMap((r) => {
    const start = r.start > low ? r.start : low
    const end = r.end < high ? r.end : high
    return start <= end ? [{ start, end }] : []
  })
  const passes = from === undefined ? [ranges] : [clipped(from, 2n ** 128n), clipped(0n, from - 1n)]
  let batch: bigint[] = []
  for (const pass of passes) {
    for (const range of pass) {
      for (let value = range.start; value <= range.end; value++) {
        batch.push(value)
        if (batch.length === size) {
          yield batch
          batch = []
        }
      }
    }
  }
  if (batch.length > 0) yield batch
}
