import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import BetterSqlite3 from 'better-sqlite3'
import type { FastifyInstance } from 'fastify'
import { createApiDeps } from '../../src/api/v2/api-deps.ts'
import { systemClock } from '../../src/common/clock.ts'
import { createLogger } from '../../src/common/logger.ts'
import { DEFAULT_SUBNET_ID } from '../../src/config/defaults.ts'
import { loadConfig } from '../../src/config/load-config.ts'
import { createDatabase } from '../../src/db/create-database.ts'
import type { Database } from '../../src/db/database.ts'
import { v2Api } from '../helpers/api-harness.ts'
import { openTestDatabase } from '../helpers/test-database.ts'

// The database down, or another process holding SQLite's write lock past the wait: the API
// answers 503 in Octavia's envelope (the request may succeed later), never a 500, and writes
// nothing; reads go on meanwhile.

const log = createLogger({ level: 'silent' })
const { config } = loadConfig({ files: [], env: {} })
const SERVER_FAULT = { faultcode: 'Server', faultstring: 'The database is unavailable or busy. Please try again later.', debuginfo: null }

const api = (t: TestContext, db: Database): FastifyInstance => v2Api(t, createApiDeps(config, db, systemClock, () => {}, log), db)

const create = (app: FastifyInstance, name: string) =>
  app.inject({ method: 'POST', url: '/v2/lbaas/loadbalancers', payload: { loadbalancer: { name, vip_subnet_id: DEFAULT_SUBNET_ID } } })

test('SQLite write lock held by another connection past the wait: a create answers 503 and writes nothing, reads go on', async (t) => {
  const handle = await openTestDatabase('sqlite')
  t.after(() => handle.drop())
  const app = api(t, handle.db)
  assert.equal((await create(app, 'before')).statusCode, 201)

  // Another writer (another process would do the same) takes the lock and keeps it.
  const other = new BetterSqlite3(handle.options.path!)
  t.after(() => other.close())
  other.exec('begin immediate')
  const started = performance.now()
  const refused = await create(app, 'refused')
  assert.equal(refused.statusCode, 503, refused.body)
  assert.deepEqual(refused.json(), SERVER_FAULT)
  assert.ok(performance.now() - started >= 4000, 'it waited for the lock first')
  // Reads do not need the lock.
  const listed = await app.inject({ method: 'GET', url: '/v2/lbaas/loadbalancers' })
  assert.equal(listed.statusCode, 200)
  assert.deepEqual((listed.json() as { loadbalancers: Array<{ name: string }> }).loadbalancers.map((lb) => lb.name), ['before'])

  other.exec('rollback')
  assert.equal((await create(app, 'after')).statusCode, 201)
  const names = await handle.db.kysely.selectFrom('load_balancer').select('name').orderBy('created_at').execute()
  assert.deepEqual(names.map((n) => n.name), ['before', 'after'])
})

test('a database server that cannot be reached: 503, not 500', async (t) => {
  // A port nothing listens on: bound, then closed again.
  const port = await new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port: bound } = server.address() as { port: number }
      server.close(() => resolve(bound))
    })
  })
  const db = createDatabase({ engine: 'mysql', host: '127.0.0.1', port, user: 'root', password: '', name: 'octavia', pool_timeout: 2 })
  t.after(() => db.close())
  const app = api(t, db)
  const listed = await app.inject({ method: 'GET', url: '/v2/lbaas/loadbalancers' })
  assert.equal(listed.statusCode, 503, listed.body)
  assert.deepEqual(listed.json(), SERVER_FAULT)
})
