import type { OperatingStatus, ProvisioningStatus } from '../../common/statuses.ts'
import type { Executor } from '../database.ts'

/** The tables whose rows carry provisioning_status and operating_status. */
export const STATUS_TABLES = ['load_balancer', 'listener', 'pool', 'member', 'health_monitor', 'l7policy', 'l7rule'] as const
export type StatusTable = (typeof STATUS_TABLES)[number]

export interface StatusChange<S> {
  /** Only change the row while its status is one of these ("test and set"); any status when absent. */
  from?: S | readonly S[]
  /** updated_at of the row. */
  at: Date
}

function fromList<S>(from: S | readonly S[] | undefined): readonly S[] | undefined {
  if (from === undefined) return undefined
  return Array.isArray(from) ? (from as readonly S[]) : [from as S]
}

/**
 * Sets a row's provisioning_status, optionally only if it currently is one of `from`.
 * Resolves whether the row changed: false when it does not exist or was in another status.
 * One guarded UPDATE, so two callers racing for the same transition cannot both win.
 */
export async function setProvisioningStatus(
  executor: Executor, table: StatusTable, id: string, to: ProvisioningStatus, change: StatusChange<ProvisioningStatus>,
): Promise<boolean> {
  const from = fromList(change.from)
  if (from !== undefined && from.length === 0) return false
  let query = executor.updateTable(table as 'load_balancer').set({ provisioning_status: to, updated_at: change.at }).where('id', '=', id)
  if (from !== undefined) query = query.where('provisioning_status', 'in', [...from])
  const { numUpdatedRows } = await query.executeTakeFirst()
  return numUpdatedRows > 0n
}

/** Sets a row's operating_status, optionally only from the given ones; resolves whether it changed. */
export async function setOperatingStatus(
  executor: Executor, table: StatusTable, id: string, to: OperatingStatus, change: StatusChange<OperatingStatus>,
): Promise<boolean> {
  const from = fromList(change.from)
  if (from !== undefined && from.length === 0) return false
  let query = executor.updateTable(table as 'load_balancer').set({ operating_status: to, updated_at: change.at }).where('id', '=', id)
  if (from !== undefined) query = query.where('operating_status', 'in', [...from])
  const { numUpdatedRows } = await query.executeTakeFirst()
  return numUpdatedRows > 0n
}
