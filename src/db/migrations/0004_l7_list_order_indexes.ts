import type { EngineMigration } from './engine-migration.ts'

// 0003's (created_at, id) list-order index for the two tables it left out: L7 policy lists are
// ordered by creation too, not by position (spec/api-v2.md §5.3), and so are a policy's rules.
const TABLES = ['l7policy', 'l7rule'] as const

export const l7ListOrderIndexes: EngineMigration = {
  async up(db) {
    for (const table of TABLES) {
      await db.schema.createIndex(`ix_${table}_created_at_id`).on(table).columns(['created_at', 'id']).execute()
    }
  },
}
