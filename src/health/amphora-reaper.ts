import type { HeartbeatAmphora } from '../db/repositories/heartbeat-repository.ts'
import type { ComputeDriver } from '../drivers/compute/local-agent-compute.ts'

/**
 * Deletes the compute instance of an amphora that sends heartbeats but has no live load balancer
 * (spec/heartbeat.md §5.2). Throwing means "could not".
 */
export interface AmphoraReaper {
  deleteInstance(amphora: HeartbeatAmphora): Promise<void>
}

/** Until a compute driver is configured: every delete fails, so §5.2 goes on as after a failed delete. */
export const NO_COMPUTE_REAPER: AmphoraReaper = {
  deleteInstance: async (amphora) => {
    throw new Error(`no compute driver to delete the instance ${amphora.compute_id ?? '(none)'} of amphora ${amphora.id}`)
  },
}

/** Deletes the amphora on the host agent its compute_id names (a missing one counts as deleted there). */
export function computeReaper(compute: Pick<ComputeDriver, 'clientFor'>): AmphoraReaper {
  return {
    deleteInstance: async (amphora) => {
      if (amphora.compute_id === null) throw new Error(`amphora ${amphora.id} names no host`)
      const client = await compute.clientFor(amphora.compute_id)
      await client.deleteAmphora(amphora.id)
    },
  }
}
