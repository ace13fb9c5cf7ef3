import { test } from 'node:test'
import assert from 'node:assert/strict'
import { DEFAULT_SUBNET_ID } from '../../src/config/defaults.ts'
import { AmphoraRepository } from '../../src/db/repositories/amphora-repository.ts'
import { startApi } from '../helpers/api-harness.ts'
import { seedListener } from '../helpers/db-seed.ts'
import { openstack, openstackJson } from '../helpers/openstack-client.ts'

// The real `openstack loadbalancer amphora ...` client (python3-octaviaclient 3.1) against the
// API listening on loopback. No provider creates amphorae yet, so the rows are inserted here.
// Each subcommand runs once, independent reads in parallel.

type Json = Record<string, unknown>

test('openstack loadbalancer amphora list/show/stats show/configure/failover/delete', async (t) => {
  const api = await startApi(t)
  const endpoint = await api.app.listen({ host: '127.0.0.1', port: 0 })
  const cli = (args: string[]) => openstackJson(endpoint, ['loadbalancer', 'amphora', ...args])
  const cliList = (args: string[]) => openstackJson<Json[]>(endpoint, ['loadbalancer', 'amphora', ...args])
  /** A command that prints nothing; fails with the client's stderr. */
  const run = async (args: string[]) => {
    const res = await openstack(endpoint, ['loadbalancer', 'amphora', ...args])
    assert.equal(res.code, 0, `openstack loadbalancer amphora ${args.join(' ')}: ${res.stderr}`)
  }

  const created = await api.app.inject({ method: 'POST', url: '/v2/lbaas/loadbalancers', payload: { loadbalancer: { name: 'web', vip_subnet_id: DEFAULT_SUBNET_ID } } })
  const lbId = String((created.json() as { loadbalancer: Json }).loadbalancer.id)
  const lbActive = () => api.until(`/v2/lbaas/loadbalancers/${lbId}`, (b) => (b.loadbalancer as Json).provisioning_status === 'ACTIVE')
  await lbActive()
  const amphorae = new AmphoraRepository(api.deps.db, api.deps.clock)
  const master = await amphorae.create({
    load_balancer_id: lbId, compute_id: 'agent-1', lb_network_ip: '127.0.0.1', ha_ip: '127.64.0.2', role: 'MASTER', status: 'ALLOCATED',
    cert_expiration: new Date('2026-01-02T03:04:05Z'), vrrp_priority: 100, cached_zone: 'zone-a', compute_flavor: 'small',
  })
  const broken = await amphorae.create({ load_balancer_id: lbId, role: 'BACKUP', status: 'ERROR', lb_network_ip: '127.0.0.2' })
  const listenerId = await seedListener(api.deps.db.kysely, lbId, { name: 'front' })
  await api.deps.db.kysely.insertInto('listener_statistics').values([
    { listener_id: listenerId, amphora_id: master.id, bytes_in: 100, bytes_out: 200, active_connections: 3, total_connections: 40, request_errors: 1 },
    { listener_id: 'another-listener', amphora_id: master.id, bytes_in: 1, bytes_out: 2, active_connections: 0, total_connections: 4, request_errors: 0 },
  ]).execute()

  const [all, filtered, shown, stats] = await Promise.all([
    cliList(['list']),
    cliList(['list', '--long', '--loadbalancer', 'web', '--status', 'error', '--role', 'BACKUP']),
    cli(['show', master.id]),
    cli(['stats', 'show', '--listener', 'front', master.id]),
  ])
  // Both rows may share a created_at; the list then orders them by id, so compare them by address.
  assert.deepEqual(all.toSorted((a, b) => String(a.lb_network_ip).localeCompare(String(b.lb_network_ip))), [
    { id: master.id, loadbalancer_id: lbId, status: 'ALLOCATED', role: 'MASTER', lb_network_ip: '127.0.0.1', ha_ip: '127.64.0.2' },
    { id: broken.id, loadbalancer_id: lbId, status: 'ERROR', role: 'BACKUP', lb_network_ip: '127.0.0.2', ha_ip: null },
  ])
  assert.deepEqual(filtered, [{
    id: broken.id, loadbalancer_id: lbId, status: 'ERROR', role: 'BACKUP', lb_network_ip: '127.0.0.2', ha_ip: null,
    compute_id: null, cached_zone: null, image_id: null,
  }])
  assert.deepEqual(shown, {
    id: master.id, loadbalancer_id: lbId, compute_id: 'agent-1', lb_network_ip: '127.0.0.1', vrrp_ip: null, ha_ip: '127.64.0.2',
    vrrp_port_id: null, ha_port_id: null, cert_expiration: '2026-01-02T03:04:05', cert_busy: false, role: 'MASTER', status: 'ALLOCATED',
    vrrp_interface: null, vrrp_id: null, vrrp_priority: 100, cached_zone: 'zone-a', created_at: shown.created_at, updated_at: null,
    image_id: null, compute_flavor: 'small',
  })
  assert.match(String(shown.created_at), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/)
  // The client adds up the API's per-listener entries, here only those of the listener asked for.
  assert.deepEqual(stats, { active_connections: 3, bytes_in: 100, bytes_out: 200, request_errors: 1, total_connections: 40 })

  // configure and failover --wait return once the load balancer is ACTIVE again.
  await run(['configure', '--wait', master.id])
  await run(['failover', '--wait', master.id])
  await lbActive()
  const kinds = await api.deps.db.kysely.selectFrom('jobs').select(['kind', 'target_id', 'state']).where('target_type', '=', 'amphora').orderBy('created_at').execute()
  assert.deepEqual(kinds.map((j) => [j.kind, j.target_id]), [['amphora.update_agent_config', master.id], ['amphora.failover', master.id]])

  // delete --wait returns once the amphora is gone.
  await run(['delete', '--wait', broken.id])
  assert.equal((await amphorae.get(broken.id))?.status, 'DELETED')
})
