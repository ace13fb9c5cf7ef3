import type { EngineMigration } from './engine-migration.ts'

/**
 * jobs.failed_step: the task whose failure started the job's revert (null while the flow goes
 * forward), so a worker that takes over a job after a crash carries on reverting, not executing.
 */
export const jobFailedStep: EngineMigration = {
  async up(db) {
    await db.schema.alterTable('jobs').addColumn('failed_step', 'varchar(255)').execute()
  },
}
