import type { EngineMigration } from './engine-migration.ts'

// Every list is ordered by created_at, id unless the client sorts otherwise (spec/api-v2.md §5.3):
// an index in that order lets a page of `limit` rows be read without sorting the whole table.
const TABLES = ['load_balancer', 'listener', 'pool', 'member', 'health_monitor'] as const

export const listOrderIndexes: EngineMigration = {
  async up(db) {
    for (const table of TABLES) {
      await db.schema.createIndex(`ix_${table}_created_at_id`).on(table).columns(['created_at', 'id']).execute()
    }
  },
}
