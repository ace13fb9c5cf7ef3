import { sql } from 'kysely'
import type { EngineMigration } from './engine-migration.ts'

/**
 * SNI certificate refs are up to 255 characters in the API (spec/api-v2.md §9.1), as every
 * other certificate ref column; 0001 made this one 128. SQLite does not enforce varchar lengths.
 */
export const sniRefLength: EngineMigration = {
  async up(db, engine) {
    if (engine === 'mysql') await sql`alter table sni modify tls_container_id varchar(255) not null`.execute(db)
    if (engine === 'postgresql') await sql`alter table sni alter column tls_container_id type varchar(255)`.execute(db)
  },
}
