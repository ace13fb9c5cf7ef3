import type { Flow } from '../flow.ts'
import { AMPHORA_FLOWS } from './amphora-flows.ts'
import { HEALTH_MONITOR_FLOWS } from './health-monitor-flows.ts'
import { L7POLICY_FLOWS } from './l7policy-flows.ts'
import { L7RULE_FLOWS } from './l7rule-flows.ts'
import { LISTENER_FLOWS } from './listener-flows.ts'
import { LOAD_BALANCER_FLOWS } from './load-balancer-flows.ts'
import { MEMBER_FLOWS } from './member-flows.ts'
import { POOL_FLOWS } from './pool-flows.ts'

/** Every flow the worker knows, by the job kind the API queues. */
export const ALL_FLOWS: readonly Flow[] = [
  ...LOAD_BALANCER_FLOWS,
  ...LISTENER_FLOWS,
  ...POOL_FLOWS,
  ...MEMBER_FLOWS,
  ...HEALTH_MONITOR_FLOWS,
  ...AMPHORA_FLOWS,
  ...L7POLICY_FLOWS,
  ...L7RULE_FLOWS,
]
