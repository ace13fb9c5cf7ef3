import type { QuotasConfig } from '../../config/schema.ts'
import { QUOTA_RESOURCES, type QuotaLimits, type QuotaResource } from '../../db/repositories/quota-repository.ts'
import { defaultQuota } from '../access/enforced-quota-gate.ts'

/**
 * A quota as the API shows it (spec/api-v2.md §14.1): the project under both names and each kind
 * under Octavia's name, `loadbalancer` and `healthmonitor` also under their deprecated spellings.
 * `null` (the list's raw records only) means "the deployment default".
 */
export function renderQuota(projectId: string, limits: QuotaLimits) {
  return {
    project_id: projectId,
    tenant_id: projectId,
    loadbalancer: limits.load_balancer,
    load_balancer: limits.load_balancer,
    listener: limits.listener,
    member: limits.member,
    pool: limits.pool,
    healthmonitor: limits.health_monitor,
    health_monitor: limits.health_monitor,
    l7policy: limits.l7policy,
    l7rule: limits.l7rule,
  }
}

/** The limits in force: stored values, each null (or missing record) replaced by the deployment default. */
export function effectiveLimits(stored: QuotaLimits | undefined, config: QuotasConfig): Record<QuotaResource, number> {
  return Object.fromEntries(QUOTA_RESOURCES.map((r) => [r, stored?.[r] ?? defaultQuota(config, r)])) as Record<QuotaResource, number>
}
