import type { FastifyRequest } from 'fastify'
import { InvalidInput, QuotaExceeded, ServiceUnavailable } from '../../common/errors.ts'
import type { QuotasConfig } from '../../config/schema.ts'
import type { Database, Transaction } from '../../db/database.ts'
import { DatabaseBusy } from '../../db/errors.ts'
import { QuotaRepository, type QuotaResource } from '../../db/repositories/quota-repository.ts'
import type { Schema } from '../../db/schema.ts'
import type { QuotaGate } from './access.ts'

/** The kinds as Octavia's quota message names them (spec/api-v2.md §4.4). */
export const QUOTA_LABELS: Record<QuotaResource, string> = {
  load_balancer: 'Load Balancer',
  listener: 'Listener',
  pool: 'Pool',
  health_monitor: 'Health Monitor',
  member: 'Member',
  l7policy: 'L7 Policy',
  l7rule: 'L7 Rule',
}

const MISSING_PROJECT = 'Validation failure: Missing project ID in request where one is required. An administrator should check the keystone settings in the Octavia configuration.'

/** The deployment default of one kind (`[quotas] default_<kind>_quota`; -1 = unlimited). */
export function defaultQuota(config: QuotasConfig, resource: QuotaResource): number {
  return config[`default_${resource}_quota`]
}

/**
 * Quotas as every identity engine but noauth enforces them (spec/api-v2.md §14.3). Usage is
 * counted from the project's objects that are not DELETED, under the lock of the project's quota
 * record, so nothing has to be given back when the worker deletes an object and no counter can
 * drift. Call it first in the create transaction: its 403 comes before the 409 status tests, and
 * the project lock is then always taken before any load balancer's.
 */
export class EnforcedQuotaGate implements QuotaGate {
  readonly #quotas: QuotaRepository

  constructor(db: Database, private readonly defaults: QuotasConfig) {
    this.#quotas = new QuotaRepository(db)
  }

  async consume(trx: Transaction<Schema>, _req: FastifyRequest, projectId: string | null, resource: QuotaResource, count = 1): Promise<void> {
    // Nothing to create (a member batch that shrinks the pool) checks nothing.
    if (count <= 0) return
    // Only rows written outside the API lack an owner; upstream's quota check refuses them so.
    if (!projectId) throw new InvalidInput(MISSING_PROJECT)
    let quota
    try {
      quota = await this.#quotas.lockForUpdate(trx, projectId)
    } catch (err) {
      // spec/api-v2.md §4.3: the project's record stayed locked too long.
      if (err instanceof DatabaseBusy) throw new ServiceUnavailable('Project busy.  Unable to lock the project.  Please try again.')
      throw err
    }
    const limit = quota[resource] ?? defaultQuota(this.defaults, resource)
    if (limit === -1) return
    if (await this.#quotas.countInUse(projectId, resource, trx) + count > limit) throw new QuotaExceeded(QUOTA_LABELS[resource])
  }
}
