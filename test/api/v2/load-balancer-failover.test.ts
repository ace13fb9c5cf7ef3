import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { FastifyRequest } from 'fastify'
import { Forbidden, noauthAccess, type PolicyAction } from '../../../src/api/access/access.ts'
import { DEFAULT_SUBNET_ID } from '../../../src/config/defaults.ts'
import { AmphoraRepository } from '../../../src/db/repositories/amphora-repository.ts'
import { startApi, type ApiHarness } from '../../helpers/api-harness.ts'
import { countRows, seedListener, seedPool } from '../../helpers/db-seed.ts'

// spec/api-v2.md §8.7 (load balancer failover) and how it relates to the amphora failover of §15:
// two job kinds, as flows.md §2 has two worker methods, ending with the same step.

const LBS = '/v2/lbaas/loadbalancers'

type Json = Record<string, unknown>

async function activeLoadBalancer(api: ApiHarness): Promise<string> {
  const res = await api.app.inject({ method: 'POST', url: LBS, headers: { 'x-project-id': 'owner' }, payload: { loadbalancer: { vip_subnet_id: DEFAULT_SUBNET_ID } } })
  assert.equal(res.statusCode, 201, res.body)
  const id = String((res.json() as { loadbalancer: Json }).loadbalancer.id)
  await settled(api, id)
  return id
}

async function settled(api: ApiHarness, id: string): Promise<void> {
  await api.until(`${LBS}/${id}`, (b) => (b.loadbalancer as Json).provisioning_status === 'ACTIVE')
}

function fault(res: { statusCode: number; json(): unknown }): { status: number; faultstring: string } {
  return { status: res.statusCode, faultstring: (res.json() as { faultstring: string }).faultstring }
}

async function status(api: ApiHarness, table: 'load_balancer' | 'pool' | 'listener', id: string): Promise<string | undefined> {
  const row = await api.deps.db.kysely.selectFrom(table as 'pool').select('provisioning_status').where('id', '=', id).executeTakeFirst()
  return row?.provisioning_status
}

test('LB failover: 404, 409 for any PENDING_*, 400 for an unknown argument or a provider no longer enabled; nothing written', async (t) => {
  const api = await startApi(t)
  const id = await activeLoadBalancer(api)
  const failover = (lbId: string, query = '') => api.app.inject({ method: 'PUT', url: `${LBS}/${lbId}/failover${query}` })
  const jobs = await countRows(api.deps.db.kysely, 'jobs')

  assert.deepEqual(fault(await failover('no-such-lb')), { status: 404, faultstring: 'Load Balancer no-such-lb not found.' })
  for (const pending of ['PENDING_CREATE', 'PENDING_UPDATE', 'PENDING_DELETE'] as const) {
    await api.deps.loadBalancers.setProvisioningStatus(id, pending)
    assert.deepEqual(fault(await failover(id)), { status: 409, faultstring: `Invalid state ${pending} of loadbalancer resource ${id}` })
    assert.equal(await status(api, 'load_balancer', id), pending)
  }
  await api.deps.loadBalancers.setProvisioningStatus(id, 'ACTIVE')
  assert.deepEqual(fault(await failover(id, '?cascade=true')), { status: 400, faultstring: 'Unknown argument: "cascade"' })
  await api.deps.db.kysely.updateTable('load_balancer').set({ provider: 'retired' }).where('id', '=', id).execute()
  assert.deepEqual(fault(await failover(id)), { status: 400, faultstring: "Provider 'retired' is not enabled." })
  assert.equal(await countRows(api.deps.db.kysely, 'jobs'), jobs)

  await api.deps.loadBalancers.markDeleted(id)
  assert.deepEqual(fault(await failover(id)), { status: 404, faultstring: `Load Balancer ${id} not found.` })
})

test('LB failover of an ERROR load balancer: 202 (body ignored), PENDING_UPDATE, one loadbalancer.failover job, then the whole tree ACTIVE', async (t) => {
  const api = await startApi(t)
  const id = await activeLoadBalancer(api)
  const db = api.deps.db.kysely
  const brokenPool = await seedPool(db, id, { project_id: 'owner', provisioning_status: 'ERROR' })
  const brokenListener = await seedListener(db, id, { project_id: 'owner', provisioning_status: 'ERROR' })
  await api.deps.loadBalancers.setProvisioningStatus(id, 'ERROR')

  const res = await api.app.inject({ method: 'PUT', url: `/v2.0/loadbalancers/${id}/failover`, payload: { loadbalancer: { name: 'ignored' } } })
  assert.equal(res.statusCode, 202)
  assert.equal(res.body, '')
  assert.ok(['PENDING_UPDATE', 'ACTIVE'].includes(String(await status(api, 'load_balancer', id))))
  await settled(api, id)
  assert.equal(await status(api, 'pool', brokenPool), 'ACTIVE')
  assert.equal(await status(api, 'listener', brokenListener), 'ACTIVE')
  const [job] = await db.selectFrom('jobs').selectAll().where('kind', '=', 'loadbalancer.failover').execute()
  assert.deepEqual([job?.target_type, job?.target_id, job?.load_balancer_id, job?.state], ['loadbalancer', id, id, 'succeeded'])
  assert.equal((await api.deps.loadBalancers.get(id))?.name, null)
})

test('amphora failover, unlike the LB\'s, needs an ACTIVE load balancer; it ends the same way, repairing children in ERROR', async (t) => {
  const api = await startApi(t)
  const id = await activeLoadBalancer(api)
  const db = api.deps.db.kysely
  const amphora = await new AmphoraRepository(api.deps.db, api.deps.clock).create({ load_balancer_id: id, role: 'STANDALONE', status: 'ALLOCATED' })
  const brokenPool = await seedPool(db, id, { project_id: 'owner', provisioning_status: 'ERROR' })
  const failover = () => api.app.inject({ method: 'PUT', url: `/v2/octavia/amphorae/${amphora.id}/failover` })

  await api.deps.loadBalancers.setProvisioningStatus(id, 'ERROR')
  assert.deepEqual(fault(await failover()), { status: 409, faultstring: `Load Balancer ${id} is immutable and cannot be updated.` })
  await api.deps.loadBalancers.setProvisioningStatus(id, 'ACTIVE')
  assert.equal((await failover()).statusCode, 202)
  await api.until(`/v2/lbaas/pools/${brokenPool}`, (b) => (b.pool as Json | undefined)?.provisioning_status === 'ACTIVE')
  await settled(api, id)
  const kinds = await db.selectFrom('jobs').select(['kind', 'target_type', 'state']).where('kind', 'like', '%failover').execute()
  assert.deepEqual(kinds, [{ kind: 'amphora.failover', target_type: 'amphora', state: 'succeeded' }])
})

test('LB failover policy: loadbalancer:put_failover against the LB\'s project, after the lookup', async (t) => {
  const api = await startApi(t)
  const id = await activeLoadBalancer(api)
  const calls: Array<[PolicyAction, string | null]> = []
  api.deps.access = {
    ...noauthAccess,
    enforce: (_req: FastifyRequest, action: PolicyAction, target: string | null) => {
      calls.push([action, target])
      throw new Forbidden()
    },
  }
  assert.deepEqual(fault(await api.app.inject({ method: 'PUT', url: `${LBS}/no-such-lb/failover` })), { status: 404, faultstring: 'Load Balancer no-such-lb not found.' })
  assert.deepEqual(fault(await api.app.inject({ method: 'PUT', url: `${LBS}/${id}/failover` })), { status: 403, faultstring: 'Policy does not allow this request to be performed.' })
  assert.deepEqual(calls, [['loadbalancer:put_failover', 'owner']])
  assert.equal(await status(api, 'load_balancer', id), 'ACTIVE')
})
