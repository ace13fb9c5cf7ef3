import { flow } from '../flow.ts'
import { applyAmphoraConfig } from '../tasks/amphora-data-plane-tasks.ts'
import { activateLoadBalancer } from '../tasks/load-balancer-tasks.ts'
import { deletePool as deletePoolRow, poolCheckpoint } from '../tasks/pool-tasks.ts'

// Pool flows (spec/flows.md §6.1): configuration push (amphora provider), then statuses; a
// deleted pool leaves the configuration before its row goes.

export const createPool = flow('pool.create', [poolCheckpoint, applyAmphoraConfig, activateLoadBalancer])

// The API already wrote the new values with PENDING_UPDATE (spec/api-v2.md §6.2).
export const updatePool = flow('pool.update', [poolCheckpoint, applyAmphoraConfig, activateLoadBalancer])

export const deletePool = flow('pool.delete', [poolCheckpoint, applyAmphoraConfig, deletePoolRow, activateLoadBalancer])

export const POOL_FLOWS = [createPool, updatePool, deletePool] as const
