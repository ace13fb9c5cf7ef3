import type { HeartbeatAmphora } from '../db/repositories/heartbeat-repository.ts'

/**
 * Deletes the compute instance of an amphora that sends heartbeats but has no live load balancer
 * (spec/heartbeat.md §5.2). The compute driver implements it; throwing means "could not".
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
