import { sql } from 'kysely'
import { createTable, timestampType } from './column-types.ts'
import type { EngineMigration } from './engine-migration.ts'

/**
 * spares_pool (spec/operations.md §7.2, §2): one row whose lock serialises the spare-pool checks of
 * several housekeeping processes, and when the last check ran. Octavia's row has only updated_at,
 * as its key; ours has a fixed id (1), so the time can change under the lock like any column.
 */
export const sparesPool: EngineMigration = {
  async up(db, engine) {
    await createTable(db, engine, 'spares_pool')
      .addColumn('id', 'integer', (c) => c.notNull())
      .addColumn('updated_at', timestampType(engine))
      .addPrimaryKeyConstraint('pk_spares_pool', ['id'])
      .execute()
    await sql`insert into spares_pool (id, updated_at) values (1, null)`.execute(db)
  },
}
