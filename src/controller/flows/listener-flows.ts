import { flow } from '../flow.ts'
import { applyAmphoraConfig } from '../tasks/amphora-data-plane-tasks.ts'
import { deleteListener as deleteListenerRow, listenerCheckpoint, listenerCreateCheckpoint } from '../tasks/listener-tasks.ts'
import { activateLoadBalancer } from '../tasks/load-balancer-tasks.ts'

// Listener flows (spec/flows.md §5): the configuration pushed (amphora provider), then the statuses.
// On delete the push comes first (the renderer leaves out what is PENDING_DELETE), the row after.

export const createListener = flow('listener.create', [listenerCreateCheckpoint, applyAmphoraConfig, activateLoadBalancer])

// The API already wrote the new values with PENDING_UPDATE (spec/api-v2.md §6.2).
export const updateListener = flow('listener.update', [listenerCheckpoint, applyAmphoraConfig, activateLoadBalancer])

export const deleteListener = flow('listener.delete', [listenerCheckpoint, applyAmphoraConfig, deleteListenerRow, activateLoadBalancer])

export const LISTENER_FLOWS = [createListener, updateListener, deleteListener] as const
