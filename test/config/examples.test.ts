import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { loadConfig } from '../../src/config/load-config.ts'
import { EXAMPLES } from './pillar-files.ts'

const ALL_IN_ONE = join(EXAMPLES, 'all-in-one.yaml')
const SPLIT = ['api', 'manager', 'agent'].map((role) => join(EXAMPLES, 'split', `${role}.yaml`))

test('every example loads without warnings', () => {
  for (const file of [ALL_IN_ONE, ...SPLIT]) {
    const { warnings } = loadConfig({ files: [file], env: {} })
    assert.deepEqual(warnings, [], file)
  }
})

test('the all-in-one example is the embedded default written out', () => {
  const { sources, ...fromFile } = loadConfig({ files: [ALL_IN_ONE], env: {} }).config
  const { sources: none, ...embedded } = loadConfig({ env: {} }).config
  assert.deepEqual(sources, [ALL_IN_ONE])
  assert.deepEqual(none, [])
  assert.deepEqual(fromFile, embedded)
})

test('the split example runs one role per host and its files agree with each other', () => {
  const [api, manager, agent] = SPLIT.map((file) => loadConfig({ files: [file], env: {} }).config)
  assert.deepEqual(api!.roles, { api: true, manager: false, agent: false })
  assert.deepEqual(manager!.roles, { api: false, manager: true, agent: false })
  assert.deepEqual(agent!.roles, { api: false, manager: false, agent: true })
  assert.equal(api!.database.engine, 'mysql')
  assert.equal(api!.identity.engine, 'keystone')
  assert.equal(manager!.message_queue.engine, 'rabbitmq')
  assert.deepEqual(agent!.agent.controllers, [`${manager!.health_manager.bind_ip}:${manager!.health_manager.bind_port}`])
  assert.equal(agent!.health_manager.heartbeat_key, manager!.health_manager.heartbeat_key)
  assert.deepEqual(agent!.networks, api!.networks)
  // Loading all three at once checks every shared key for agreement.
  const together = loadConfig({ files: SPLIT, env: {} })
  assert.deepEqual(together.warnings, [])
  assert.deepEqual(together.config.roles, { api: true, manager: true, agent: true })
})

test('the examples use only loopback and documentation addresses', () => {
  const allowed = [/^127\./, /^192\.0\.2\./, /^198\.51\.100\./]
  for (const file of [ALL_IN_ONE, ...SPLIT]) {
    const addresses = readFileSync(file, 'utf8').match(/\b\d{1,3}(\.\d{1,3}){3}\b/g) ?? []
    assert.ok(addresses.length > 0)
    for (const address of addresses) assert.ok(allowed.some((range) => range.test(address)), `${file}: ${address}`)
  }
})
