import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createDatabase } from '../../src/db/create-database.ts'
import { sql } from 'kysely'
import { DatabaseUnavailable, MigrationFailed } from '../../src/db/errors.ts'
import { currentVersion, HEAD, MIGRATION_TABLE, migrateToLatest, readDeployment, recordVersion } from '../../src/db/migrations.ts'
import { TABLES } from '../../src/db/schema.ts'
import { MIGRATIONS } from '../../src/db/migrations/migration-list.ts'
import { ENGINES, openTestDatabase, serverOptions, withTestDatabase } from '../helpers/test-database.ts'
import { TestClock } from '../helpers/test-clock.ts'

for (const engine of ENGINES) {
  test(`migrations on ${engine}`, async (t) => {
    const db = await withTestDatabase(t, engine, { migrate: false })
    const clock = new TestClock()

    await t.test('an empty database has no current version and everything pending', async () => {
      assert.deepEqual(await currentVersion(db), { current: null, head: HEAD, pending: MIGRATIONS.map(([name]) => name), unknown: [] })
    })

    await t.test('upgrade creates every table and records the schema', async () => {
      assert.deepEqual(await migrateToLatest(db, clock), { applied: MIGRATIONS.map(([name]) => name) })
      const tables = (await db.kysely.introspection.getTables()).map((table) => table.name)
      for (const name of TABLES) assert.ok(tables.includes(name), `${name} missing on ${engine}`)
      assert.ok(tables.includes(MIGRATION_TABLE))
      assert.deepEqual(await currentVersion(db), { current: HEAD, head: HEAD, pending: [], unknown: [] })
      const facts = await readDeployment(db)
      assert.equal(facts.schema, HEAD)
      assert.deepEqual(facts.schema_upgraded_at, clock.now())
      assert.equal(facts.version, null)
    })

    await t.test('a second upgrade applies nothing', async () => {
      clock.advance(60_000)
      assert.deepEqual(await migrateToLatest(db, clock), { applied: [] })
      assert.deepEqual((await readDeployment(db)).schema_upgraded_at, new Date(clock.now().getTime() - 60_000))
    })

    await t.test('recordVersion stores and then replaces the release', async () => {
      await recordVersion(db, 'ocata', clock)
      await recordVersion(db, 'pike', clock)
      const facts = await readDeployment(db)
      assert.equal(facts.version, 'pike')
      assert.deepEqual(facts.version_recorded_at, clock.now())
    })

    await t.test('a database upgraded by a newer release is reported and not touched', async () => {
      await sql`insert into ${sql.table(MIGRATION_TABLE)} (name, timestamp) values ('9999_future', '2030-01-01T00:00:00.000Z')`.execute(db.kysely)
      assert.deepEqual(await currentVersion(db), { current: HEAD, head: HEAD, pending: [], unknown: ['9999_future'] })
      await assert.rejects(migrateToLatest(db, clock), (error: unknown) => error instanceof MigrationFailed && /9999_future/.test(error.message))
      await sql`delete from ${sql.table(MIGRATION_TABLE)} where name = '9999_future'`.execute(db.kysely)
    })

    await t.test('the build slot row is seeded', async () => {
      assert.deepEqual(await db.kysely.selectFrom('amphora_build_slots').selectAll().execute(), [{ id: 1, slots_used: 0 }])
    })
  })
}

for (const engine of ['mysql', 'postgresql'] as const) {
  test(`an unreachable ${engine} server is DatabaseUnavailable with a one-line message`, async () => {
    const db = createDatabase({ ...serverOptions(engine), port: 1, name: 'octavia' })
    try {
      await assert.rejects(db.ping(), (error: unknown) => {
        assert.ok(error instanceof DatabaseUnavailable)
        assert.equal(error.message, `cannot connect to ${engine} at 127.0.0.1:1 (database octavia): ECONNREFUSED`)
        return true
      })
    } finally {
      await db.close()
    }
  })

  test(`a missing ${engine} database is DatabaseUnavailable naming it`, async () => {
    const db = createDatabase({ ...serverOptions(engine), name: 'octavia_test_does_not_exist' })
    try {
      await assert.rejects(migrateToLatest(db), (error: unknown) => {
        assert.ok(error instanceof DatabaseUnavailable, String(error))
        assert.match(error.message, /^cannot connect to .* \(database octavia_test_does_not_exist\): .*octavia_test_does_not_exist/)
        assert.doesNotMatch(error.message, /\n/)
        return true
      })
    } finally {
      await db.close()
    }
  })
}

test('an in-memory SQLite database migrates and answers', async () => {
  const db = createDatabase({ engine: 'sqlite', path: ':memory:' })
  try {
    assert.deepEqual(await migrateToLatest(db), { applied: MIGRATIONS.map(([name]) => name) })
    assert.deepEqual((await currentVersion(db)).pending, [])
  } finally {
    await db.close()
  }
})

test('the test helper fails loudly, with the start command, when a server is down', async () => {
  const saved = process.env.OCTAVIA_TEST_PG_PORT
  process.env.OCTAVIA_TEST_PG_PORT = '1'
  try {
    await assert.rejects(openTestDatabase('postgresql'), /ECONNREFUSED\nThe db tests need this server; start it with: pg_ctlcluster/)
  } finally {
    if (saved === undefined) delete process.env.OCTAVIA_TEST_PG_PORT
    else process.env.OCTAVIA_TEST_PG_PORT = saved
  }
})

for (const engine of ['mysql', 'postgresql'] as const) {
  test(`an exhausted ${engine} pool is DatabaseUnavailable after pool_timeout`, async (t) => {
    const { options, drop } = await openTestDatabase(engine, { migrate: false })
    t.after(drop)
    const db = createDatabase({ ...options, max_pool_size: 1, pool_timeout: 0.2 })
    try {
      let release = () => {}
      const held = db.transaction(() => new Promise<void>((resolve) => { release = resolve }))
      await assert.rejects(db.ping(), (error: unknown) => error instanceof DatabaseUnavailable && /pool|timeout/i.test(error.message))
      release()
      await held
      await db.ping()
    } finally {
      await db.close()
    }
  })
}

test('a password never appears in an error', async () => {
  const db = createDatabase({ ...serverOptions('mysql'), user: 'nobody_here', password: 's3cret-pw', name: 'octavia' })
  try {
    await assert.rejects(db.ping(), (error: unknown) => {
      assert.ok(error instanceof DatabaseUnavailable)
      assert.doesNotMatch(error.message, /s3cret-pw/)
      return true
    })
  } finally {
    await db.close()
  }
})
