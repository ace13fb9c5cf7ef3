import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { statSync } from 'node:fs'
import BetterSqlite3 from 'better-sqlite3'
import { sql } from 'kysely'
import type { Database, Transaction } from '../../src/db/database.ts'
import { WAL_RESTART_BYTES } from '../../src/db/sqlite-connection.ts'
import type { Schema } from '../../src/db/schema.ts'
import { openTestDatabase } from '../helpers/test-database.ts'

// SQLite's group commit (src/db/sqlite-group-commit.ts) and WAL upkeep (sqlite-connection.ts),
// on a real file, watched from a second connection as another process would see it.

/** An empty SQLite file of the test's own, and its path for the watching connections. */
async function sqliteFile(t: TestContext): Promise<{ db: Database; path: string }> {
  const { db, options, drop } = await openTestDatabase('sqlite', { migrate: false })
  t.after(drop)
  return { db, path: options.path! }
}

async function createNotes(db: Database): Promise<void> {
  await sql`create table notes (id integer primary key, text text not null unique)`.execute(db.kysely)
}

const insertNote = (trx: Transaction<Schema>, text: string) =>
  sql`insert into notes (text) values (${text})`.execute(trx)

test('transactions queued behind one share its commit; one that throws is undone alone; each resolves only once committed', async (t) => {
  const { db, path } = await sqliteFile(t)
  await createNotes(db)
  const observer = new BetterSqlite3(path, { readonly: true })
  t.after(() => observer.close())
  const seen = () => (observer.prepare('select text from notes order by id').all() as Array<{ text: string }>).map((r) => r.text)

  let open!: () => void
  const gate = new Promise<void>((resolve) => { open = resolve })
  const order: string[] = []
  const first = db.transaction(async (trx) => {
    await insertNote(trx, 'first')
    await gate
    return 'first done'
  })
  const second = db.transaction(async (trx) => {
    // Runs inside the same SQLite transaction, after the first: its write is visible here, and
    // not yet committed (another connection does not see it).
    const rows = await sql<{ text: string }>`select text from notes order by id`.execute(trx)
    order.push(`second saw ${rows.rows.map((r) => r.text).join(',')}`, `others saw ${seen().join(',')}`)
    await insertNote(trx, 'second')
    return 'second done'
  })
  const failing = db.transaction(async (trx) => {
    await insertNote(trx, 'failing')
    throw new Error('changed my mind')
  })
  const duplicate = db.transaction(async (trx) => insertNote(trx, 'first'))
  const third = db.transaction(async (trx) => {
    const rows = await sql<{ text: string }>`select text from notes order by id`.execute(trx)
    order.push(`third saw ${rows.rows.map((r) => r.text).join(',')}`)
    await insertNote(trx, 'third')
  })

  // Nothing is committed while the first transaction is still running.
  await new Promise((resolve) => setTimeout(resolve, 20))
  assert.deepEqual(seen(), [])
  open()

  await assert.rejects(failing, /changed my mind/)
  await assert.rejects(duplicate, (err: Error) => err.name !== 'Error' || /unique/i.test(err.message))
  assert.equal(await first, 'first done')
  // Resolved means committed: another connection sees every surviving write at once.
  assert.deepEqual(seen(), ['first', 'second', 'third'])
  assert.equal(await second, 'second done')
  await third
  assert.deepEqual(order, ['second saw first', 'others saw ', 'third saw first,second'])

  // The connection is back to normal: a later transaction runs and commits on its own.
  await db.transaction((trx) => insertNote(trx, 'later'))
  assert.deepEqual(seen(), ['first', 'second', 'third', 'later'])
})

test('a failed shared commit rejects every transaction it carried', async (t) => {
  const { db, path } = await sqliteFile(t)
  await createNotes(db)
  // A deferred foreign key is checked at COMMIT: the second transaction's orphan makes the
  // shared commit fail, so the first, which succeeded on its own, is not written either.
  await sql`create table children (id integer primary key, note_id integer not null references notes (id) deferrable initially deferred)`.execute(db.kysely)
  let open!: () => void
  const gate = new Promise<void>((resolve) => { open = resolve })
  const first = db.transaction(async (trx) => {
    await insertNote(trx, 'kept?')
    await gate
  })
  const orphan = db.transaction(async (trx) => sql`insert into children (note_id) values (999)`.execute(trx))
  open()
  const results = await Promise.allSettled([first, orphan])
  assert.deepEqual(results.map((r) => r.status), ['rejected', 'rejected'])
  assert.match(String((results[0] as PromiseRejectedResult).reason), /refers to a row that does not exist/)
  const observer = new BetterSqlite3(path, { readonly: true })
  t.after(() => observer.close())
  assert.deepEqual(observer.prepare('select count(*) as n from notes').get(), { n: 0 })
  await db.transaction((trx) => insertNote(trx, 'after'))
  assert.deepEqual(observer.prepare('select text from notes').all(), [{ text: 'after' }])
})

test('the WAL is emptied once past its limit while other processes read without pause', async (t) => {
  const { db, path } = await sqliteFile(t)
  await createNotes(db)
  await db.transaction((trx) => insertNote(trx, 'seed'))
  // Two readers in processes of their own, reading one short transaction after another as busy
  // API processes do: SQLite alone never finds the moment to write the WAL from its start again,
  // and the file grows with every commit.
  const readers = [1, 2].map(() => spawn(process.execPath, ['-e', `
    const db = new (require('better-sqlite3'))(${JSON.stringify(path)}, { readonly: true })
    const begin = db.prepare('begin'), read = db.prepare('select count(*) from notes'), end = db.prepare('commit')
    const nap = new Int32Array(new SharedArrayBuffer(4))
    process.stdout.write('reading\\n')
    for (;;) { begin.run(); read.get(); end.run(); Atomics.wait(nap, 0, 0, 0.05) }
  `], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] }))
  t.after(() => { for (const reader of readers) reader.kill() })
  await Promise.all(readers.map((reader) => new Promise<void>((resolve) => reader.stdout.once('data', () => resolve()))))

  // One small commit after another, each some 8 KB of WAL frames (two pages): half as much
  // again as the limit.
  const text = 'x'.repeat(3000)
  const sizes: number[] = []
  const commits = Math.ceil((1.5 * WAL_RESTART_BYTES) / 8192)
  for (let i = 0; i < commits; i++) {
    await db.transaction((trx) => insertNote(trx, `${i}${text}`))
    if (i % 100 === 99) sizes.push(statSync(`${path}-wal`).size)
  }
  assert.deepEqual(readers.map((reader) => reader.exitCode), [null, null], 'the readers kept reading throughout')
  const MB = 1024 * 1024
  // Past the limit the WAL was emptied while the readers read. On a quiet machine that keeps it
  // near the limit; on a loaded one a reader descheduled in the middle of a read can hold it up
  // for a while, so only the emptying is asserted. SQLite alone never empties it here: it ends
  // holding every frame written.
  const firstPast = sizes.findIndex((size) => size > WAL_RESTART_BYTES / 2)
  assert.ok(firstPast >= 0 && sizes.slice(firstPast).some((size) => size < 4 * MB), `the WAL was never emptied: ${sizes.map((size) => (size / MB).toFixed(0)).join(' ')} MB`)
})
