import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test, type TestContext } from 'node:test'
import { DEFAULT_SUBNET_ID } from '../../../src/config/defaults.ts'
import { scratchDir } from '../../helpers/run-octavia.ts'
import { startApi } from '../../helpers/api-harness.ts'
import { createShapes, identity, LBAAS } from './rbac-fixtures.ts'

const UNKNOWN = '00000000-0000-4000-8000-000000000000'

function policyFile(t: TestContext, lines: string[]): string {
  const file = join(scratchDir(t), 'policy.yaml')
  writeFileSync(file, `${lines.join('\n')}\n`)
  return file
}

test('an operator policy file changes what the API allows: admin-only show, an auditor role that lists every project', async (t) => {
  const file = policyFile(t, [
    '"os_load-balancer_api:loadbalancer:get_one": "rule:load-balancer:admin"',
    '"os_load-balancer_api:loadbalancer:get_all-global": "rule:load-balancer:read-global or role:auditor"',
  ])
  const { app } = await startApi(t, { sets: ['octavia.identity.engine=headers', `octavia.oslo_policy.policy_file=${file}`] })
  const owner = identity('p1', ['member'])
  const shapes = await createShapes(app, identity('p1', ['admin']), 'overridden')
  const show = (headers: Record<string, string>) => app.inject({ method: 'GET', url: `${LBAAS}/loadbalancers/${shapes.lb}`, headers })
  assert.equal((await show(owner)).statusCode, 403)
  assert.equal((await show(identity('ops', ['admin']))).statusCode, 200)
  // Not overridden: the owner still lists its own.
  const list = await app.inject({ method: 'GET', url: `${LBAAS}/loadbalancers`, headers: owner })
  assert.deepEqual((list.json() as { loadbalancers: Array<{ id: string }> }).loadbalancers.map((lb) => lb.id), [shapes.lb])
  const audit = await app.inject({ method: 'GET', url: `${LBAAS}/loadbalancers`, headers: identity('audit', ['auditor']) })
  assert.deepEqual((audit.json() as { loadbalancers: Array<{ id: string }> }).loadbalancers.map((lb) => lb.id), [shapes.lb])
})

test('under noauth the policy file still applies (every caller is admin, but "!" refuses everybody)', async (t) => {
  const file = policyFile(t, ['"os_load-balancer_api:loadbalancer:put_failover": "!"'])
  const { app } = await startApi(t, { sets: [`octavia.oslo_policy.policy_file=${file}`] })
  const created = await app.inject({ method: 'POST', url: `${LBAAS}/loadbalancers`, payload: { loadbalancer: { vip_subnet_id: DEFAULT_SUBNET_ID } } })
  assert.equal(created.statusCode, 201, created.body)
  const id = (created.json() as { loadbalancer: { id: string } }).loadbalancer.id
  const res = await app.inject({ method: 'PUT', url: `${LBAAS}/loadbalancers/${id}/failover` })
  assert.equal(res.statusCode, 403, res.body)
  assert.equal((await app.inject({ method: 'PUT', url: `${LBAAS}/loadbalancers/${UNKNOWN}/failover` })).statusCode, 404)
})
