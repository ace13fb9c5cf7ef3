import type { Kysely } from 'kysely'
import type { DatabaseEngine } from '../database-options.ts'

/** A migration that knows which engine it runs on, for the few statements that differ. */
export interface EngineMigration {
  up(db: Kysely<unknown>, engine: DatabaseEngine): Promise<void>
  down?(db: Kysely<unknown>, engine: DatabaseEngine): Promise<void>
}
