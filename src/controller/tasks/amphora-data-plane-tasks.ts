import { renderHaproxyConfig } from '../../amphora/render-haproxy-config.ts'
import { UnknownHost } from '../../drivers/compute/local-agent-compute.ts'
import type { FlowContext } from '../flow-context.ts'
import type { DataPlane } from '../data-plane.ts'
import { PermanentError } from '../permanent-error.ts'
import { databaseTask, externalTask, type TaskRun } from '../task.ts'
import { readLoadBalancerGraph } from './read-load-balancer-graph.ts'

// The amphora provider's data-plane tasks (spec/flows.md §4.1: allocate an amphora, push the
// rendered configuration, which the agent answers once the VIP listens). SINGLE topology: one
// amphora per load balancer. Every task is keyed by the job's load balancer and the amphora the
// allocation journaled, so a rerun after a crash finds what the first run made.

function dataPlane(ctx: FlowContext): DataPlane {
  if (ctx.dataPlane === undefined) throw new PermanentError('this worker has no amphora data plane (no compute driver configured)')
  return ctx.dataPlane
}

function loadBalancerOf(run: TaskRun): string {
  const id = run.job.load_balancer_id
  if (!id) throw new PermanentError(`job ${run.job.id} names no load balancer`)
  return id
}

/** The allocation's journaled result: which amphora, on which agent. */
interface Allocation {
  amphora_id: string
  agent_id: string
}

/**
 * The amphora this flow works on: the one amphora.allocate journaled (load balancer create),
 * else the load balancer's amphora in the database (every later change to it).
 */
async function allocation(run: TaskRun): Promise<Allocation> {
  const result = run.result('amphora.allocate') as Allocation | undefined
  if (result !== undefined) return result
  const [amphora] = await run.ctx.amphorae.list({ load_balancer_id: loadBalancerOf(run) })
  if (amphora?.compute_id == null) throw new PermanentError(`load balancer ${loadBalancerOf(run)} has no amphora on a host`)
  return { amphora_id: amphora.id, agent_id: amphora.compute_id }
}

/**
 * Records the load balancer's amphora on the host the compute driver picks (ALLOCATED,
 * STANDALONE, with amp_flavor_id and amp_image_tag), or finds the one it already has.
 */
export const allocateAmphora = databaseTask('amphora.allocate', async (trx, run) => {
  const { compute, amp_flavor_id, amp_image_tag } = dataPlane(run.ctx)
  const lbId = loadBalancerOf(run)
  const [existing] = await run.ctx.amphorae.list({ load_balancer_id: lbId }, trx)
  if (existing?.compute_id) return { amphora_id: existing.id, agent_id: existing.compute_id }
  const agent = await compute.schedule(trx)
  const amphora = await run.ctx.amphorae.create({
    load_balancer_id: lbId, compute_id: agent.id, lb_network_ip: agent.address, role: 'STANDALONE', status: 'ALLOCATED',
    compute_flavor: amp_flavor_id || null, image_id: amp_image_tag || null,
  }, trx)
  return { amphora_id: amphora.id, agent_id: agent.id }
}, async (trx, run, result) => {
  const { amphora_id } = result as unknown as Allocation
  await run.ctx.amphorae.markDeleted(amphora_id, trx)
})

async function agentOf(run: TaskRun) {
  const { amphora_id, agent_id } = await allocation(run)
  try {
    return { amphora_id, client: await dataPlane(run.ctx).compute.clientFor(agent_id) }
  } catch (err) {
    if (err instanceof UnknownHost) throw new PermanentError(`${err.message} (amphora ${amphora_id})`)
    throw err
  }
}

/** Creates the amphora on its agent (idempotent there); the revert deletes it, gone counting as done. */
export const createAmphoraOnAgent = externalTask('amphora.create-on-agent', async (run) => {
  const { amphora_id, client } = await agentOf(run)
  const amphora = await client.createAmphora(amphora_id, loadBalancerOf(run))
  return { amphora_id, running: amphora.running }
}, async (run) => {
  const { amphora_id, client } = await agentOf(run)
  await client.deleteAmphora(amphora_id)
})

/**
 * Renders the load balancer's configuration from the database as it is now, with the agent's
 * facts (connection cap, PING script), uploads it (the agent checks it with haproxy -c) and
 * reloads hitlessly (or starts it). The agent answers once a worker serves the VIP.
 */
export const applyAmphoraConfig = externalTask('amphora.apply-config', async (run) => {
  const { amphora_id, client } = await agentOf(run)
  const graph = await readLoadBalancerGraph(run.ctx, loadBalancerOf(run))
  if (graph === null) throw new PermanentError(`load balancer ${loadBalancerOf(run)} is gone`)
  const details = await client.details()
  const text = renderHaproxyConfig(graph, { ...dataPlane(run.ctx).haproxy, max_connections: details.max_connections, ping_wrapper: details.ping_wrapper })
  const amphora = await client.configure(amphora_id, text)
  return { amphora_id, pid: amphora.pid, config_etag: amphora.config_etag }
})
