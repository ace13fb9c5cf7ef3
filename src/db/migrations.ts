import { Migrator, sql, type Migration, type MigrationProvider } from 'kysely'
import { systemClock, type Clock } from '../common/clock.ts'
import type { Database, Executor } from './database.ts'
import { DatabaseError, DuplicateEntry, MigrationFailed } from './errors.ts'
import { MIGRATIONS } from './migrations/migration-list.ts'

/** The migrator's own bookkeeping tables. */
export const MIGRATION_TABLE = 'schema_migration'
export const MIGRATION_LOCK_TABLE = 'schema_migration_lock'

export const HEAD = MIGRATIONS[MIGRATIONS.length - 1]?.[0] ?? ''

function createMigrator(db: Database): Migrator {
  const provider: MigrationProvider = {
    getMigrations: async () => {
      const migrations: Record<string, Migration> = {}
      for (const [name, migration] of MIGRATIONS) {
        const down = migration.down
        migrations[name] = {
          up: (kysely) => migration.up(kysely, db.engine),
          ...(down ? { down: (kysely) => down(kysely, db.engine) } : {}),
        }
      }
      return migrations
    },
  }
  return new Migrator({
    db: db.kysely,
    provider,
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: MIGRATION_LOCK_TABLE,
  })
}

/**
 * Applies every pending migration, in order, under the migrator's lock (safe to run from
 * several processes at once) and records the head in the deployment table. Idempotent:
 * a second run applies nothing.
 */
export async function migrateToLatest(db: Database, clock: Clock = systemClock): Promise<{ applied: string[] }> {
  const known = new Set(MIGRATIONS.map(([name]) => name))
  const unknown = (await appliedNames(db)).filter((name) => !known.has(name))
  if (unknown.length > 0) {
    throw new MigrationFailed(unknown.join(', '), `the database has migrations this release does not know (upgraded by a newer release?); head here is ${HEAD}`)
  }
  const { error, results } = await createMigrator(db).migrateToLatest()
  const applied = (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName)
  for (const name of applied) db.log?.info({ migration: name }, 'migration applied')
  if (error !== undefined) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'schema'
    const reason = error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error)
    if (error instanceof DatabaseError && error.kind !== 'migration') throw error
    throw new MigrationFailed(failed, reason, { cause: error })
  }
  if (applied.length > 0) await setDeploymentFact(db.kysely, 'schema', HEAD, clock.now())
  return { applied }
}

/**
 * The last applied migration (null on an empty database), the newest this code knows, what is
 * pending, and migrations the database has that this code does not know (a newer release ran).
 */
export async function currentVersion(db: Database): Promise<{ current: string | null; head: string; pending: string[]; unknown: string[] }> {
  const migrations = await createMigrator(db).getMigrations()
  const executed = migrations.filter((m) => m.executedAt !== undefined)
  return {
    current: executed[executed.length - 1]?.name ?? null,
    head: HEAD,
    pending: migrations.filter((m) => m.executedAt === undefined).map((m) => m.name),
    unknown: (await appliedNames(db)).filter((name) => !migrations.some((m) => m.name === name)),
  }
}

/** Every migration name recorded in the database, known to this code or not. */
async function appliedNames(db: Database): Promise<string[]> {
  const tables = await db.kysely.introspection.getTables({ withInternalKyselyTables: true })
  if (!tables.some((t) => t.name === MIGRATION_TABLE)) return []
  const rows = await sql<{ name: string }>`select name from ${sql.table(MIGRATION_TABLE)} order by name`.execute(db.kysely)
  return rows.rows.map((r) => r.name)
}

/** Records the release the configuration targets (the pillar's `version`, e.g. "ocata"). */
export async function recordVersion(db: Database, version: string, clock: Clock = systemClock): Promise<void> {
  await setDeploymentFact(db.kysely, 'version', version, clock.now())
}

export interface DeploymentFacts {
  version: string | null
  version_recorded_at: Date | null
  schema: string | null
  schema_upgraded_at: Date | null
}

/** What `recordVersion` and `migrateToLatest` wrote; all null before the first upgrade. */
export async function readDeployment(db: Database): Promise<DeploymentFacts> {
  const rows = await db.kysely.selectFrom('deployment').selectAll().execute()
  const fact = (name: string) => rows.find((r) => r.name === name)
  return {
    version: fact('version')?.value ?? null,
    version_recorded_at: fact('version')?.updated_at ?? null,
    schema: fact('schema')?.value ?? null,
    schema_upgraded_at: fact('schema')?.updated_at ?? null,
  }
}

async function setDeploymentFact(executor: Executor, name: string, value: string, at: Date): Promise<void> {
  const update = () => executor.updateTable('deployment').set({ value, updated_at: at }).where('name', '=', name)
    .executeTakeFirstOrThrow()
  if ((await update()).numUpdatedRows > 0n) return
  try {
    await executor.insertInto('deployment').values({ name, value, updated_at: at }).execute()
  } catch (error) {
    // Another process inserted it between our update and insert: its row is there now.
    if (!(error instanceof DuplicateEntry)) throw error
    await update()
  }
}
