import type { Clock } from '../common/clock.ts'
import type { DataPlane } from './data-plane.ts'
import type { Logger } from '../common/logger.ts'
import type { Database } from '../db/database.ts'
import { AmphoraRepository } from '../db/repositories/amphora-repository.ts'
import { HealthMonitorRepository } from '../db/repositories/health-monitor-repository.ts'
import { L7PolicyRepository } from '../db/repositories/l7policy-repository.ts'
import { L7RuleRepository } from '../db/repositories/l7rule-repository.ts'
import { ListenerRepository } from '../db/repositories/listener-repository.ts'
import { LoadBalancerRepository } from '../db/repositories/load-balancer-repository.ts'
import { MemberRepository } from '../db/repositories/member-repository.ts'
import { PoolRepository } from '../db/repositories/pool-repository.ts'
import { PortRepository, type AllocationSubnet } from '../db/repositories/port-repository.ts'
import { SpareAmphoraRepository } from '../db/repositories/spare-amphora-repository.ts'

/** What a flow's tasks work with; built once per worker. */
export interface FlowContext {
  db: Database
  clock: Clock
  log: Logger
  loadBalancers: LoadBalancerRepository
  listeners: ListenerRepository
  pools: PoolRepository
  members: MemberRepository
  healthMonitors: HealthMonitorRepository
  l7policies: L7PolicyRepository
  l7rules: L7RuleRepository
  amphorae: AmphoraRepository
  /** Spare amphorae (house_keeping.spare_amphora_pool_size) a load balancer create claims. */
  spares: SpareAmphoraRepository
  ports: PortRepository
  /** The configured networks (config `networks`) addresses are allocated from. */
  subnets: readonly AllocationSubnet[]
  /** The amphora data plane (host agents); absent where the worker runs without one. */
  dataPlane?: DataPlane
}

export interface FlowContextDeps {
  db: Database
  clock: Clock
  log: Logger
  subnets?: readonly AllocationSubnet[]
  /** [networking] reserved_ips: never handed out. */
  reservedIps?: readonly string[]
  dataPlane?: DataPlane
}

export function createFlowContext(deps: FlowContextDeps): FlowContext {
  const { db, clock, log } = deps
  return {
    db, clock, log,
    loadBalancers: new LoadBalancerRepository(db, clock),
    listeners: new ListenerRepository(db, clock),
    pools: new PoolRepository(db, clock),
    members: new MemberRepository(db, clock),
    healthMonitors: new HealthMonitorRepository(db, clock),
    l7policies: new L7PolicyRepository(db, clock),
    l7rules: new L7RuleRepository(db, clock),
    amphorae: new AmphoraRepository(db, clock),
    spares: new SpareAmphoraRepository(db, clock),
    ports: new PortRepository(db, clock, { reserved: deps.reservedIps ?? [] }),
    subnets: deps.subnets ?? [],
    ...(deps.dataPlane ? { dataPlane: deps.dataPlane } : {}),
  }
}
