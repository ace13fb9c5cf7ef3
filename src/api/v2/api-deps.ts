import type { FastifyRequest } from 'fastify'
import type { Clock } from '../../common/clock.ts'
import { createLogger, type Logger } from '../../common/logger.ts'
import type { OctaviaConfig } from '../../config/schema.ts'
import type { Database } from '../../db/database.ts'
import { CatalogRepository } from '../../db/repositories/catalog-repository.ts'
import { JobRepository } from '../../db/repositories/job-repository.ts'
import { LoadBalancerRepository } from '../../db/repositories/load-balancer-repository.ts'
import { PortRepository } from '../../db/repositories/port-repository.ts'
import { StatusTreeRepository } from '../../db/repositories/status-tree-repository.ts'
import { NetworkInventory } from '../../drivers/network/network-inventory.ts'
import { ProviderRegistry } from '../../drivers/provider/provider-registry.ts'
import { unenforcedQuotas, type Access, type QuotaGate } from '../access/access.ts'
import { EnforcedQuotaGate } from '../access/enforced-quota-gate.ts'
import { createIdentityEngine } from '../access/create-identity-engine.ts'
import { loadPolicy } from '../access/load-policy.ts'
import { RbacAccess } from '../access/rbac-access.ts'
import { RequestIdentity } from '../access/request-identity.ts'
import type { RequestContext } from '../request-context.ts'

/** What the v2 resource routes work with; built once per API process. */
export interface ApiDeps {
  config: OctaviaConfig
  db: Database
  clock: Clock
  inventory: NetworkInventory
  ports: PortRepository
  loadBalancers: LoadBalancerRepository
  statusTree: StatusTreeRepository
  catalog: CatalogRepository
  jobs: JobRepository
  providers: ProviderRegistry
  /** Tells the workers a job was committed, by id when known (a lost announcement only delays it: workers also poll). */
  notifyWorker(jobId?: string): void
  /** Establishes each request's caller (the identity hook) and remembers it. */
  identity: RequestIdentity
  /** The caller, as the configured identity engine established it for this request. */
  context(req: FastifyRequest): RequestContext
  /** Policy decisions for the caller (rbac.md). */
  access: Access
  /** Quota checks inside create transactions (spec/api-v2.md §14.3). */
  quotas: QuotaGate
}

/** Throws ConfigError when the operator's policy file is unusable. */
export function createApiDeps(config: OctaviaConfig, db: Database, clock: Clock, notifyWorker: (jobId?: string) => void, log: Logger = createLogger()): ApiDeps {
  const policy = loadPolicy(config.oslo_policy)
  const identity = new RequestIdentity(createIdentityEngine(config, policy, { clock, log }))
  const context = (req: FastifyRequest) => identity.context(req)
  // noauth callers are administrators without a project of their own (rbac.md §6): no scope rule.
  const enforceScope = config.oslo_policy.enforce_scope && config.identity.engine !== 'noauth'
  return {
    config, db, clock, notifyWorker,
    inventory: new NetworkInventory(config.networks),
    ports: new PortRepository(db, clock, { reserved: config.networking.reserved_ips }),
    loadBalancers: new LoadBalancerRepository(db, clock),
    statusTree: new StatusTreeRepository(db),
    catalog: new CatalogRepository(db),
    jobs: new JobRepository(db, clock),
    providers: new ProviderRegistry(config.api_settings.enabled_provider_drivers, config.api_settings.default_provider_driver),
    identity,
    context,
    access: new RbacAccess(policy, context, { enforceScope }),
    // spec/api-v2.md §14.3: quotas are checked under every identity engine but noauth
    // (identity.engine and api_settings.auth_strategy are one option).
    quotas: config.identity.engine === 'noauth' ? unenforcedQuotas : new EnforcedQuotaGate(db, config.quotas),
  }
}
