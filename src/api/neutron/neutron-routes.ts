import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { Port, PortRepository } from '../../db/repositories/port-repository.ts'
import type { Network, NetworkInventory, Subnet } from '../../drivers/network/network-inventory.ts'
import type { RequestContext } from '../request-context.ts'

// The read-only part of Neutron's v2.0 API that clients use to resolve names and ids
// (`--vip-subnet-id local`, member `--subnet-id`): python-octaviaclient with
// `--os-auth-type none --os-endpoint <ours>` asks these paths at our own endpoint (spec/clients.md).

export interface NeutronDeps {
  inventory: NetworkInventory
  ports: PortRepository
  /** The caller; without it (tests of this module alone) every caller sees every port. */
  context?: (req: FastifyRequest) => RequestContext
}

type Query = Record<string, string | string[] | undefined>

/** Neutron filters: each parameter (repeatable) must match one of its values; `fields` selects keys. */
function matches(object: Record<string, unknown>, query: Query): boolean {
  return Object.entries(query).every(([key, value]) => {
    if (key === 'fields' || value === undefined || !(key in object)) return true
    const wanted = Array.isArray(value) ? value : [value]
    return wanted.includes(String(object[key]))
  })
}

function selectFields<T extends Record<string, unknown>>(object: T, query: Query): Partial<T> {
  const fields = query.fields === undefined ? [] : [query.fields].flat()
  if (fields.length === 0) return object
  return Object.fromEntries(Object.entries(object).filter(([k]) => fields.includes(k))) as Partial<T>
}

function renderSubnet(s: Subnet) {
  return {
    id: s.id, name: s.name, network_id: s.network_id, tenant_id: '', project_id: '', cidr: s.cidr,
    ip_version: s.ip_version, gateway_ip: s.gateway_ip, allocation_pools: s.allocation_pools, enable_dhcp: false,
    dns_nameservers: [], host_routes: [], description: `${s.kind} subnet`, tags: [], subnetpool_id: null,
    ipv6_address_mode: null, ipv6_ra_mode: null, service_types: [], segment_id: null, revision_number: 0,
  }
}

function renderNetwork(n: Network) {
  return {
    id: n.id, name: n.name, subnets: n.subnets.map((s) => s.id), status: 'ACTIVE', admin_state_up: true,
    shared: true, tenant_id: '', project_id: '', 'router:external': false, port_security_enabled: true,
    mtu: 1500, description: '', tags: [], availability_zones: [], revision_number: 0,
  }
}

function renderPort(p: Port) {
  return {
    id: p.id, name: p.name ?? '', network_id: p.network_id, fixed_ips: [{ subnet_id: p.subnet_id, ip_address: p.ip_address }],
    device_id: p.device_id ?? '', device_owner: p.device_owner ?? '', status: 'ACTIVE', admin_state_up: true,
    tenant_id: p.project_id ?? '', project_id: p.project_id ?? '', security_groups: [], port_security_enabled: true,
    description: '', tags: [], revision_number: 0, created_at: p.created_at.toISOString().slice(0, 19) + 'Z',
  }
}

export function registerNeutronRoutes(app: FastifyInstance, deps: NeutronDeps): void {
  // As Neutron: an administrator sees every port, anyone else only their project's (other
  // projects' VIP addresses and load balancer ids are not theirs to see).
  const visible = (req: FastifyRequest, port: Port) => {
    const caller = deps.context?.(req)
    return !caller || caller.isAdmin || (port.project_id !== null && port.project_id === caller.projectId)
  }
  const query = (req: FastifyRequest) => req.query as Query
  const notFound = (kind: string, id: string) => ({ NeutronError: { type: `${kind}NotFound`, message: `${kind} ${id} could not be found.`, detail: '' } })

  app.get('/v2.0/networks', async (req) => ({
    networks: deps.inventory.networks.map(renderNetwork).filter((n) => matches(n, query(req))).map((n) => selectFields(n, query(req))),
  }))
  app.get<{ Params: { id: string } }>('/v2.0/networks/:id', async (req, reply) => {
    const network = deps.inventory.network(req.params.id)
    if (!network) return reply.code(404).send(notFound('Network', req.params.id))
    return { network: selectFields(renderNetwork(network), query(req)) }
  })
  app.get('/v2.0/subnets', async (req) => ({
    subnets: deps.inventory.subnets.map(renderSubnet).filter((s) => matches(s, query(req))).map((s) => selectFields(s, query(req))),
  }))
  app.get<{ Params: { id: string } }>('/v2.0/subnets/:id', async (req, reply) => {
    const subnet = deps.inventory.subnet(req.params.id)
    if (!subnet) return reply.code(404).send(notFound('Subnet', req.params.id))
    return { subnet: selectFields(renderSubnet(subnet), query(req)) }
  })
  app.get('/v2.0/ports', async (req) => {
    const q = query(req)
    const one = (v: string | string[] | undefined) => (typeof v === 'string' ? v : undefined)
    const rows = await deps.ports.list({ network_id: one(q.network_id), device_id: one(q.device_id), device_owner: one(q.device_owner) })
    return { ports: rows.filter((p) => visible(req, p)).map(renderPort).filter((p) => matches(p, q)).map((p) => selectFields(p, q)) }
  })
  app.get<{ Params: { id: string } }>('/v2.0/ports/:id', async (req, reply) => {
    const port = await deps.ports.get(req.params.id)
    if (!port || !visible(req, port)) return reply.code(404).send(notFound('Port', req.params.id))
    return { port: selectFields(renderPort(port), query(req)) }
  })
  // Neutron's extension list: clients probe it before using optional features.
  app.get('/v2.0/extensions', async () => ({ extensions: [] }))
}
