import type { NetworkConfig } from '../../config/schema.ts'
import { parseCidr } from '../../config/ip-address.ts'

/** A declared subnet (config `networks`), with its IP version worked out. */
export interface Subnet extends NetworkConfig {
  readonly ip_version: 4 | 6
}

/** A network: the subnets that share a network_id. Named after its first subnet. */
export interface Network {
  readonly id: string
  readonly name: string
  readonly subnets: readonly Subnet[]
}

/**
 * The operator's declared subnets and the networks they form: our stand-in for Neutron's
 * inventory (DESIGN.md, "Networks, hosts and amphorae"). Read-only; addresses are in the ports table.
 */
export class NetworkInventory {
  readonly subnets: readonly Subnet[]
  readonly networks: readonly Network[]

  constructor(declared: readonly NetworkConfig[]) {
    this.subnets = declared.map((s) => {
      const parsed = parseCidr(s.cidr)
      return { ...s, ip_version: parsed.ok ? parsed.network.family : 4 }
    })
    const byNetwork = new Map<string, Subnet[]>()
    for (const subnet of this.subnets) byNetwork.set(subnet.network_id, [...(byNetwork.get(subnet.network_id) ?? []), subnet])
    this.networks = [...byNetwork.entries()].map(([id, subnets]) => ({ id, name: subnets[0]?.name ?? id, subnets }))
  }

  subnet(id: string): Subnet | undefined {
    return this.subnets.find((s) => s.id === id)
  }

  network(id: string): Network | undefined {
    return this.networks.find((n) => n.id === id)
  }
}
