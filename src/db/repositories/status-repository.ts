import type { Clock } from '../../common/clock.ts'
import type { OperatingStatus, ProvisioningStatus } from '../../common/statuses.ts'
import type { Database, Executor } from '../database.ts'
import { setOperatingStatus, setProvisioningStatus, type StatusTable } from './provisioning-status.ts'

/** The status methods every repository of an object with statuses shares (LB, listener, pool, member, HM). */
export abstract class StatusRepository {
  protected abstract readonly table: StatusTable

  constructor(protected readonly db: Database, protected readonly clock: Clock) {}

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
