import { flow } from '../flow.ts'
import { deleteListener as deleteListenerRow, listenerCheckpoint, listenerCreateCheckpoint } from '../tasks/listener-tasks.ts'
import { activateLoadBalancer } from '../tasks/load-balancer-tasks.ts'

// Listener flows (spec/flows.md §5) as the noop provider runs them: no configuration push.

export const createListener = flow('listener.create', [listenerCreateCheckpoint, activateLoadBalancer])

// The API already wrote the new values with PENDING_UPDATE (spec/api-v2.md §6.2).
export const updateListener = flow('listener.update', [listenerCheckpoint, activateLoadBalancer])

export const deleteListener = flow('listener.delete', [listenerCheckpoint, deleteListenerRow, activateLoadBalancer])

export const LISTENER_FLOWS = [createListener, updateListener, deleteListener] as const
