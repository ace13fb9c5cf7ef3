import type { Clock } from '../../common/clock.ts'
import type { OperatingStatus, ProvisioningStatus } from '../../common/statuses.ts'
import type { Database, Executor } from '../database.ts'
import { setOperatingStatus, setProvisioningStatus, type StatusTable } from './provisioning-status.ts'

/**
 * What every repository of an object with statuses shares (LB, listener, pool, member, HM):
 * reading one object through the batch read, and the status compare-and-sets.
 */
export abstract class StatusRepository<T extends { id: string }> {
  protected abstract readonly table: StatusTable

  constructor(protected readonly db: Database, protected readonly clock: Clock) {}

  /** The objects with these ids, in the order given (missing ids are skipped), in a fixed number of queries. */
  abstract getMany(ids: readonly string[], executor?: Executor): Promise<T[]>

  async get(id: string, executor: Executor = this.db.kysely): Promise<T | undefined> {
    const [found] = await this.getMany([id], executor)
    return found
  }

  /** Compare-and-set: resolves whether the status changed (see provisioning-status.ts). */
  setProvisioningStatus(id: string, to: ProvisioningStatus, options: { from?: ProvisioningStatus | readonly ProvisioningStatus[] } = {},
    executor: Executor = this.db.kysely): Promise<boolean> {
    return setProvisioningStatus(executor, this.table, id, to, { ...options, at: this.clock.now() })
  }

  setOperatingStatus(id: string, to: OperatingStatus, options: { from?: OperatingStatus | readonly OperatingStatus[] } = {},
    executor: Executor = this.db.kysely): Promise<boolean> {
    return setOperatingStatus(executor, this.table, id, to, { ...options, at: this.clock.now() })
  }
}

/** `objects` in the order of `ids`, skipping ids with no object (a batch read's answer). */
export function inIdOrder<T extends { id: string }>(ids: readonly string[], objects: readonly T[]): T[] {
  const byId = new Map(objects.map((o) => [o.id, o]))
  return ids.flatMap((id) => byId.get(id) ?? [])
}
