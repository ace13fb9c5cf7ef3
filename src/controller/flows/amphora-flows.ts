import { flow } from '../flow.ts'
import {
  amphoraCheckpoint, deleteAmphoraHealth, deleteAmphoraMemberPorts, markAmphoraDeleted, pushAmphoraAgentConfig, releaseAmphoraPorts,
} from '../tasks/amphora-tasks.ts'
import { loadBalancerCheckpoint, markFailedOverTreeActive } from '../tasks/load-balancer-tasks.ts'

// Amphora flows (spec/flows.md §7) as they run before the amphora provider has a data plane:
// the database side of each, with no compute instance or agent to talk to.

/**
 * spec/flows.md §7.1, the failover the API's amphora failover and the health manager queue.
 * Without a compute driver there is no replacement to build, so the amphora stays as it is and
 * the load balancer's tree goes back to ACTIVE, as after a load balancer failover (§4.4); the
 * data plane adds the rebuild tasks before the last one. On failure: the amphora ERROR, then the LB.
 */
export const failoverAmphora = flow('amphora.failover', [loadBalancerCheckpoint, amphoraCheckpoint, markFailedOverTreeActive])

/** spec/flows.md §7.3, after the API set the amphora PENDING_DELETE; each task treats "already gone" as done. */
export const deleteAmphora = flow('amphora.delete', [
  amphoraCheckpoint,
  deleteAmphoraMemberPorts,
  deleteAmphoraHealth,
  markAmphoraDeleted,
  releaseAmphoraPorts,
])

/** spec/flows.md §7.4: no status changes on success. */
export const updateAmphoraAgentConfig = flow('amphora.update_agent_config', [amphoraCheckpoint, pushAmphoraAgentConfig])

export const AMPHORA_FLOWS = [failoverAmphora, deleteAmphora, updateAmphoraAgentConfig] as const
