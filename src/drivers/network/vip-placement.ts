import { Conflict, InvalidInput } from '../../common/errors.ts'
import { parseIp, contains, parseCidr } from '../../config/ip-address.ts'
import type { Executor } from '../../db/database.ts'
import { AddressExhausted, DuplicateEntry, InvalidAddress } from '../../db/errors.ts'
import type { Port, PortRepository } from '../../db/repositories/port-repository.ts'
import type { NetworkInventory, Subnet } from './network-inventory.ts'

/** The VIP fields of a create request (already type-checked and normalised). */
export interface VipRequest {
  vip_port_id?: string | null
  vip_network_id?: string | null
  vip_subnet_id?: string | null
  vip_address?: string | null
}

/** Where a VIP goes: its subnet, and either an existing port or the address to allocate (null = any). */
export interface VipPlacement {
  subnet: Subnet
  port: Port | null
  address: string | null
}

const validation = (text: string) => new InvalidInput(`Validation failure: ${text}`)

/** An address in the canonical text form the ports table uses (IPv6 compressed). */
function sameAddress(a: string, b: string): boolean {
  const x = parseIp(a)
  const y = parseIp(b)
  return x !== null && y !== null && x.family === y.family && x.value === y.value
}

function inSubnet(subnet: Subnet, address: string): boolean {
  const network = parseCidr(subnet.cidr)
  const ip = parseIp(address)
  return network.ok && ip !== null && contains(network.network, ip)
}

/**
 * Resolves vip_port_id / vip_network_id / vip_subnet_id / vip_address against the declared
 * subnets and the ports table, with the precedence and messages of spec/api-v2.md §8.2 step 3.
 */
export async function placeVip(request: VipRequest, inventory: NetworkInventory, ports: PortRepository, executor?: Executor): Promise<VipPlacement> {
  const { vip_port_id: portId, vip_network_id: networkId, vip_subnet_id: subnetId, vip_address: address } = request
  if (!portId && !networkId && !subnetId) {
    throw validation('VIP must contain one of: vip_port_id, vip_network_id, vip_subnet_id.')
  }
  if (portId) {
    const port = await ports.get(portId, executor)
    if (!port) throw new InvalidInput(`Port ${portId} not found.`)
    // Upstream's message ends with a space; clients compare it (spec/api-v2.md §8.2).
    if (port.device_id) throw validation(`Port ${portId} is already used by device ${port.device_id} `)
    const subnet = inventory.subnet(port.subnet_id)
    if (!subnet) throw new InvalidInput(`Subnet ${port.subnet_id} not found.`)
    if (subnetId) {
      if (!inventory.subnet(subnetId)) throw new InvalidInput(`Subnet ${subnetId} not found.`)
      if (port.subnet_id !== subnetId) throw validation('No VIP address found on the specified VIP port within the specified subnet.')
    } else if (address && !sameAddress(address, port.ip_address)) {
      throw validation('Specified VIP address not found on the specified VIP port.')
    }
    return { subnet, port, address: port.ip_address }
  }
  if (networkId) {
    const network = inventory.network(networkId)
    if (!network) throw new InvalidInput(`Network ${networkId} not found.`)
    if (subnetId) {
      const subnet = network.subnets.find((s) => s.id === subnetId)
      if (!subnet) throw new InvalidInput(`Subnet ${subnetId} not found.`)
      return { subnet, port: null, address: address ?? null }
    }
    if (address) {
      const subnet = network.subnets.find((s) => inSubnet(s, address))
      if (!subnet) throw validation('Supplied network does not contain a subnet for VIP address specified.')
      return { subnet, port: null, address }
    }
    if (network.subnets.length === 0) throw validation('Supplied network does not contain a subnet.')
    const subnet = network.subnets.find((s) => s.ip_version === 4) ?? network.subnets[0]!
    return { subnet, port: null, address: null }
  }
  const subnet = inventory.subnet(subnetId!)
  if (!subnet) throw new InvalidInput(`Subnet ${subnetId} not found.`)
  return { subnet, port: null, address: address ?? null }
}

/**
 * Takes the placed VIP for a load balancer: claims the given port, or allocates the address
 * (a taken address is 409, an address outside the subnet 400, a full subnet 409).
 */
export async function bindVip(placement: VipPlacement, lb: { id: string; project_id: string | null }, ports: PortRepository, executor?: Executor): Promise<Port> {
  if (placement.port) {
    await ports.update(placement.port.id, { device_id: lb.id, device_owner: 'octavia:vip', project_id: lb.project_id }, executor)
    return { ...placement.port, device_id: lb.id, device_owner: 'octavia:vip' }
  }
  try {
    return await ports.allocate({
      subnet: placement.subnet, ip_address: placement.address, device_owner: 'octavia:vip', device_id: lb.id,
      project_id: lb.project_id, name: `octavia-lb-${lb.id}`,
    }, executor)
  } catch (err) {
    if (err instanceof DuplicateEntry) throw new Conflict(`The VIP IP address is already in use: IP address ${placement.address} already allocated in subnet ${placement.subnet.id}.`)
    if (err instanceof InvalidAddress) throw validation(`${err.message}`)
    if (err instanceof AddressExhausted) throw new Conflict(`The VIP IP address is already in use: No more IP addresses available on subnet ${placement.subnet.id}.`)
    throw err
  }
}
