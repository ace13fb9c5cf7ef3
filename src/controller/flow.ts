import type { Clock } from '../common/clock.ts'
import type { Logger } from '../common/logger.ts'
import type { Database } from '../db/database.ts'
import type { Job, JsonValue } from '../db/repositories/job-repository.ts'
import type { LoadBalancerRepository } from '../db/repositories/load-balancer-repository.ts'
import type { PortRepository } from '../db/repositories/port-repository.ts'

/** What a flow's steps work with. */
export interface FlowContext {
  db: Database
  clock: Clock
  log: Logger
  loadBalancers: LoadBalancerRepository
  ports: PortRepository
}

/** One idempotent step; its result is journaled, so a resumed job skips it. */
export interface FlowStep {
  /** Journal key: renaming a step needs a migration. */
  name: string
  execute(ctx: FlowContext, job: Job): Promise<JsonValue | void>
}

/** An ordered list of steps, and what to mark when a step fails for good. */
export interface Flow {
  kind: string
  steps: readonly FlowStep[]
  onFailure(ctx: FlowContext, job: Job, reason: string): Promise<void>
}

export function step(name: string, execute: FlowStep['execute']): FlowStep {
  return { name, execute }
}
