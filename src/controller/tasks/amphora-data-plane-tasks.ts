import { AgentRequestFailed, type AgentClient } from '../../amphora/agent-client.ts'
import { renderHaproxyConfig } from '../../amphora/render-haproxy-config.ts'
import type { Executor } from '../../db/database.ts'
import type { Job, JsonValue } from '../../db/repositories/job-repository.ts'
import { NoHostAvailable, UnknownHost } from '../../drivers/compute/local-agent-compute.ts'
import { providerImplementation } from '../../drivers/provider/provider-registry.ts'
import type { DataPlane } from '../data-plane.ts'
import type { FlowContext } from '../flow-context.ts'
import { PermanentError } from '../permanent-error.ts'
import { databaseTask, externalTask, type DatabaseTask, type ExternalTask, type TaskRun } from '../task.ts'
import { readLoadBalancerGraph } from './read-load-balancer-graph.ts'

// The amphora provider's data-plane tasks (spec/flows.md §4, §7): allocate an amphora, create it
// on its host agent, push the rendered configuration (the agent answers once the VIP listens),
// and on delete or failover take amphorae away. SINGLE topology: one amphora per load balancer.
// Every task is keyed by the job's load balancer and the amphora the allocation journaled, so a
// rerun after a crash finds what the first run made.
//
// Each task runs only for a load balancer of the amphora provider on a worker with a data plane
// (controller_worker.amphora_driver other than amphora_noop_driver); otherwise it journals
// { skipped } and does nothing, as Octavia's noop amphora driver and the noop provider do.

const SKIPPED = { skipped: true }

/** Per job: the data plane its load balancer is served by, or null (noop provider, noop amphora driver). */
const servedBy = new WeakMap<Job, Promise<DataPlane | null>>()

function dataPlaneOf(run: TaskRun, executor?: Executor): Promise<DataPlane | null> {
  let known = servedBy.get(run.job)
  if (known === undefined) {
    known = (async () => {
      const dataPlane = run.ctx.dataPlane
      const lbId = run.job.load_balancer_id
      if (dataPlane === undefined || lbId === null) return null
      const lb = await run.ctx.loadBalancers.get(lbId, executor)
      // A load balancer already gone has nothing left to configure.
      if (lb === undefined) return null
      return providerImplementation(lb.provider) === 'amphora' ? dataPlane : null
    })()
    known.catch(() => servedBy.delete(run.job))
    servedBy.set(run.job, known)
  }
  return known
}

function amphoraDatabaseTask(name: string, execute: (trx: Parameters<DatabaseTask['execute']>[0], run: TaskRun, dataPlane: DataPlane) => Promise<JsonValue>,
  revert?: DatabaseTask['revert']): DatabaseTask {
  return databaseTask(name, async (trx, run) => {
    const dataPlane = await dataPlaneOf(run, trx)
    return dataPlane === null ? SKIPPED : execute(trx, run, dataPlane)
  }, revert && (async (trx, run, result) => {
    if (!isSkipped(result)) await revert(trx, run, result)
  }))
}

function amphoraExternalTask(name: string, execute: (run: TaskRun, dataPlane: DataPlane) => Promise<JsonValue>,
  revert?: (run: TaskRun, dataPlane: DataPlane, result: JsonValue) => Promise<void>): ExternalTask {
  return externalTask(name, async (run) => {
    const dataPlane = await dataPlaneOf(run)
    return dataPlane === null ? SKIPPED : execute(run, dataPlane)
  }, revert && (async (run, result) => {
    const dataPlane = await dataPlaneOf(run)
    if (dataPlane !== null && !isSkipped(result)) await revert(run, dataPlane, result)
  }), async (run, executor) => ((await dataPlaneOf(run, executor)) === null ? SKIPPED : undefined))
}

function isSkipped(result: JsonValue | null | undefined): boolean {
  return result !== null && typeof result === 'object' && !Array.isArray(result) && result.skipped === true
}

function loadBalancerOf(run: TaskRun): string {
  const id = run.job.load_balancer_id
  if (!id) throw new PermanentError(`job ${run.job.id} names no load balancer`)
  return id
}

/** An allocation's journaled result: which amphora, on which agent (and, for a failover, which it replaces). */
interface Allocation {
  amphora_id: string
  agent_id: string
  /** A spare was claimed rather than a new amphora recorded. */
  spare?: boolean
  replaces?: Array<{ amphora_id: string; agent_id: string | null }>
}

const ALLOCATE = 'amphora.allocate'
const ALLOCATE_REPLACEMENT = 'amphora.allocate-replacement'

/**
 * The amphora this flow works on: the one this job allocated (a create or a failover), else the
 * load balancer's amphora in the database (every later change to it).
 */
async function allocation(run: TaskRun): Promise<Allocation> {
  const result = (run.result(ALLOCATE_REPLACEMENT) ?? run.result(ALLOCATE)) as Allocation | undefined
  if (result !== undefined && !isSkipped(result as unknown as JsonValue)) return result
  const [amphora] = await run.ctx.amphorae.list({ load_balancer_id: loadBalancerOf(run) })
  if (amphora?.compute_id == null) throw new PermanentError(`load balancer ${loadBalancerOf(run)} has no amphora on a host`)
  return { amphora_id: amphora.id, agent_id: amphora.compute_id }
}

async function scheduled<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work()
  } catch (err) {
    // Retrying will not make a host appear: the flow reverts with the reason.
    if (err instanceof NoHostAvailable) throw new PermanentError(err.message)
    throw err
  }
}

/** The VIP address the load balancer's amphorae carry (ha_ip). */
async function vipAddress(ctx: FlowContext, lbId: string, executor: Executor): Promise<string | null> {
  return (await ctx.loadBalancers.get(lbId, executor))?.vip?.ip_address ?? null
}

/**
 * The load balancer's amphora: the one it already has (a rerun), else a READY spare of its
 * compute zone claimed for it (its haproxy already runs: the configuration push is a hitless
 * reload), else a new one recorded on the host the compute driver picks (ALLOCATED, STANDALONE,
 * with amp_flavor_id and amp_image_tag, and the expiry of the host agent's certificate, which
 * the amphora is reached through).
 */
export const allocateAmphora = amphoraDatabaseTask(ALLOCATE, async (trx, run, dataPlane): Promise<JsonValue> => {
  const lbId = loadBalancerOf(run)
  const [existing] = await run.ctx.amphorae.list({ load_balancer_id: lbId }, trx)
  if (existing?.compute_id) return { amphora_id: existing.id, agent_id: existing.compute_id }
  const zone = await run.ctx.spares.zoneOf(lbId, dataPlane.default_zone ?? null, trx)
  const spare = await run.ctx.spares.claim(trx, { load_balancer_id: lbId, zone, role: 'STANDALONE', ha_ip: await vipAddress(run.ctx, lbId, trx) })
  if (spare?.compute_id) return { amphora_id: spare.id, agent_id: spare.compute_id, spare: true }
  const agent = await scheduled(() => dataPlane.compute.schedule(trx))
  const amphora = await run.ctx.amphorae.create({
    load_balancer_id: lbId, compute_id: agent.id, lb_network_ip: agent.address, role: 'STANDALONE', status: 'ALLOCATED', cert_expiration: agent.cert_expiration,
    compute_flavor: dataPlane.amp_flavor_id || null, image_id: dataPlane.amp_image_tag || null, ha_ip: await vipAddress(run.ctx, lbId, trx),
  }, trx)
  return { amphora_id: amphora.id, agent_id: agent.id }
}, async (trx, run, result) => {
  await run.ctx.amphorae.markDeleted((result as unknown as Allocation).amphora_id, trx)
})

/**
 * Failover (spec/flows.md §4.4, §7.1): a new amphora for the load balancer, on another host when
 * one has room (the old host is likely the problem), recording which amphorae it replaces.
 */
export const allocateReplacementAmphora = amphoraDatabaseTask(ALLOCATE_REPLACEMENT, async (trx, run, dataPlane) => {
  const lbId = loadBalancerOf(run)
  const old = await run.ctx.amphorae.list({ load_balancer_id: lbId }, trx)
  const avoid = old.flatMap((a) => (a.compute_id === null ? [] : [a.compute_id]))
  const agent = await scheduled(() => dataPlane.compute.schedule(trx, { avoid }))
  const amphora = await run.ctx.amphorae.create({
    load_balancer_id: lbId, compute_id: agent.id, lb_network_ip: agent.address, role: 'STANDALONE', status: 'ALLOCATED', cert_expiration: agent.cert_expiration,
    compute_flavor: dataPlane.amp_flavor_id || null, image_id: dataPlane.amp_image_tag || null, ha_ip: await vipAddress(run.ctx, lbId, trx),
  }, trx)
  return { amphora_id: amphora.id, agent_id: agent.id, replaces: old.map((a) => ({ amphora_id: a.id, agent_id: a.compute_id })) }
}, async (trx, run, result) => {
  await run.ctx.amphorae.markDeleted((result as unknown as Allocation).amphora_id, trx)
})

async function clientOf(dataPlane: DataPlane, amphoraId: string, agentId: string, quick = false): Promise<AgentClient> {
  try {
    return await dataPlane.compute.clientFor(agentId, { quick })
  } catch (err) {
    if (err instanceof UnknownHost) throw new PermanentError(`${err.message} (amphora ${amphoraId})`)
    throw err
  }
}

/** Deletes an amphora on its agent; one the agent no longer knows counts as deleted. */
async function deleteOnAgent(client: AgentClient, amphoraId: string): Promise<void> {
  try {
    await client.deleteAmphora(amphoraId)
  } catch (err) {
    if (!(err instanceof AgentRequestFailed && err.status === 404)) throw err
  }
}

/** Creates the amphora on its agent (idempotent there); the revert deletes it, gone counting as done. */
export const createAmphoraOnAgent = amphoraExternalTask('amphora.create-on-agent', async (run, dataPlane) => {
  const { amphora_id, agent_id } = await allocation(run)
  const client = await clientOf(dataPlane, amphora_id, agent_id)
  const amphora = await client.createAmphora(amphora_id, loadBalancerOf(run))
  return { amphora_id, running: amphora.running }
}, async (run, dataPlane) => {
  const { amphora_id, agent_id } = await allocation(run)
  await deleteOnAgent(await clientOf(dataPlane, amphora_id, agent_id), amphora_id)
})

/**
 * Renders the load balancer's configuration from the database as it is now (objects being
 * deleted left out), with the agent's facts (connection cap, PING script), uploads it (the agent
 * checks it with haproxy -c) and reloads hitlessly (or starts it). The agent answers once a
 * worker serves the VIP.
 */
export const applyAmphoraConfig = amphoraExternalTask('amphora.apply-config', async (run, dataPlane) => {
  const { amphora_id, agent_id } = await allocation(run)
  const client = await clientOf(dataPlane, amphora_id, agent_id)
  const graph = await readLoadBalancerGraph(run.ctx, loadBalancerOf(run))
  if (graph === null) throw new PermanentError(`load balancer ${loadBalancerOf(run)} is gone`)
  const details = await client.details()
  const text = renderHaproxyConfig(graph, { ...dataPlane.haproxy, max_connections: details.max_connections, ping_wrapper: details.ping_wrapper })
  const amphora = await client.configure(amphora_id, text)
  return { amphora_id, pid: amphora.pid, config_etag: amphora.config_etag }
})

/**
 * Takes amphorae off their agents with a single attempt each: an agent that cannot be reached
 * (its host is the reason for a failover, or gone for good) is logged and left; when it comes
 * back, the health manager has the amphora deleted there (spec/heartbeat.md §5.2).
 */
async function retire(run: TaskRun, dataPlane: DataPlane, amphorae: ReadonlyArray<{ amphora_id: string; agent_id: string | null }>): Promise<JsonValue> {
  const retired: string[] = []
  const unreachable: string[] = []
  for (const { amphora_id, agent_id } of amphorae) {
    if (agent_id === null) continue
    try {
      await deleteOnAgent(await dataPlane.compute.clientFor(agent_id, { quick: true }), amphora_id)
      retired.push(amphora_id)
    } catch (err) {
      run.ctx.log.warn({ err, amphora_id, agent_id, job_id: run.job.id }, 'amphora not deleted on its agent; the health manager removes it if the agent returns')
      unreachable.push(amphora_id)
    }
  }
  return { retired, unreachable }
}

/**
 * Failover: the amphorae being replaced leave their agents before the replacement starts, so
 * that on a shared host the VIP is free to bind.
 */
export const retireReplacedAmphorae = amphoraExternalTask('amphora.retire-replaced', async (run, dataPlane) => {
  const { replaces = [] } = await allocation(run)
  return retire(run, dataPlane, replaces)
})

/** Failover: the replaced amphorae DELETED, their health rows gone (the health manager stops watching them). */
export const markReplacedAmphoraeDeleted = amphoraDatabaseTask('amphora.mark-replaced-deleted', async (trx, run) => {
  const { replaces = [] } = await allocation(run)
  for (const { amphora_id } of replaces) {
    await run.ctx.amphorae.deleteHealth(amphora_id, trx)
    await run.ctx.amphorae.markDeleted(amphora_id, trx)
  }
  return { deleted: replaces.map((r) => r.amphora_id) }
})

/** Load balancer delete (spec/flows.md §4.3 step 3): every amphora of the load balancer leaves its agent. */
export const deleteLoadBalancerAmphorae = amphoraExternalTask('amphora.delete-for-load-balancer', async (run, dataPlane) => {
  const amphorae = await run.ctx.amphorae.list({ load_balancer_id: loadBalancerOf(run) })
  return retire(run, dataPlane, amphorae.map((a) => ({ amphora_id: a.id, agent_id: a.compute_id })))
})

/** Load balancer delete: its amphorae DELETED and unwatched. */
export const markLoadBalancerAmphoraeDeleted = amphoraDatabaseTask('amphora.mark-deleted-for-load-balancer', async (trx, run) => {
  const amphorae = await run.ctx.amphorae.list({ load_balancer_id: loadBalancerOf(run) }, trx)
  for (const amphora of amphorae) {
    await run.ctx.amphorae.deleteHealth(amphora.id, trx)
    await run.ctx.amphorae.markDeleted(amphora.id, trx)
  }
  return { deleted: amphorae.map((a) => a.id) }
})
