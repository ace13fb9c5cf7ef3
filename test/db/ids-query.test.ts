import { test } from 'node:test'
import assert from 'node:assert/strict'
import { sql } from 'kysely'
import type { Executor } from '../../src/db/database.ts'
import { idsQuery } from '../../src/db/ids-query.ts'
import { ENGINES, withTestDatabase } from '../helpers/test-database.ts'

for (const engine of ENGINES) {
  test(`idsQuery on ${engine}: one compiled query per id count, new ids every call`, async (t) => {
    const db = await withTestDatabase(t, engine)
    await db.kysely.insertInto('tags').values([
      { resource_id: 'r1', tag: 'a' }, { resource_id: 'r1', tag: 'b' }, { resource_id: 'r2', tag: 'a' }, { resource_id: 'r3', tag: 'c' },
    ]).execute()
    // The ids twice and a constant among them: each call must get its own ids in each place.
    const tagged = idsQuery((executor, ids) => executor.selectFrom('tags').select(['resource_id', 'tag'])
      .where('resource_id', 'in', ids).where('tag', '<>', 'b')
      .where((eb) => eb.or([eb('resource_id', 'in', ids), eb('tag', '=', 'never')]))
      .orderBy('resource_id').orderBy('tag'))
    const run = async (ids: string[], executor: Executor = db.kysely) => (await tagged(executor, ids)).map((r) => `${r.resource_id}:${r.tag}`)

    assert.deepEqual(await run(['r1']), ['r1:a'])
    assert.deepEqual(await run(['r2']), ['r2:a'])
    assert.deepEqual(await run(['r3', 'r1']), ['r1:a', 'r3:c'])
    assert.deepEqual(await run(['r2', 'r3']), ['r2:a', 'r3:c'])
    assert.deepEqual(await run(['nothing']), [])
    // Inside a transaction too.
    assert.deepEqual(await db.transaction((trx) => run(['r3'], trx)), ['r3:c'])
  })
}

test('idsQuery refuses a query that writes an id into its SQL text', async (t) => {
  const db = await withTestDatabase(t, 'sqlite')
  const literal = idsQuery((executor, ids) => executor.selectFrom('tags').selectAll().where('resource_id', '=', sql.lit(ids[0])))
  await assert.rejects(literal(db.kysely, ['r1']), /an id was written into the SQL text/)
})
