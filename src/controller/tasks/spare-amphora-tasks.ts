import { AgentRequestFailed, type AgentClient } from '../../amphora/agent-client.ts'
import { renderSpareConfig } from '../../amphora/render-haproxy-config.ts'
import { UnknownHost } from '../../drivers/compute/local-agent-compute.ts'
import type { DataPlane } from '../data-plane.ts'
import { PermanentError } from '../permanent-error.ts'
import { databaseTask, externalTask, type TaskRun } from '../task.ts'

// The build of a spare amphora (spec/operations.md §2, "spare build"): the housekeeping spare
// pool recorded the amphora BOOTING, without a load balancer, on the host agent it scheduled it
// onto; these tasks create it there, start its haproxy with the configuration of nothing, and
// mark it READY for a load balancer create to claim. The job's target is the amphora.

function dataPlaneOf(run: TaskRun): DataPlane {
  const dataPlane = run.ctx.dataPlane
  // Only a worker with a data plane can build one; the pool is kept where there is one.
  if (dataPlane === undefined) throw new PermanentError(`spare amphora ${run.job.target_id}: this worker has no amphora data plane`)
  return dataPlane
}

/** The spare's agent client; the spare must still be being built (a deleted one is not built). */
async function agentOf(run: TaskRun): Promise<AgentClient> {
  const amphora = await run.ctx.amphorae.get(run.job.target_id)
  if (amphora === undefined || amphora.status !== 'BOOTING' || amphora.load_balancer_id !== null) {
    throw new PermanentError(`spare amphora ${run.job.target_id} is no longer being built (${amphora?.status ?? 'gone'})`)
  }
  if (amphora.compute_id === null) throw new PermanentError(`spare amphora ${amphora.id} was scheduled onto no host`)
  try {
    return await dataPlaneOf(run).compute.clientFor(amphora.compute_id)
  } catch (err) {
    if (err instanceof UnknownHost) throw new PermanentError(`${err.message} (spare amphora ${amphora.id})`)
    throw err
  }
}

/** Creates the amphora on its agent with no load balancer (idempotent there); the revert deletes it there. */
export const createSpareOnAgent = externalTask('spare.create-on-agent', async (run) => {
  const client = await agentOf(run)
  const amphora = await client.createAmphora(run.job.target_id, null)
  return { amphora_id: amphora.id }
}, async (run) => {
  const amphora = await run.ctx.amphorae.get(run.job.target_id)
  if (amphora?.compute_id == null || amphora.load_balancer_id !== null) return
  try {
    const client = await dataPlaneOf(run).compute.clientFor(amphora.compute_id, { quick: true })
    await client.deleteAmphora(amphora.id)
  } catch (err) {
    if (err instanceof UnknownHost || (err instanceof AgentRequestFailed && err.status === 404)) return
    throw err
  }
})

/** Uploads the configuration of nothing (checked with haproxy -c there) and starts the spare's haproxy. */
export const startSpareHaproxy = externalTask('spare.start-haproxy', async (run) => {
  const dataPlane = dataPlaneOf(run)
  const client = await agentOf(run)
  const details = await client.details()
  const text = renderSpareConfig(run.job.target_id, { ...dataPlane.haproxy, max_connections: details.max_connections, ping_wrapper: details.ping_wrapper })
  const amphora = await client.configure(run.job.target_id, text)
  if (!amphora.running || amphora.pid === null) throw new Error(`spare amphora ${amphora.id}: haproxy is not running after its start`)
  return { amphora_id: amphora.id, pid: amphora.pid }
})

/** BOOTING to READY: from now on a load balancer create may claim it. */
export const markSpareReady = databaseTask('spare.mark-ready', async (trx, run) => {
  if (!await run.ctx.amphorae.setStatus(run.job.target_id, 'READY', { from: 'BOOTING' }, trx)) {
    throw new PermanentError(`spare amphora ${run.job.target_id} is no longer being built`)
  }
  return { ready: run.job.target_id }
})
