import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createLogger } from '../../../src/common/logger.ts'
import { createFlowContext } from '../../../src/controller/flow-context.ts'
import type { TaskRun } from '../../../src/controller/task.ts'
import { allocateAmphora, applyAmphoraConfig, createAmphoraOnAgent } from '../../../src/controller/tasks/amphora-data-plane-tasks.ts'
import type { Job, JsonValue } from '../../../src/db/repositories/job-repository.ts'
import { AgentRepository } from '../../../src/db/repositories/agent-repository.ts'
import { LocalAgentCompute } from '../../../src/drivers/compute/local-agent-compute.ts'
import { SETTINGS } from '../../amphora/graph-fixtures.ts'
import { AGENT_NAME, agentWorkDir, clientCertificate, freeVip, get, httpBackend, startTestAgent } from '../../agent/agent-harness.ts'
import { seedMember } from '../../helpers/db-seed.ts'
import { TestClock } from '../../helpers/test-clock.ts'
import { withTestDatabase } from '../../helpers/test-database.ts'

test('the amphora tasks put a load balancer from the database on a host agent, and take it back on revert', async (t) => {
  const cwd = agentWorkDir(t)
  const agentProcess = await startTestAgent(t, cwd)
  const db = await withTestDatabase(t, 'sqlite')
  const clock = new TestClock()
  const agents = new AgentRepository(db, clock)
  const agent = await agents.register({ name: AGENT_NAME, address: '127.0.0.1', port: agentProcess.port, capacity: 10 })
  const ctx0 = createFlowContext({ db, clock, log: createLogger({ level: 'silent' }) })
  const compute = new LocalAgentCompute({
    agents, amphorae: ctx0.amphorae, tls: await clientCertificate(cwd),
    retries: { max_retries: 1, retry_interval: 0, conn_timeout: 10, read_timeout: 30 },
  })
  t.after(() => compute.close())
  const { max_connections: _m, ping_wrapper: _p, ...haproxy } = SETTINGS
  const ctx = createFlowContext({
    db, clock, log: createLogger({ level: 'silent' }),
    dataPlane: { compute, haproxy, amp_flavor_id: 'small', amp_image_tag: 'haproxy-2.6' },
  })

  const a = await httpBackend(t, '127.0.0.2', 'a')
  const b = await httpBackend(t, '127.0.0.3', 'b')
  const vip = freeVip()
  const lb = await ctx.loadBalancers.create({
    project_id: 'project-a', name: 'web', description: null, topology: 'SINGLE', provider: 'amphora',
    vip: { ip_address: vip.address, port_id: null, subnet_id: null, network_id: null },
  })
  const pool = await ctx.pools.create({ project_id: 'project-a', name: null, description: null, load_balancer_id: lb.id, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' })
  await ctx.listeners.create({
    project_id: 'project-a', name: null, description: null, load_balancer_id: lb.id, protocol: 'HTTP', protocol_port: vip.port, connection_limit: null,
    default_pool_id: pool.id,
  })
  await seedMember(db.kysely, pool.id, { ip_address: '127.0.0.2', protocol_port: a.port })
  const memberB = await seedMember(db.kysely, pool.id, { ip_address: '127.0.0.3', protocol_port: b.port })

  const results: Record<string, JsonValue> = {}
  const job = { id: 'job-1', kind: 'loadbalancer.create', target_type: 'loadbalancer', target_id: lb.id, load_balancer_id: lb.id, payload: {} } as unknown as Job
  const run: TaskRun = { ctx, job, result: (name) => results[name] }

  results['amphora.allocate'] = (await db.transaction((trx) => allocateAmphora.execute(trx, run))) as JsonValue
  const { amphora_id, agent_id } = results['amphora.allocate'] as { amphora_id: string; agent_id: string }
  assert.equal(agent_id, agent.id)
  const row = await ctx.amphorae.get(amphora_id)
  assert.deepEqual([row?.status, row?.role, row?.compute_id, row?.lb_network_ip, row?.compute_flavor, row?.image_id],
    ['ALLOCATED', 'STANDALONE', agent.id, '127.0.0.1', 'small', 'haproxy-2.6'])
  // A rerun (after a crash) finds the same amphora.
  assert.deepEqual(await db.transaction((trx) => allocateAmphora.execute(trx, run)), results['amphora.allocate'])

  results['amphora.create-on-agent'] = (await createAmphoraOnAgent.execute(run)) as JsonValue
  await createAmphoraOnAgent.execute(run)
  const applied = (await applyAmphoraConfig.execute(run)) as { pid: number }
  assert.ok(applied.pid > 0)
  const url = `http://${vip.address}:${vip.port}/`
  const answers = new Set<string>()
  for (let i = 0; i < 4; i++) answers.add(await get(url))
  assert.deepEqual(answers, new Set(['a', 'b']))

  // A change in the database reaches the amphora with the next apply (hitless reload: same
  // master), also from a later flow (a member update) that finds the amphora by its load balancer.
  await ctx.members.update(memberB, { enabled: false })
  const memberJob = { ...job, id: 'job-2', kind: 'member.update', target_type: 'member', target_id: memberB } as unknown as Job
  const again = (await applyAmphoraConfig.execute({ ctx, job: memberJob, result: () => undefined })) as { pid: number }
  assert.equal(again.pid, applied.pid)
  for (let i = 0; i < 4; i++) assert.equal(await get(url), 'a')

  // Reverts, last task first: the agent forgets the amphora, the row is DELETED.
  await createAmphoraOnAgent.revert!(run, results['amphora.create-on-agent'])
  await assert.rejects(get(url))
  await db.transaction((trx) => allocateAmphora.revert!(trx, run, results['amphora.allocate']!))
  assert.equal((await ctx.amphorae.get(amphora_id))?.status, 'DELETED')
})
