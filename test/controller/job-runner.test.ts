import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createLogger } from '../../src/common/logger.ts'
import { systemClock } from '../../src/common/clock.ts'
import { loadConfig } from '../../src/config/load-config.ts'
import { JobRepository } from '../../src/db/repositories/job-repository.ts'
import { LoadBalancerRepository } from '../../src/db/repositories/load-balancer-repository.ts'
import { PortRepository } from '../../src/db/repositories/port-repository.ts'
import { LOAD_BALANCER_FLOWS } from '../../src/controller/flows/load-balancer-flows.ts'
import { startJobRunner } from '../../src/controller/job-runner.ts'
import type { Flow, FlowContext } from '../../src/controller/flow.ts'
import { ENGINES, withTestDatabase } from '../helpers/test-database.ts'

/** Polls `read` until `done` holds (the runner works asynchronously); fails after `tries`. */
async function eventually<T>(read: () => Promise<T>, done: (v: T) => boolean, tries = 200): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const value = await read()
    if (done(value)) return value
    await new Promise((r) => setImmediate(r))
  }
  throw new Error('condition never held')
}

for (const engine of ENGINES) {
  test(`the in-process runner completes create and cascade-delete jobs on ${engine}`, async (t) => {
    const db = await withTestDatabase(t, engine)
    const { config } = loadConfig({ files: [], env: {} })
    const subnet = config.networks[0]!
    const context: FlowContext = {
      db, clock: systemClock, log: createLogger({ level: 'silent' }),
      loadBalancers: new LoadBalancerRepository(db, systemClock), ports: new PortRepository(db, systemClock),
    }
    const jobs = new JobRepository(db, systemClock)
    const runner = startJobRunner({ context, flows: LOAD_BALANCER_FLOWS, pollMs: 20 })
    t.after(() => runner.stop())

    const lb = await db.transaction(async (trx) => {
      const port = await context.ports.allocate({ subnet, device_owner: 'octavia:vip', device_id: 'x' }, trx)
      const created = await context.loadBalancers.create({
        project_id: 'p1', name: 'lb', provider: 'noop_driver',
        vip: { ip_address: port.ip_address, port_id: port.id, subnet_id: subnet.id, network_id: subnet.network_id },
      }, trx)
      await context.ports.update(port.id, { device_id: created.id }, trx)
      await jobs.enqueue(trx, { kind: 'loadbalancer.create', target_type: 'loadbalancer', target_id: created.id, load_balancer_id: created.id })
      return created
    })
    runner.wake()
    const active = await eventually(() => context.loadBalancers.get(lb.id), (l) => l?.provisioning_status === 'ACTIVE')
    assert.equal(active?.operating_status, 'OFFLINE', 'only the health manager turns a load balancer ONLINE')

    await db.transaction(async (trx) => {
      await context.loadBalancers.setProvisioningStatus(lb.id, 'PENDING_DELETE', {}, trx)
      await jobs.enqueue(trx, { kind: 'loadbalancer.delete', target_type: 'loadbalancer', target_id: lb.id, load_balancer_id: lb.id })
    })
    runner.wake()
    const deleted = await eventually(() => context.loadBalancers.get(lb.id), (l) => l?.provisioning_status === 'DELETED')
    assert.ok(deleted)
    assert.deepEqual(await context.ports.list({ device_id: lb.id }), [], 'the VIP address is released')
    // The job ends just after its last step (one transaction for both comes with the durable worker).
    const done = await eventually(() => jobs.listByLoadBalancer(lb.id), (js) => js.every((j) => j.state !== 'running'))
    assert.deepEqual(done.map((j) => [j.kind, j.state]), [['loadbalancer.create', 'succeeded'], ['loadbalancer.delete', 'succeeded']])
    assert.deepEqual((await jobs.steps(done[1]!.id)).map((s) => s.step_name), ['loadbalancer.delete-children', 'network.release-vip', 'loadbalancer.mark-deleted'])
  })
}

test('a failing step ends the job failed and marks the load balancer ERROR, never leaving it PENDING', async (t) => {
  const db = await withTestDatabase(t, 'sqlite')
  const context: FlowContext = {
    db, clock: systemClock, log: createLogger({ level: 'silent' }),
    loadBalancers: new LoadBalancerRepository(db, systemClock), ports: new PortRepository(db, systemClock),
  }
  const broken: Flow = {
    kind: 'loadbalancer.create',
    steps: [{ name: 'explode', execute: async () => { throw new Error('boom') } }],
    onFailure: async (ctx, job) => void (await ctx.loadBalancers.setProvisioningStatus(job.target_id, 'ERROR')),
  }
  const runner = startJobRunner({ context, flows: [broken], pollMs: 20 })
  t.after(() => runner.stop())
  const jobs = new JobRepository(db, systemClock)
  const lb = await db.transaction(async (trx) => {
    const created = await context.loadBalancers.create({ project_id: 'p1', vip: { ip_address: '127.64.0.9' } }, trx)
    await jobs.enqueue(trx, { kind: 'loadbalancer.create', target_type: 'loadbalancer', target_id: created.id, load_balancer_id: created.id })
    return created
  })
  runner.wake()
  await eventually(() => context.loadBalancers.get(lb.id), (l) => l?.provisioning_status === 'ERROR')
  const [job] = await eventually(() => jobs.listByLoadBalancer(lb.id), (js) => js[0]?.state !== 'running')
  assert.equal(job?.state, 'failed')
  assert.equal(job?.last_error, 'boom')
})
