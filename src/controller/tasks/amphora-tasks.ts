import { checkpoint, databaseTask, externalTask } from '../task.ts'

/** spec/flows.md §7.1 step 2, §7.3 step 1, §7.4 step 1: a failed amphora flow leaves the amphora ERROR, unless it is already gone. */
export const amphoraCheckpoint = checkpoint('amphora.checkpoint', async (trx, { ctx, job }) => {
  const amphora = await ctx.amphorae.get(job.target_id, trx)
  if (amphora && amphora.status !== 'DELETED') await ctx.amphorae.setStatus(job.target_id, 'ERROR', { from: amphora.status }, trx)
})

/** spec/flows.md §7.3 step 4. */
export const deleteAmphoraMemberPorts = databaseTask('amphora.delete-member-ports', async (trx, { ctx, job }) => ({
  deleted: await ctx.amphorae.deleteMemberPorts(job.target_id, trx),
}))

/** spec/flows.md §7.3 step 5. */
export const deleteAmphoraHealth = databaseTask('amphora.delete-health', async (trx, { ctx, job }) => ({
  deleted: await ctx.amphorae.deleteHealth(job.target_id, trx),
}))

/** spec/flows.md §7.3 step 6. */
export const markAmphoraDeleted = databaseTask('amphora.mark-deleted', async (trx, { ctx, job }) => ({
  deleted: await ctx.amphorae.markDeleted(job.target_id, trx),
}))

/** spec/flows.md §7.3 step 7: its addresses (base port) go. */
export const releaseAmphoraPorts = databaseTask('network.release-amphora-ports', async (trx, { ctx, job }) => ({
  released: await ctx.ports.releaseByDevice(job.target_id, trx),
}))

/**
 * spec/flows.md §7.4 step 2. An agent that cannot take new settings is logged and skipped; with
 * no agent client yet, every amphora is such an agent.
 */
export const pushAmphoraAgentConfig = externalTask('amphora.push-agent-config', async ({ ctx, job }) => {
  ctx.log.info({ amphora_id: job.target_id, job_id: job.id }, 'amphora agent configuration not pushed: no agent client')
  return { pushed: false }
})
