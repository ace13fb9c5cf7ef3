import { test } from 'node:test'
import assert from 'node:assert/strict'
import { DEFAULT_SUBNET_ID } from '../../src/config/defaults.ts'
import { openstack, openstackJson } from '../helpers/openstack-client.ts'
import { scratchDir, startOctavia } from '../helpers/run-octavia.ts'

// The real `openstack loadbalancer` client driving listeners, pools, members and health monitors
// against one `octavia up`. Every command runs once (the rules are tested over HTTP); `set` and
// `unset` print nothing, so their effect is read back over plain HTTP. Independent reads run in
// parallel to keep the file short.

type Json = Record<string, unknown>

test('openstack loadbalancer listener/pool/member/healthmonitor create/list/show/set/unset/delete against octavia up', async (t) => {
  const service = startOctavia(t, ['--set', 'octavia.api.bind.port=0', '--set', 'octavia.api.metrics.port=0', 'up'], { cwd: scratchDir(t) })
  const port = (await service.waitForLog((l) => l.msg === 'api listening')).port
  const endpoint = `http://127.0.0.1:${String(port)}`
  const cli = (args: string[]) => openstackJson(endpoint, ['loadbalancer', ...args])
  const cliList = (args: string[]) => openstackJson<Json[]>(endpoint, ['loadbalancer', ...args])
  /** A command that prints nothing (set, unset, delete); fails with the client's stderr. */
  const run = async (args: string[]) => {
    const res = await openstack(endpoint, ['loadbalancer', ...args])
    assert.equal(res.code, 0, `openstack loadbalancer ${args.join(' ')}: ${res.stderr}`)
  }
  /** The object as the API now stores it, read without the client. */
  const get = async (path: string, key: string): Promise<Json> => {
    const res = await fetch(`${endpoint}/v2/lbaas/${path}`)
    assert.equal(res.status, 200, path)
    return ((await res.json()) as Record<string, Json>)[key]!
  }

  const lb = await cli(['create', '--name', 'lb1', '--vip-subnet-id', 'local', '--wait'])
  const lbId = String(lb.id)

  // Listener: the client resolves the load balancer by name.
  const listener = await cli(['listener', 'create', '--name', 'web', '--protocol', 'HTTP', '--protocol-port', '80', '--tag', 'blue',
    '--allowed-cidr', '127.0.0.0/8', '--timeout-client-data', '1000', 'lb1', '--wait'])
  const listenerId = String(listener.id)
  assert.equal(listener.provisioning_status, 'ACTIVE')
  assert.deepEqual([listener.protocol, listener.protocol_port, listener.tags, listener.loadbalancers], ['HTTP', 80, 'blue', lbId])
  assert.equal(listener.timeout_client_data, 1000)
  await run(['listener', 'set', '--description', 'front door', '--connection-limit', '100', '--insert-headers', 'X-Forwarded-For=true', '--wait', 'web'])
  const [listenerShown, listeners] = await Promise.all([cli(['listener', 'show', 'web']), cliList(['listener', 'list'])])
  assert.equal(listenerShown.id, listenerId)
  assert.equal(listenerShown.description, 'front door')
  assert.equal(listenerShown.connection_limit, 100)
  assert.equal(listenerShown.provisioning_status, 'ACTIVE')
  assert.deepEqual(listeners.map((l) => [l.id, l.name, l.protocol, l.protocol_port, l.admin_state_up]), [[listenerId, 'web', 'HTTP', 80, true]])
  await run(['listener', 'unset', '--description', '--connection-limit', '--insert-headers', '--allowed-cidrs', '--timeout-client-data', '--wait', 'web'])
  const listenerUnset = await get(`listeners/${listenerId}`, 'listener')
  assert.deepEqual(
    [listenerUnset.description, listenerUnset.connection_limit, listenerUnset.insert_headers, listenerUnset.allowed_cidrs, listenerUnset.timeout_client_data],
    ['', -1, {}, null, 50000])

  // Pool: the default pool of the listener, found by name.
  const pool = await cli(['pool', 'create', '--name', 'backend', '--listener', 'web', '--protocol', 'HTTP', '--lb-algorithm', 'ROUND_ROBIN',
    '--session-persistence', 'type=SOURCE_IP', '--wait'])
  const poolId = String(pool.id)
  assert.deepEqual([pool.provisioning_status, pool.lb_algorithm, pool.listeners, pool.loadbalancers], ['ACTIVE', 'ROUND_ROBIN', listenerId, lbId])
  assert.equal((await get(`listeners/${listenerId}`, 'listener')).default_pool_id, poolId)
  await run(['pool', 'set', '--description', 'app servers', '--lb-algorithm', 'LEAST_CONNECTIONS', '--wait', 'backend'])
  const [poolShown, pools] = await Promise.all([cli(['pool', 'show', 'backend']), cliList(['pool', 'list'])])
  assert.deepEqual([poolShown.id, poolShown.description, poolShown.lb_algorithm, poolShown.provisioning_status], [poolId, 'app servers', 'LEAST_CONNECTIONS', 'ACTIVE'])
  assert.deepEqual(pools.map((p) => [p.id, p.name, p.protocol, p.lb_algorithm, p.provisioning_status]), [[poolId, 'backend', 'HTTP', 'LEAST_CONNECTIONS', 'ACTIVE']])
  await run(['pool', 'unset', '--description', '--session-persistence', '--wait', 'backend'])
  const poolUnset = await get(`pools/${poolId}`, 'pool')
  assert.deepEqual([poolUnset.description, poolUnset.session_persistence], ['', null])

  // Member: `--subnet-id local` is resolved through our Neutron subset.
  const member = await cli(['member', 'create', '--name', 'app1', '--address', '127.0.0.2', '--protocol-port', '8080', '--subnet-id', 'local', 'backend', '--wait'])
  const memberId = String(member.id)
  assert.deepEqual([member.address, member.protocol_port, member.subnet_id, member.provisioning_status, member.weight], ['127.0.0.2', 8080, DEFAULT_SUBNET_ID, 'ACTIVE', 1])
  await run(['member', 'set', '--weight', '5', '--monitor-port', '9000', '--monitor-address', '127.0.0.3', '--enable-backup', '--wait', 'backend', 'app1'])
  const [memberShown, members] = await Promise.all([cli(['member', 'show', 'backend', 'app1']), cliList(['member', 'list', 'backend'])])
  assert.deepEqual([memberShown.id, memberShown.weight, memberShown.monitor_port, memberShown.monitor_address, memberShown.backup], [memberId, 5, 9000, '127.0.0.3', true])
  assert.deepEqual(members.map((m) => [m.id, m.name, m.address, m.protocol_port, m.weight, m.provisioning_status]), [[memberId, 'app1', '127.0.0.2', 8080, 5, 'ACTIVE']])
  await run(['member', 'unset', '--weight', '--monitor-port', '--monitor-address', '--backup', '--wait', 'backend', 'app1'])
  const memberUnset = await get(`pools/${poolId}/members/${memberId}`, 'member')
  assert.deepEqual([memberUnset.weight, memberUnset.monitor_port, memberUnset.monitor_address, memberUnset.backup], [1, null, null, false])

  // Health monitor.
  const monitor = await cli(['healthmonitor', 'create', '--name', 'probe', '--delay', '5', '--timeout', '3', '--max-retries', '3', '--type', 'HTTP',
    '--url-path', '/healthz', 'backend', '--wait'])
  const monitorId = String(monitor.id)
  assert.deepEqual([monitor.type, monitor.delay, monitor.url_path, monitor.pools, monitor.provisioning_status], ['HTTP', 5, '/healthz', poolId, 'ACTIVE'])
  await run(['healthmonitor', 'set', '--delay', '10', '--expected-codes', '200,204', '--http-method', 'HEAD', '--wait', 'probe'])
  const [monitorShown, monitors] = await Promise.all([cli(['healthmonitor', 'show', 'probe']), cliList(['healthmonitor', 'list'])])
  assert.deepEqual([monitorShown.id, monitorShown.delay, monitorShown.expected_codes, monitorShown.http_method], [monitorId, 10, '200,204', 'HEAD'])
  assert.deepEqual(monitors.map((m) => [m.id, m.name, m.type, m.admin_state_up]), [[monitorId, 'probe', 'HTTP', true]])
  await run(['healthmonitor', 'unset', '--url-path', '--expected-codes', '--http-method', '--wait', 'probe'])
  const monitorUnset = await get(`healthmonitors/${monitorId}`, 'healthmonitor')
  assert.deepEqual([monitorUnset.url_path, monitorUnset.expected_codes, monitorUnset.http_method], ['/', '200', 'GET'])

  // Statistics and the status tree: the whole graph, every object ACTIVE.
  const [stats, status] = await Promise.all([
    cli(['listener', 'stats', 'show', 'web']),
    openstack(endpoint, ['loadbalancer', 'status', 'show', lbId]),
  ])
  assert.deepEqual(stats, { active_connections: 0, bytes_in: 0, bytes_out: 0, request_errors: 0, total_connections: 0 })
  assert.equal(status.code, 0, status.stderr)
  const tree = JSON.parse(status.stdout) as { loadbalancer: Json & { listeners: Array<Json & { pools: Array<Json & { members: Json[]; health_monitor: Json }> }> } }
  assert.deepEqual([tree.loadbalancer.id, tree.loadbalancer.provisioning_status], [lbId, 'ACTIVE'])
  const [treeListener] = tree.loadbalancer.listeners
  assert.deepEqual([treeListener?.id, treeListener?.name, treeListener?.provisioning_status], [listenerId, 'web', 'ACTIVE'])
  const [treePool] = treeListener!.pools
  assert.deepEqual([treePool?.id, treePool?.provisioning_status], [poolId, 'ACTIVE'])
  assert.deepEqual(treePool!.health_monitor, { id: monitorId, name: 'probe', type: 'HTTP', provisioning_status: 'ACTIVE', operating_status: treePool!.health_monitor.operating_status })
  assert.deepEqual(treePool!.members.map((m) => [m.id, m.address, m.protocol_port, m.provisioning_status]), [[memberId, '127.0.0.2', 8080, 'ACTIVE']])

  // Deletes, leaves first; each --wait returns once the object answers 404.
  await run(['healthmonitor', 'delete', '--wait', 'probe'])
  await run(['member', 'delete', '--wait', 'backend', 'app1'])
  await run(['pool', 'delete', '--wait', 'backend'])
  await run(['listener', 'delete', '--wait', 'web'])
  assert.deepEqual(await get(`loadbalancers/${lbId}`, 'loadbalancer').then((l) => [l.provisioning_status, l.listeners, l.pools]), ['ACTIVE', [], []])
  await run(['delete', '--wait', lbId])
  assert.equal((await fetch(`${endpoint}/v2/lbaas/loadbalancers/${lbId}`)).status, 404)
  assert.equal(await service.stop(), 0)
})
