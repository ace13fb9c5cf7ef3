import { flow } from '../flow.ts'
import { activateLoadBalancer } from '../tasks/load-balancer-tasks.ts'
import { deletePool as deletePoolRow, poolCheckpoint } from '../tasks/pool-tasks.ts'

// Pool flows (spec/flows.md §6.1) as the noop provider runs them: no configuration push.

export const createPool = flow('pool.create', [poolCheckpoint, activateLoadBalancer])

// The API already wrote the new values with PENDING_UPDATE (spec/api-v2.md §6.2).
export const updatePool = flow('pool.update', [poolCheckpoint, activateLoadBalancer])

export const deletePool = flow('pool.delete', [poolCheckpoint, deletePoolRow, activateLoadBalancer])

export const POOL_FLOWS = [createPool, updatePool, deletePool] as const
