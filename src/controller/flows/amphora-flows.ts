import { AmphoraRepository } from '../../db/repositories/amphora-repository.ts'
import type { Flow, FlowContext } from '../flow.ts'
import { step } from '../flow.ts'
import { markFailedOverTreeActive } from './load-balancer-flows.ts'

// Amphora flows (spec/flows.md §7) as they run before the amphora provider has a data plane:
// the database side of each, with no compute instance or agent to talk to.

function amphorae(ctx: FlowContext): AmphoraRepository {
  return new AmphoraRepository(ctx.db, ctx.clock)
}

/** The amphora ERROR, unless it is already gone. */
async function markAmphoraError(ctx: FlowContext, amphoraId: string): Promise<void> {
  const repository = amphorae(ctx)
  const amphora = await repository.get(amphoraId)
  if (amphora && amphora.status !== 'DELETED') await repository.setStatus(amphoraId, 'ERROR', { from: amphora.status })
}

/**
 * spec/flows.md §7.1, the failover the API's amphora failover and the health manager queue.
 * Without a compute driver there is no replacement to build, so the amphora stays as it is and
 * the load balancer's tree goes back to ACTIVE, as after a load balancer failover (§4.4), whose
 * last step it shares; the data plane adds the rebuild steps before it.
 */
export const failoverAmphora: Flow = {
  kind: 'amphora.failover',
  steps: [markFailedOverTreeActive],
  // spec/flows.md §7.1 "On exception": the failed amphora and its load balancer ERROR.
  onFailure: async (ctx, job) => {
    await markAmphoraError(ctx, job.target_id)
    if (job.load_balancer_id) await ctx.loadBalancers.setProvisioningStatus(job.load_balancer_id, 'ERROR')
  },
}

/** spec/flows.md §7.3, after the API set the amphora PENDING_DELETE; each step treats "already gone" as done. */
export const deleteAmphora: Flow = {
  kind: 'amphora.delete',
  steps: [
    step('amphora.delete-member-ports', async (ctx, job) => ({ deleted: await amphorae(ctx).deleteMemberPorts(job.target_id) })),
    step('amphora.delete-health', async (ctx, job) => ({ deleted: await amphorae(ctx).deleteHealth(job.target_id) })),
    step('amphora.mark-deleted', async (ctx, job) => ({ deleted: await amphorae(ctx).markDeleted(job.target_id) })),
    step('network.release-amphora-ports', async (ctx, job) => ({ released: await ctx.ports.releaseByDevice(job.target_id) })),
  ],
  onFailure: async (ctx, job) => markAmphoraError(ctx, job.target_id),
}

/**
 * spec/flows.md §7.4. An agent that cannot take new settings is logged and skipped; with no
 * agent client yet, every amphora is such an agent. No status changes on success.
 */
export const updateAmphoraAgentConfig: Flow = {
  kind: 'amphora.update_agent_config',
  steps: [
    step('amphora.push-agent-config', async (ctx, job) => {
      ctx.log.info({ amphora_id: job.target_id, job_id: job.id }, 'amphora agent configuration not pushed: no agent client')
      return { pushed: false }
    }),
  ],
  onFailure: async (ctx, job) => markAmphoraError(ctx, job.target_id),
}

export const AMPHORA_FLOWS = [failoverAmphora, deleteAmphora, updateAmphoraAgentConfig] as const
