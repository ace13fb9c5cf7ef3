import { test } from 'node:test'
import assert from 'node:assert/strict'
import { openstack, openstackJson } from '../helpers/openstack-client.ts'
import { scratchDir, startOctavia } from '../helpers/run-octavia.ts'

// The real `openstack loadbalancer quota` subcommands of python-octaviaclient 3.1 (defaults show,
// list, show, set, unset, reset) against one `octavia up`. Project arguments are looked up in
// Keystone first; our endpoint refuses that lookup as Keystone does for a non-admin, so the client
// uses the argument itself (a UUID or any other string). unset and reset print nothing, so their
// effect is read back over plain HTTP. Independent calls run in parallel to keep the file short.

type Json = Record<string, unknown>

const PROJECT = '6a1a4f3c-3b0e-4c39-9b71-5d3f0e2b8c11'

test('openstack loadbalancer quota defaults show/list/show/set/unset/reset against octavia up', async (t) => {
  const service = startOctavia(t, [
    '--set', 'octavia.api.bind.port=0', '--set', 'octavia.api.metrics.port=0', '--set', 'octavia.quotas.default_member_quota=100', 'up',
  ], { cwd: scratchDir(t) })
  const port = (await service.waitForLog((l) => l.msg === 'api listening')).port
  const endpoint = `http://127.0.0.1:${String(port)}`
  const cli = (args: string[]) => openstackJson(endpoint, ['loadbalancer', 'quota', ...args])
  const run = async (args: string[]) => {
    const res = await openstack(endpoint, ['loadbalancer', 'quota', ...args])
    assert.equal(res.code, 0, `openstack loadbalancer quota ${args.join(' ')}: ${res.stderr}`)
    assert.equal(res.stdout, '')
  }
  const stored = async (projectId: string): Promise<Json> => {
    const res = await fetch(`${endpoint}/v2/lbaas/quotas/${projectId}`)
    assert.equal(res.status, 200)
    return ((await res.json()) as { quota: Json }).quota
  }
  const effective = (limits: Json) => ({
    load_balancer: -1, listener: -1, pool: -1, health_monitor: -1, member: 100, l7policy: -1, l7rule: -1, ...limits,
  })

  const [defaults, empty] = await Promise.all([cli(['defaults', 'show']), openstackJson<Json[]>(endpoint, ['loadbalancer', 'quota', 'list'])])
  assert.deepEqual(defaults, effective({}))
  assert.deepEqual(empty, [])

  const [setById, setByName] = await Promise.all([
    cli(['set', '--loadbalancer', '5', '--healthmonitor', '3', '--member', '20', '--l7rule', '0', PROJECT]),
    cli(['set', '--pool', '2', '--listener', '-1', 'tenant-a']),
  ])
  assert.deepEqual(setById, effective({ load_balancer: 5, health_monitor: 3, member: 20, l7rule: 0 }))
  assert.deepEqual(setByName, effective({ pool: 2 }))

  const [shownById, shownByName, listed, listedOne] = await Promise.all([
    cli(['show', PROJECT]),
    cli(['show', 'tenant-a']),
    openstackJson<Json[]>(endpoint, ['loadbalancer', 'quota', 'list']),
    openstackJson<Json[]>(endpoint, ['loadbalancer', 'quota', 'list', '--project', PROJECT]),
  ])
  assert.deepEqual(shownById, setById)
  assert.deepEqual(shownByName, setByName)
  // The list shows the stored records: unset kinds are null (the default applies).
  const row = (projectId: string, limits: Json) => ({
    'project_id': projectId, 'load_balancer': null, 'listener': null, 'pool': null, 'health_monitor': null, 'member': null, 'l7policy': null,
    'l7rule': null, ...limits,
  })
  const byProject = (rows: Json[]) => [...rows].sort((a, b) => String(a.project_id).localeCompare(String(b.project_id)))
  assert.deepEqual(byProject(listed), [row(PROJECT, { load_balancer: 5, health_monitor: 3, member: 20, l7rule: 0 }), row('tenant-a', { pool: 2, listener: -1 })])
  assert.deepEqual(listedOne, [row(PROJECT, { load_balancer: 5, health_monitor: 3, member: 20, l7rule: 0 })])

  // Resetting a project that has no record is the API's 404, which the client reports.
  const [missing] = await Promise.all([
    openstack(endpoint, ['loadbalancer', 'quota', 'reset', 'nobody']),
    run(['unset', '--loadbalancer', '--member', PROJECT]),
    run(['reset', 'tenant-a']),
  ])
  assert.notEqual(missing.code, 0)
  assert.match(missing.stderr, /Quotas nobody not found\./)
  const [afterUnset, afterReset] = await Promise.all([stored(PROJECT), stored('tenant-a')])
  assert.deepEqual([afterUnset.load_balancer, afterUnset.loadbalancer, afterUnset.member, afterUnset.health_monitor, afterUnset.l7rule], [-1, -1, 100, 3, 0])
  assert.deepEqual([afterReset.pool, afterReset.listener, afterReset.member], [-1, -1, 100])
})
