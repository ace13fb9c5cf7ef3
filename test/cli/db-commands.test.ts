import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { createServerDatabase, dropServerDatabase } from '../../src/db/server-admin.ts'
import { ENGINES, serverOptions } from '../helpers/test-database.ts'
import { runOctavia, scratchDir } from '../helpers/run-octavia.ts'

/** --set arguments that point the command at a fresh database of `engine`, created for this test. */
async function databaseArgs(t: TestContext, engine: (typeof ENGINES)[number], cwd: string): Promise<string[]> {
  if (engine === 'sqlite') return ['--set', `octavia.database.path=${join(cwd, 'cli.sqlite')}`]
  const options = { ...serverOptions(engine), name: `octavia_cli_${process.pid}_${randomBytes(4).toString('hex')}` }
  await createServerDatabase(options)
  t.after(() => dropServerDatabase(options))
  return [
    // Any deployment beyond the embedded kind must name its heartbeat key.
    '--set', 'octavia.health_manager.heartbeat_key=test-heartbeat-key',
    '--set', `octavia.database.engine=${engine}`,
    '--set', `octavia.database.host=${String(options.host)}`,
    '--set', `octavia.database.port=${String(options.port)}`,
    '--set', `octavia.database.name=${String(options.name)}`,
    '--set', `octavia.database.user=${String(options.user)}`,
    '--set', `octavia.database.password=${options.password ?? ''}`,
  ]
}

for (const engine of ENGINES) {
  test(`db current, db upgrade (twice) and db current again on ${engine}`, async (t) => {
    const cwd = scratchDir(t)
    const db = await databaseArgs(t, engine, cwd)

    const before = await runOctavia([...db, 'db', 'current'], { cwd })
    assert.equal(before.code, 0, before.stderr)
    assert.match(before.stdout, /^current: \(empty database\)\nhead: (\S+)\npending: \S+/)
    const head = /head: (\S+)/.exec(before.stdout)?.[1]

    const upgrade = await runOctavia([...db, 'db', 'upgrade'], { cwd })
    assert.equal(upgrade.code, 0, upgrade.stderr)
    assert.match(upgrade.stdout, /^applied \S+\n/)
    assert.match(upgrade.stdout, new RegExp(`${engine} database at ${head}\\n$`))

    const again = await runOctavia([...db, 'db', 'upgrade'], { cwd })
    assert.equal(again.code, 0, again.stderr)
    assert.equal(again.stdout, `${engine} database at ${head} (already at head)\n`)

    const after = await runOctavia([...db, 'db', 'current'], { cwd })
    assert.equal(after.stdout, `current: ${head}\nhead: ${head}\npending: none\n`)
  })
}

test('an unreachable database is a one-line error with status 1 and no password', async (t) => {
  const cwd = scratchDir(t)
  const res = await runOctavia([
    '--set', 'octavia.health_manager.heartbeat_key=test-heartbeat-key',
    '--set', 'octavia.database.engine=mysql', '--set', 'octavia.database.host=127.0.0.1', '--set', 'octavia.database.port=1',
    '--set', 'octavia.database.password=s3cret-pw', 'db', 'current',
  ], { cwd })
  assert.equal(res.code, 1)
  assert.match(res.stderr, /^cannot connect to mysql at 127\.0\.0\.1:1 \(database octavia\): ECONNREFUSED/m)
  assert.doesNotMatch(res.stderr, /s3cret-pw/)
  assert.doesNotMatch(res.stderr, /^\s+at /m)
})
