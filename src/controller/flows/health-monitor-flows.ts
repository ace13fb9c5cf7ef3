import { HealthMonitorRepository } from '../../db/repositories/health-monitor-repository.ts'
import { MemberRepository } from '../../db/repositories/member-repository.ts'
import type { Flow, FlowContext } from '../flow.ts'
import { step } from '../flow.ts'
import { activate, poolIdOf, releaseParents } from './member-flows.ts'

// Health monitor flows as the noop provider (and, until its data plane exists, the amphora
// provider) runs them: the status transitions of spec/flows.md §6.4 without amphorae.

function monitors(ctx: FlowContext): HealthMonitorRepository {
  return new HealthMonitorRepository(ctx.db, ctx.clock)
}

/** spec/flows.md §1.3: the monitor ERROR; the pool, its listeners (unless in ERROR) and the LB ACTIVE. */
const markHealthMonitorError: Flow['onFailure'] = async (ctx, job) => {
  await monitors(ctx).setProvisioningStatus(job.target_id, 'ERROR')
  await releaseParents(ctx, job)
}

/** spec/flows.md §6.4: a created or updated monitor is ONLINE when enabled, else OFFLINE. */
const setOperatingStatus = step('healthmonitor.set-operating-status', async (ctx, job) => {
  const monitor = await monitors(ctx).get(job.target_id)
  if (!monitor) throw new Error(`health monitor ${job.target_id} not found`)
  const status = monitor.enabled ? 'ONLINE' : 'OFFLINE'
  await monitors(ctx).setOperatingStatus(job.target_id, status)
  return { operating_status: status }
})

export const createHealthMonitor: Flow = {
  kind: 'healthmonitor.create', steps: [setOperatingStatus, activate], onFailure: markHealthMonitorError,
}

export const updateHealthMonitor: Flow = {
  kind: 'healthmonitor.update', steps: [setOperatingStatus, activate], onFailure: markHealthMonitorError,
}

export const deleteHealthMonitor: Flow = {
  kind: 'healthmonitor.delete',
  steps: [
    step('healthmonitor.delete', async (ctx, job) => ({ deleted: await monitors(ctx).delete(job.target_id) })),
    // spec/flows.md §6.4: without a monitor nobody reports on the members.
    step('member.set-no-monitor', async (ctx, job) => ({
      members: await new MemberRepository(ctx.db, ctx.clock).setPoolMembersOperatingStatus(poolIdOf(job), 'NO_MONITOR'),
    })),
    activate,
  ],
  onFailure: markHealthMonitorError,
}

export const HEALTH_MONITOR_FLOWS = [createHealthMonitor, updateHealthMonitor, deleteHealthMonitor] as const
