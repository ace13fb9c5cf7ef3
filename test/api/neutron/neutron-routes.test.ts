import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createApi } from '../../../src/api/create-api.ts'
import { registerNeutronRoutes } from '../../../src/api/neutron/neutron-routes.ts'
import { createLogger } from '../../../src/common/logger.ts'
import { createMetricsRegistry } from '../../../src/common/metrics.ts'
import { systemClock } from '../../../src/common/clock.ts'
import { loadConfig } from '../../../src/config/load-config.ts'
import { DEFAULT_NETWORK_ID, DEFAULT_SUBNET_ID } from '../../../src/config/defaults.ts'
import { PortRepository } from '../../../src/db/repositories/port-repository.ts'
import { NetworkInventory } from '../../../src/drivers/network/network-inventory.ts'
import { startApi } from '../../helpers/api-harness.ts'
import { withTestDatabase } from '../../helpers/test-database.ts'

test('the Neutron subset answers networks, subnets and ports by id, by name and in lists', async (t) => {
  const db = await withTestDatabase(t, 'sqlite')
  const { config } = loadConfig({ files: [], env: {} })
  const inventory = new NetworkInventory(config.networks)
  const ports = new PortRepository(db, systemClock)
  const app = createApi({
    log: createLogger({ level: 'silent' }), registry: createMetricsRegistry(),
    healthcheck: { enabled: false, refreshIntervalSeconds: 5, probe: async () => {} },
    routes: [(a) => registerNeutronRoutes(a, { inventory, ports })],
  })
  t.after(() => app.close())
  const subnet = inventory.subnet(DEFAULT_SUBNET_ID)!
  const port = await ports.allocate({ subnet, device_owner: 'octavia:vip', device_id: 'lb-1', name: 'vip-port' })

  const byName = await app.inject({ method: 'GET', url: '/v2.0/subnets?name=local' })
  assert.equal(byName.statusCode, 200)
  const subnets = (byName.json() as { subnets: Array<Record<string, unknown>> }).subnets
  assert.equal(subnets.length, 1)
  assert.equal(subnets[0]?.id, DEFAULT_SUBNET_ID)
  assert.equal(subnets[0]?.network_id, DEFAULT_NETWORK_ID)
  assert.equal(subnets[0]?.cidr, '127.64.0.0/16')
  assert.equal(subnets[0]?.ip_version, 4)

  assert.deepEqual((await app.inject({ method: 'GET', url: '/v2.0/subnets?name=nope' })).json(), { subnets: [] })
  const one = await app.inject({ method: 'GET', url: `/v2.0/subnets/${DEFAULT_SUBNET_ID}` })
  assert.equal((one.json() as { subnet: { name: string } }).subnet.name, 'local')
  const missing = await app.inject({ method: 'GET', url: '/v2.0/subnets/local' })
  assert.equal(missing.statusCode, 404)
  assert.equal((missing.json() as { NeutronError: { type: string } }).NeutronError.type, 'SubnetNotFound')

  const networks = (await app.inject({ method: 'GET', url: `/v2.0/networks?id=${DEFAULT_NETWORK_ID}` })).json() as { networks: Array<{ id: string; subnets: string[] }> }
  assert.deepEqual(networks.networks.map((n) => [n.id, n.subnets]), [[DEFAULT_NETWORK_ID, [DEFAULT_SUBNET_ID]]])
  const fields = (await app.inject({ method: 'GET', url: '/v2.0/networks?fields=id&fields=name' })).json()
  assert.deepEqual(fields, { networks: [{ id: DEFAULT_NETWORK_ID, name: 'local' }] })

  const portList = (await app.inject({ method: 'GET', url: `/v2.0/ports?id=${port.id}` })).json() as { ports: Array<{ fixed_ips: unknown; device_owner: string }> }
  assert.deepEqual(portList.ports.map((p) => [p.fixed_ips, p.device_owner]), [[[{ subnet_id: DEFAULT_SUBNET_ID, ip_address: port.ip_address }], 'octavia:vip']])
  assert.equal((await app.inject({ method: 'GET', url: `/v2.0/ports/${port.id}` })).statusCode, 200)
  assert.equal((await app.inject({ method: 'GET', url: '/v2.0/ports/00000000-0000-0000-0000-000000000000' })).statusCode, 404)
})

test('under a policy-enforcing identity, a project sees only its own ports; an administrator sees all', async (t) => {
  const api = await startApi(t, { sets: ['octavia.identity.engine=headers'] })
  const as = (project: string, roles: string) => ({ 'x-project-id': project, 'x-roles': roles, 'x-user-id': `user-${project}` })
  const created: Record<string, string> = {}
  for (const project of ['project-a', 'project-b']) {
    const res = await api.app.inject({ method: 'POST', url: '/v2/lbaas/loadbalancers', headers: as(project, 'member'), payload: { loadbalancer: { vip_subnet_id: DEFAULT_SUBNET_ID } } })
    assert.equal(res.statusCode, 201, res.body)
    created[project] = (res.json() as { loadbalancer: { vip_port_id: string } }).loadbalancer.vip_port_id
  }
  const portIds = async (headers: Record<string, string>) =>
    ((await api.app.inject({ method: 'GET', url: '/v2.0/ports', headers })).json() as { ports: Array<{ id: string }> }).ports.map((p) => p.id).sort()
  assert.deepEqual(await portIds(as('project-a', 'member')), [created['project-a']])
  assert.deepEqual(await portIds(as('project-b', 'reader')), [created['project-b']])
  assert.deepEqual(await portIds(as('project-c', 'admin')), [created['project-a'], created['project-b']].sort())
  const other = await api.app.inject({ method: 'GET', url: `/v2.0/ports/${created['project-b']}`, headers: as('project-a', 'member') })
  assert.equal(other.statusCode, 404)
  const own = await api.app.inject({ method: 'GET', url: `/v2.0/ports/${created['project-a']}`, headers: as('project-a', 'member') })
  assert.equal(own.statusCode, 200)
})
