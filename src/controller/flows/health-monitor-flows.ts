import { flow } from '../flow.ts'
import {
  deleteHealthMonitor as deleteHealthMonitorRow, healthMonitorCheckpoint, setHealthMonitorOperatingStatus, setMembersNoMonitor,
} from '../tasks/health-monitor-tasks.ts'
import { activateLoadBalancer } from '../tasks/load-balancer-tasks.ts'

// Health monitor flows (spec/flows.md §6.4) as the noop provider runs them: no configuration push.

export const createHealthMonitor = flow('healthmonitor.create', [healthMonitorCheckpoint, setHealthMonitorOperatingStatus, activateLoadBalancer])

export const updateHealthMonitor = flow('healthmonitor.update', [healthMonitorCheckpoint, setHealthMonitorOperatingStatus, activateLoadBalancer])

export const deleteHealthMonitor = flow('healthmonitor.delete', [healthMonitorCheckpoint, deleteHealthMonitorRow, setMembersNoMonitor, activateLoadBalancer])

export const HEALTH_MONITOR_FLOWS = [createHealthMonitor, updateHealthMonitor, deleteHealthMonitor] as const
