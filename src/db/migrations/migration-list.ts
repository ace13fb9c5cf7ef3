import type { EngineMigration } from './engine-migration.ts'
import { initial } from './0001_initial.ts'
import { sniRefLength } from './0002_sni_ref_length.ts'
import { listOrderIndexes } from './0003_list_order_indexes.ts'
import { l7ListOrderIndexes } from './0004_l7_list_order_indexes.ts'
import { jobFailedStep } from './0005_job_failed_step.ts'
import { sparesPool } from './0006_spares_pool.ts'
import { loadBalancerUpdatedAtIndex } from './0007_load_balancer_updated_at_index.ts'

/**
 * Every migration, in order. Names sort in application order and are recorded in the
 * database: never rename or edit one that has shipped; add a new one instead.
 */
export const MIGRATIONS: ReadonlyArray<readonly [name: string, migration: EngineMigration]> = [
  ['0001_initial', initial],
  ['0002_sni_ref_length', sniRefLength],
  ['0003_list_order_indexes', listOrderIndexes],
  ['0004_l7_list_order_indexes', l7ListOrderIndexes],
  ['0005_job_failed_step', jobFailedStep],
  ['0006_spares_pool', sparesPool],
  ['0007_load_balancer_updated_at_index', loadBalancerUpdatedAtIndex],
]
