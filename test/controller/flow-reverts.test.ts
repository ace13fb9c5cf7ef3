import { test } from 'node:test'
import assert from 'node:assert/strict'
import { systemClock } from '../../src/common/clock.ts'
import { DEFAULT_SUBNET_ID } from '../../src/config/defaults.ts'
import { flow, type Flow } from '../../src/controller/flow.ts'
import { ALL_FLOWS } from '../../src/controller/flows/all-flows.ts'
import { PermanentError } from '../../src/controller/permanent-error.ts'
import { databaseTask } from '../../src/controller/task.ts'
import { AmphoraRepository } from '../../src/db/repositories/amphora-repository.ts'
import { startApi, type ApiHarness } from '../helpers/api-harness.ts'
import { ENGINES } from '../helpers/test-database.ts'

// Every flow with a task that fails for good just before its last one: the reverts must leave
// the statuses of spec/flows.md (§1.3 and each flow's checkpoint), nothing PENDING_*, no address
// still allocated for a load balancer whose create was undone, and the reason on the job.

type Json = Record<string, unknown>
const V2 = '/v2/lbaas'

/** The real flows, each with `test.fail` before its last task; it fails while its job's kind is in `failing`. */
function failingFlows(failing: Set<string>): Flow[] {
  const fail = databaseTask('test.fail', async (_trx, { job }) => {
    if (failing.has(job.kind)) throw new PermanentError(`injected failure in ${job.kind}`)
  })
  return ALL_FLOWS.map((f) => flow(f.kind, [...f.tasks.slice(0, -1), fail, ...f.tasks.slice(-1)]))
}

async function statuses(api: ApiHarness, table: 'load_balancer' | 'listener' | 'pool' | 'member' | 'health_monitor' | 'l7policy' | 'l7rule',
  ids: string[]): Promise<string[]> {
  const rows = await api.deps.db.kysely.selectFrom(table).select(['id', 'provisioning_status']).where('id', 'in', ids).execute()
  return ids.map((id) => rows.find((r) => r.id === id)?.provisioning_status ?? 'gone')
}

for (const engine of ENGINES) {
  test(`a failed flow leaves the statuses of spec/flows.md on ${engine}`, async (t) => {
    const failing = new Set<string>()
    const api = await startApi(t, { engine, flows: failingFlows(failing) })
    const post = async (path: string, body: Json, status = 201): Promise<Json> => {
      const res = await api.app.inject({ method: 'POST', url: `${V2}/${path}`, payload: body })
      assert.equal(res.statusCode, status, res.body)
      return res.json() as Json
    }
    const put = async (path: string, body: Json, status: number) => {
      const res = await api.app.inject({ method: 'PUT', url: `${V2}/${path}`, payload: body })
      assert.equal(res.statusCode, status, res.body)
    }
    /** Waits until every job of the LB has ended; returns the last one. */
    const settled = async (lbId: string) => {
      for (let i = 0; i < 1000; i++) {
        const jobs = await api.deps.jobs.listByLoadBalancer(lbId)
        if (jobs.every((j) => j.state !== 'pending' && j.state !== 'running')) return jobs.at(-1)!
        await new Promise((r) => setTimeout(r, 10))
      }
      throw new Error(`jobs of ${lbId} never ended`)
    }
    const failWith = async <T>(kind: string, action: () => Promise<T>): Promise<T> => {
      failing.add(kind)
      try {
        return await action()
      } finally {
        failing.delete(kind)
      }
    }
    const expectReverted = async (lbId: string, kind: string) => {
      const job = await settled(lbId)
      assert.deepEqual([job.kind, job.state, job.failed_step, job.last_error], [kind, 'reverted', 'test.fail', `injected failure in ${kind}`])
    }
    const createLoadBalancer = async (extra: Json = {}) => {
      const { loadbalancer } = await post('loadbalancers', { loadbalancer: { vip_subnet_id: DEFAULT_SUBNET_ID, ...extra } }) as { loadbalancer: Json }
      return loadbalancer
    }

    await t.test('load balancer create (single call with a listener, pool, member and monitor): the whole tree ERROR, the VIP freed', async () => {
      const lb = await failWith('loadbalancer.create', async () => {
        const created = await createLoadBalancer({
          listeners: [{ protocol: 'HTTP', protocol_port: 80, default_pool: {
            name: 'web', protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', members: [{ address: '127.0.0.10', protocol_port: 8080 }],
            healthmonitor: { type: 'HTTP', delay: 5, timeout: 3, max_retries: 3 },
          } }],
        })
        await expectReverted(String(created.id), 'loadbalancer.create')
        return created
      })
      const lbId = String(lb.id)
      const listener = (lb.listeners as Json[])[0]!
      const poolId = String((lb.pools as Json[])[0]!.id)
      const member = await api.deps.db.kysely.selectFrom('member').select('id').where('pool_id', '=', poolId).executeTakeFirstOrThrow()
      const monitor = await api.deps.db.kysely.selectFrom('health_monitor').select('id').where('pool_id', '=', poolId).executeTakeFirstOrThrow()
      assert.deepEqual(await statuses(api, 'load_balancer', [lbId]), ['ERROR'])
      assert.deepEqual(await statuses(api, 'listener', [String(listener.id)]), ['ERROR'])
      assert.deepEqual(await statuses(api, 'pool', [poolId]), ['ERROR'])
      assert.deepEqual(await statuses(api, 'member', [member.id]), ['ERROR'])
      assert.deepEqual(await statuses(api, 'health_monitor', [monitor.id]), ['ERROR'])
      assert.deepEqual(await api.deps.ports.list({ device_id: lbId }), [], 'spec/flows.md §4.1 step 3 revert: the VIP port is deallocated')
      // An LB in ERROR can still be deleted, with everything under it.
      const del = await api.app.inject({ method: 'DELETE', url: `${V2}/loadbalancers/${lbId}?cascade=true` })
      assert.equal(del.statusCode, 204)
      await settled(lbId)
      assert.deepEqual(await statuses(api, 'load_balancer', [lbId]), ['DELETED'])
    })

    // One ACTIVE load balancer with a listener, a pool and a member for the child flows.
    const lb = await createLoadBalancer()
    const lbId = String(lb.id)
    await settled(lbId)
    const { listener } = await post('listeners', { listener: { loadbalancer_id: lbId, protocol: 'HTTP', protocol_port: 80 } }) as { listener: Json }
    await settled(lbId)
    const { pool } = await post('pools', { pool: { listener_id: listener.id, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } }) as { pool: Json }
    await settled(lbId)
    const poolId = String(pool.id)
    await post(`pools/${poolId}/members`, { member: { address: '127.0.0.20', protocol_port: 80 } })
    await settled(lbId)
    const allActive = async () => {
      assert.deepEqual(await statuses(api, 'load_balancer', [lbId]), ['ACTIVE'])
      assert.deepEqual(await statuses(api, 'listener', [String(listener.id)]), ['ACTIVE'])
      assert.deepEqual(await statuses(api, 'pool', [poolId]), ['ACTIVE'])
    }
    await allActive()

    await t.test('listener create: every listener of the load balancer ERROR (upstream\'s quirk), the LB ACTIVE', async () => {
      const { listener: second } = await failWith('listener.create', async () => {
        const created = await post('listeners', { listener: { loadbalancer_id: lbId, protocol: 'TCP', protocol_port: 81 } })
        await expectReverted(lbId, 'listener.create')
        return created as { listener: Json }
      })
      assert.deepEqual(await statuses(api, 'listener', [String(listener.id), String(second.id)]), ['ERROR', 'ERROR'])
      assert.deepEqual(await statuses(api, 'load_balancer', [lbId]), ['ACTIVE'])
      // Repair for the next cases: an update of the first listener brings it back.
      await put(`listeners/${String(listener.id)}`, { listener: { name: 'again' } }, 200)
      await settled(lbId)
      await allActive()
    })

    await t.test('pool update: the pool ERROR, its listener and the LB ACTIVE', async () => {
      await failWith('pool.update', async () => {
        await put(`pools/${poolId}`, { pool: { name: 'renamed' } }, 200)
        await expectReverted(lbId, 'pool.update')
      })
      assert.deepEqual(await statuses(api, 'pool', [poolId]), ['ERROR'])
      assert.deepEqual(await statuses(api, 'listener', [String(listener.id)]), ['ACTIVE'])
      assert.deepEqual(await statuses(api, 'load_balancer', [lbId]), ['ACTIVE'])
      await put(`pools/${poolId}`, { pool: { name: 'again' } }, 200)
      await settled(lbId)
      await allActive()
    })

    await t.test('member create: the member ERROR, its pool, listener and the LB ACTIVE', async () => {
      const { member: created } = await failWith('member.create', async () => {
        const made = await post(`pools/${poolId}/members`, { member: { address: '127.0.0.21', protocol_port: 80 } })
        await expectReverted(lbId, 'member.create')
        return made as { member: Json }
      })
      assert.deepEqual(await statuses(api, 'member', [String(created.id)]), ['ERROR'])
      await allActive()
    })

    await t.test('member batch update: new and changed members ERROR, removed ones gone, the parents ACTIVE', async () => {
      await failWith('member.batch_update', async () => {
        await put(`pools/${poolId}/members`, { members: [
          { address: '127.0.0.20', protocol_port: 80, weight: 5 },
          { address: '127.0.0.22', protocol_port: 80 },
        ] }, 202)
        await expectReverted(lbId, 'member.batch_update')
      })
      const after = await api.deps.db.kysely.selectFrom('member').select(['ip_address', 'provisioning_status']).where('pool_id', '=', poolId).orderBy('ip_address').execute()
      assert.deepEqual(after, [
        { ip_address: '127.0.0.20', provisioning_status: 'ERROR' },
        { ip_address: '127.0.0.22', provisioning_status: 'ERROR' },
      ], 'the removed member (127.0.0.21) was deleted before the failure')
      await allActive()
    })

    await t.test('health monitor create: the monitor ERROR, the parents ACTIVE', async () => {
      const { healthmonitor } = await failWith('healthmonitor.create', async () => {
        const made = await post('healthmonitors', { healthmonitor: { pool_id: poolId, type: 'TCP', delay: 5, timeout: 3, max_retries: 3 } })
        await expectReverted(lbId, 'healthmonitor.create')
        return made as { healthmonitor: Json }
      })
      assert.deepEqual(await statuses(api, 'health_monitor', [String(healthmonitor.id)]), ['ERROR'])
      await allActive()
    })

    await t.test('L7 policy create: the policy ERROR, its listener and the LB ACTIVE', async () => {
      const { l7policy } = await failWith('l7policy.create', async () => {
        const made = await post('l7policies', { l7policy: { listener_id: listener.id, action: 'REJECT' } })
        await expectReverted(lbId, 'l7policy.create')
        return made as { l7policy: Json }
      })
      assert.deepEqual(await statuses(api, 'l7policy', [String(l7policy.id)]), ['ERROR'])
      await allActive()
    })

    await t.test('L7 rule create: the rule ERROR, its policy, listener and the LB ACTIVE', async () => {
      const { l7policy } = await post('l7policies', { l7policy: { listener_id: listener.id, action: 'REJECT' } }) as { l7policy: Json }
      await settled(lbId)
      const policyId = String(l7policy.id)
      const { rule } = await failWith('l7rule.create', async () => {
        const made = await post(`l7policies/${policyId}/rules`, { rule: { type: 'PATH', compare_type: 'STARTS_WITH', value: '/api' } })
        await expectReverted(lbId, 'l7rule.create')
        return made as { rule: Json }
      })
      assert.deepEqual(await statuses(api, 'l7rule', [String(rule.id)]), ['ERROR'])
      assert.deepEqual(await statuses(api, 'l7policy', [policyId]), ['ACTIVE'])
      await allActive()
    })

    await t.test('amphora failover: the amphora ERROR, then the load balancer ERROR (spec/flows.md §7.1)', async () => {
      const amphorae = new AmphoraRepository(api.deps.db, systemClock)
      const amphora = await amphorae.create({ load_balancer_id: lbId, role: 'STANDALONE', status: 'ALLOCATED' })
      await failWith('amphora.failover', async () => {
        const res = await api.app.inject({ method: 'PUT', url: `/v2/octavia/amphorae/${amphora.id}/failover` })
        assert.equal(res.statusCode, 202, res.body)
        await expectReverted(lbId, 'amphora.failover')
      })
      assert.equal((await amphorae.get(amphora.id))?.status, 'ERROR')
      assert.deepEqual(await statuses(api, 'load_balancer', [lbId]), ['ERROR'])
      // A load balancer failover is accepted from ERROR and brings the tree back.
      const res = await api.app.inject({ method: 'PUT', url: `${V2}/loadbalancers/${lbId}/failover` })
      assert.equal(res.statusCode, 202, res.body)
      await settled(lbId)
      await allActive()
    })

    await t.test('listener delete failing after the row went: the LB ACTIVE', async () => {
      await failWith('listener.delete', async () => {
        const res = await api.app.inject({ method: 'DELETE', url: `${V2}/listeners/${String(listener.id)}` })
        assert.equal(res.statusCode, 204)
        await expectReverted(lbId, 'listener.delete')
      })
      // The delete task ran before the failure: the row went, and a DB delete has nothing to revert (upstream alike).
      assert.deepEqual(await statuses(api, 'listener', [String(listener.id)]), ['gone'])
      assert.deepEqual(await statuses(api, 'load_balancer', [lbId]), ['ACTIVE'])
    })

    await t.test('load balancer cascade delete: the LB ERROR, its children and VIP gone', async () => {
      await failWith('loadbalancer.delete', async () => {
        const res = await api.app.inject({ method: 'DELETE', url: `${V2}/loadbalancers/${lbId}?cascade=true` })
        assert.equal(res.statusCode, 204)
        await expectReverted(lbId, 'loadbalancer.delete')
      })
      assert.deepEqual(await statuses(api, 'load_balancer', [lbId]), ['ERROR'])
      assert.deepEqual(await statuses(api, 'pool', [poolId]), ['gone'])
      assert.deepEqual(await api.deps.ports.list({ device_id: lbId }), [])
      const pending = await api.deps.db.kysely.selectFrom('member').select('id')
        .where('provisioning_status', 'in', ['PENDING_CREATE', 'PENDING_UPDATE', 'PENDING_DELETE']).execute()
      assert.deepEqual(pending, [])
    })
  })
}
