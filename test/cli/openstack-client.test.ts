import { test } from 'node:test'
import assert from 'node:assert/strict'
import { DEFAULT_SUBNET_ID } from '../../src/config/defaults.ts'
import { openstack, openstackJson, openstackProcess } from '../helpers/openstack-client.ts'
import { scratchDir, startOctavia } from '../helpers/run-octavia.ts'

// The real `openstack loadbalancer` client against `octavia up`. Each command is covered once
// here; the rules themselves are tested over HTTP. The first runs as its own /usr/bin/openstack
// process, as a tenant's shell runs it; the rest share the helper's runner (same client code,
// without a second of interpreter start-up per command).

test('openstack loadbalancer create/list/show/set/unset/stats/status/delete against octavia up', async (t) => {
  const service = startOctavia(t, ['--set', 'octavia.api.bind.port=0', '--set', 'octavia.api.metrics.port=0', 'up'], { cwd: scratchDir(t) })
  const api = await service.waitForLog((l) => l.msg === 'api listening')
  const endpoint = `http://127.0.0.1:${String(api.port)}`

  // --vip-subnet-id by name: the client resolves it through our Neutron subset.
  const create = await openstackProcess(endpoint, ['loadbalancer', 'create', '--name', 'web', '--vip-subnet-id', 'local', '--tag', 'blue', '--wait', '-f', 'json'])
  assert.equal(create.code, 0, create.stderr)
  const created = JSON.parse(create.stdout) as Record<string, unknown>
  assert.equal(created.name, 'web')
  assert.equal(created.provisioning_status, 'ACTIVE')
  assert.equal(created.vip_subnet_id, DEFAULT_SUBNET_ID)
  assert.match(String(created.vip_address), /^127\.64\./)
  const id = String(created.id)

  const listed = await openstackJson<Array<Record<string, unknown>>>(endpoint, ['loadbalancer', 'list'])
  assert.deepEqual(listed.map((l) => [l.id, l.name, l.provisioning_status]), [[id, 'web', 'ACTIVE']])

  const set = await openstack(endpoint, ['loadbalancer', 'set', '--name', 'web2', '--description', 'front', '--wait', id])
  assert.equal(set.code, 0, set.stderr)
  const shown = await openstackJson(endpoint, ['loadbalancer', 'show', 'web2'])
  assert.deepEqual([shown.id, shown.description, shown.provisioning_status], [id, 'front', 'ACTIVE'])

  const unset = await openstack(endpoint, ['loadbalancer', 'unset', '--description', '--wait', id])
  assert.equal(unset.code, 0, unset.stderr)
  assert.equal((await openstackJson(endpoint, ['loadbalancer', 'show', id])).description, '')

  const stats = await openstackJson(endpoint, ['loadbalancer', 'stats', 'show', id])
  assert.deepEqual(stats, { active_connections: 0, bytes_in: 0, bytes_out: 0, request_errors: 0, total_connections: 0 })
  const status = await openstack(endpoint, ['loadbalancer', 'status', 'show', id])
  assert.equal(status.code, 0, status.stderr)
  assert.deepEqual(JSON.parse(status.stdout), { loadbalancer: { id, name: 'web2', provisioning_status: 'ACTIVE', operating_status: 'OFFLINE', listeners: [] } })

  const deleted = await openstack(endpoint, ['loadbalancer', 'delete', '--wait', id])
  assert.equal(deleted.code, 0, deleted.stderr)
  assert.deepEqual(await openstackJson(endpoint, ['loadbalancer', 'list']), [])
  assert.equal(await service.stop(), 0)
})
