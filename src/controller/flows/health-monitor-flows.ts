import { flow } from '../flow.ts'
import { applyAmphoraConfig } from '../tasks/amphora-data-plane-tasks.ts'
import {
  deleteHealthMonitor as deleteHealthMonitorRow, healthMonitorCheckpoint, setHealthMonitorOperatingStatus, setMembersNoMonitor,
} from '../tasks/health-monitor-tasks.ts'
import { activateLoadBalancer } from '../tasks/load-balancer-tasks.ts'

// Health monitor flows (spec/flows.md §6.4): configuration push (amphora provider), then statuses.

export const createHealthMonitor = flow('healthmonitor.create', [healthMonitorCheckpoint, applyAmphoraConfig, setHealthMonitorOperatingStatus, activateLoadBalancer])

export const updateHealthMonitor = flow('healthmonitor.update', [healthMonitorCheckpoint, applyAmphoraConfig, setHealthMonitorOperatingStatus, activateLoadBalancer])

export const deleteHealthMonitor = flow('healthmonitor.delete', [healthMonitorCheckpoint, applyAmphoraConfig, deleteHealthMonitorRow, setMembersNoMonitor, activateLoadBalancer])

export const HEALTH_MONITOR_FLOWS = [createHealthMonitor, updateHealthMonitor, deleteHealthMonitor] as const
