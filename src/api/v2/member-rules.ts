import { enabledOnCreate } from './admin-state.ts'
import { Conflict, InvalidInput, ProviderError } from '../../common/errors.ts'
import { parseIp } from '../../config/ip-address.ts'
import type { Executor } from '../../db/database.ts'
import { DuplicateEntry } from '../../db/errors.ts'
import type { CatalogRepository } from '../../db/repositories/catalog-repository.ts'
import type { LoadBalancer } from '../../db/repositories/load-balancer-repository.ts'
import type { MemberRepository, NewMember } from '../../db/repositories/member-repository.ts'
import type { Pool } from '../../db/repositories/pool-repository.ts'
import type { ProviderDriver } from '../../drivers/provider/provider-driver.ts'
import { bool, int, ipAddress, str, tags, uuid, type Parsed } from '../validation/field-types.ts'

// What a valid member is (spec/api-v2.md §11): its fields and the checks of §11.2, shared by
// the member resource (create and batch) and the full-graph load balancer create (§8.3).

const port = int({ min: 1, max: 65535 })

// spec/api-v2.md §11.1: the create schema, also each item of a batch update (§11.4).
export const MEMBER_FIELDS = {
  name: { type: str({ max: 255 }) },
  admin_state_up: { type: bool() },
  address: { type: ipAddress(), mandatory: true },
  protocol_port: { type: port, mandatory: true },
  weight: { type: int({ min: 0, max: 256 }) },
  backup: { type: bool() },
  subnet_id: { type: uuid() },
  project_id: { type: str({ max: 36 }) },
  tenant_id: { type: str({ max: 36 }) },
  monitor_port: { type: port },
  monitor_address: { type: ipAddress() },
  tags: { type: tags() },
  request_sriov: { type: bool() },
} as const

/** What a new member's row is made of (the owner fields are ignored: a member belongs to its LB's project). */
export type MemberCreateBody = Omit<Parsed<typeof MEMBER_FIELDS>, 'project_id' | 'tenant_id'>

/** spec/api-v2.md §11.2: reserved addresses are compared, and named, in expanded upper-case form. */
export function checkNotReserved(address: string, reservedIps: readonly string[]): void {
  const expanded = explodedUpper(address)
  if (reservedIps.some((reserved) => explodedUpper(reserved) === expanded)) {
    throw new InvalidInput(`${expanded} is not a valid option for member address`)
  }
}

/**
 * spec/api-v2.md §11.1 request_sriov: only with a flavor that allows SR-IOV member ports. Inside a
 * transaction pass it as `executor` (on SQLite the transaction holds the only connection).
 */
export async function checkSriov(catalog: CatalogRepository, lb: LoadBalancer, requested: boolean, executor?: Executor): Promise<void> {
  if (!requested) return
  const flavor = lb.flavor_id ? await catalog.flavor(lb.flavor_id, executor) : undefined
  if (flavor?.data.allow_member_sriov !== true) throw new InvalidInput('The load balancer flavor does not allow SR-IOV member ports.')
}

/** spec/api-v2.md §11.2: the 409 of a second member on one address and port of a pool. */
export function duplicateMember(address: string, protocolPort: number): Conflict {
  return new Conflict(`Another member on this pool is already using ip ${address} on protocol_port ${protocolPort}`)
}

/** Inserts a member; a taken address and port in the pool is a 409 (spec/api-v2.md §11.2). */
export async function insertMember(members: MemberRepository, executor: Executor, member: NewMember): Promise<void> {
  // Checked first: on PostgreSQL a refused INSERT would abort the whole transaction.
  if (await members.findByAddress(member.pool_id, member.ip_address, member.protocol_port, executor)) {
    throw duplicateMember(member.ip_address, member.protocol_port)
  }
  try {
    await members.create(member, executor)
  } catch (err) {
    if (err instanceof DuplicateEntry) throw duplicateMember(member.ip_address, member.protocol_port)
    throw err
  }
}

/**
 * A new member's row from a create body or a batch item (create defaults, spec/api-v2.md §11.1):
 * OFFLINE when its pool has a health monitor, else NO_MONITOR (§6.2).
 */
export function newMemberFields(item: MemberCreateBody, pool: Pick<Pool, 'id' | 'healthmonitor_id'>, lb: Pick<LoadBalancer, 'project_id'>): NewMember {
  return {
    pool_id: pool.id,
    // spec/api-v2.md §3.5: a child belongs to its load balancer's project.
    project_id: lb.project_id,
    name: item.name ?? null,
    // spec/api-v2.md §3.4: admin_state_up null is stored as false.
    enabled: enabledOnCreate(item.admin_state_up),
    ip_address: item.address,
    protocol_port: item.protocol_port,
    weight: item.weight === undefined ? 1 : item.weight,
    // The column is NOT NULL: a null backup means the default (upstream fails with a database error).
    backup: item.backup ?? false,
    subnet_id: item.subnet_id ?? null,
    monitor_address: item.monitor_address ?? null,
    monitor_port: item.monitor_port ?? null,
    vnic_type: item.request_sriov === true ? 'direct' : 'normal',
    operating_status: pool.healthmonitor_id ? 'OFFLINE' : 'NO_MONITOR',
    tags: item.tags ?? [],
  }
}

/**
 * spec/api-v2.md §7: the amphora provider cannot mix address families between VIPs and members
 * of a UDP or SCTP pool that a listener uses. (A ProviderDriver hook would be the right home.)
 */
export function checkAddressFamilies(driver: ProviderDriver, lb: LoadBalancer, pool: Pool, addresses: readonly string[]): void {
  if (driver.driver !== 'amphora' || (pool.protocol !== 'UDP' && pool.protocol !== 'SCTP')) return
  if (pool.listener_ids.length === 0) return
  const vipFamilies = new Set([lb.vip?.ip_address, ...lb.additional_vips.map((a) => a.ip_address)]
    .flatMap((address) => (address ? [parseIp(address)?.family] : [])))
  if (addresses.every((address) => vipFamilies.has(parseIp(address)?.family))) return
  throw new ProviderError(`Provider '${lb.provider ?? 'amphora'}' does not support a requested option: This provider doesn't support mixing IPv4 and IPv6 addresses for its VIP and members in ${pool.protocol} load balancers.`, 501)
}

/** Python's `ipaddress.ip_address(a).exploded.upper()`: IPv6 as eight 4-digit groups. */
function explodedUpper(address: string): string {
  const ip = parseIp(address)
  if (!ip) return address.toUpperCase()
  if (ip.family === 4) return address
  const groups = Array.from({ length: 8 }, (_, i) => ((ip.value >> BigInt(112 - 16 * i)) & 0xffffn).toString(16).padStart(4, '0'))
  return groups.join(':').toUpperCase()
}
