import { flow } from '../flow.ts'
import { BUILD_SPARE_KIND } from '../spare-amphora-builder.ts'
import {
  amphoraCheckpoint, deleteAmphoraHealth, deleteAmphoraMemberPorts, markAmphoraDeleted, pushAmphoraAgentConfig, releaseAmphoraPorts,
} from '../tasks/amphora-tasks.ts'
import { loadBalancerCheckpoint, markFailedOverTreeActive } from '../tasks/load-balancer-tasks.ts'
import { createSpareOnAgent, markSpareReady, startSpareHaproxy } from '../tasks/spare-amphora-tasks.ts'
import { rebuildAmphora } from './load-balancer-flows.ts'

// Amphora flows (spec/flows.md §7).

/**
 * spec/flows.md §7.1, the failover the API's amphora failover and the health manager queue: the
 * load balancer's amphora rebuilt (SINGLE: the failed amphora is its only one), the tree ACTIVE
 * again. Without a data plane (noop provider or amphora driver) only the statuses change. On
 * failure: the amphora ERROR, then the LB.
 */
export const failoverAmphora = flow('amphora.failover', [loadBalancerCheckpoint, amphoraCheckpoint, ...rebuildAmphora(), markFailedOverTreeActive])

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

/**
 * spec/operations.md §2, spare build: an amphora the spare pool recorded BOOTING without a load
 * balancer is created on its agent with its haproxy running on the configuration of nothing, then
 * READY. On failure: the amphora leaves its agent and is ERROR (it no longer counts as a spare).
 */
export const buildSpareAmphora = flow(BUILD_SPARE_KIND, [amphoraCheckpoint, createSpareOnAgent, startSpareHaproxy, markSpareReady])

export const AMPHORA_FLOWS = [failoverAmphora, deleteAmphora, updateAmphoraAgentConfig, buildSpareAmphora] as const
