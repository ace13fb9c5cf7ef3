// The ceiling bench:api's figures sit under on this machine: a bare Fastify service in 2 processes
// (as bench:api runs the API) that does nothing but the database work of one request, on the same
// engines, loaded by wrk the same way. Prints req/s; never fails on time.
// Run: npm run bench:ceiling [-- --seconds 5] [-- --engine sqlite|mysql]
//   POST, one row:   one INSERT of a 4-column row in its own transaction, answering its id (an API
//                    create writes 4 rows and a job, then the worker changes them in 2 more)
//   GET 100 rows:    a load balancer table's first 100 rows by (created_at, id), as JSON (a list
//                    of 100 LBs also reads each one's VIP and relations, and renders them)
//   GET 1 row:       one row by id, as JSON (a show also reads its relations)
import cluster from 'node:cluster'
import { execFile } from 'node:child_process'
import { randomBytes, randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
import Fastify from 'fastify'
import { createPool, type RowDataPacket } from 'mysql2/promise'
import { createServerDatabase, dropServerDatabase } from '../../src/db/server-admin.ts'

type Engine = 'sqlite' | 'mysql'
const PROCESSES = 2
const ROWS = 1000
const WRK = '/usr/bin/wrk'

const LB_COLUMNS = `id varchar(36) not null primary key, project_id varchar(36), name varchar(255), description varchar(255),
  provisioning_status varchar(16) not null, operating_status varchar(16) not null, topology varchar(36), enabled boolean not null,
  provider varchar(64), flavor_id varchar(36), availability_zone varchar(255), created_at datetime not null, updated_at datetime,
  vip_address varchar(64), vip_port_id varchar(36), vip_subnet_id varchar(36), vip_network_id varchar(36), vip_vnic_type varchar(64)`
const ROW_COLUMNS = 'id text primary key, name text, created_at text, state text'

function lbRow(i: number): unknown[] {
  const at = new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString().slice(0, 19).replace('T', ' ')
  return [randomUUID(), 'b7c1a69e88bf4b21a8148f787aef2081', `lb-${i}`, null, 'ACTIVE', 'ONLINE', 'SINGLE', 1, 'amphora', null, null, at, at,
    `10.0.${i >> 8}.${i & 255}`, randomUUID(), randomUUID(), randomUUID(), 'normal']
}
const LB_INSERT = `insert into lb values (${Array.from({ length: 18 }, () => '?').join(', ')})`

if (cluster.isPrimary) await primary()
else await serve(process.env.CEILING_ENGINE as Engine)

async function serve(engine: Engine): Promise<void> {
  const app = Fastify()
  if (engine === 'sqlite') {
    const db = new BetterSqlite3(process.env.CEILING_SQLITE!)
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = NORMAL')
    db.pragma('busy_timeout = 5000')
    const insert = db.prepare('insert into row values (?, ?, ?, ?)')
    const write = db.transaction((id: string, name: string) => insert.run(id, name, new Date().toISOString(), 'PENDING'))
    const page = db.prepare('select * from lb order by created_at, id limit 100')
    const one = db.prepare('select * from lb where id = ?')
    app.post('/row', async (req, reply) => {
      const id = randomUUID()
      const name = (req.body as { row: { name: string } }).row.name
      write(id, name)
      return reply.code(201).send({ row: { id, name } })
    })
    app.get('/rows', async () => ({ rows: page.all() }))
    app.get('/rows/:id', async (req) => ({ row: one.get((req.params as { id: string }).id) }))
  } else {
    const pool = createPool({ host: '127.0.0.1', user: 'root', password: '', database: process.env.CEILING_MYSQL!, connectionLimit: 8 })
    app.get('/rows', async () => ({ rows: (await pool.query<RowDataPacket[]>('select * from lb order by created_at, id limit 100'))[0] }))
    app.get('/rows/:id', async (req) => ({ row: (await pool.query<RowDataPacket[]>('select * from lb where id = ?', [(req.params as { id: string }).id]))[0][0] }))
  }
  await app.listen({ host: '127.0.0.1', port: Number(process.env.CEILING_PORT) })
  process.send?.('listening')
}

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

async function wrk(url: string, seconds: number, dir: string, post?: unknown): Promise<number> {
  const args = ['-t1', '-c16', `-d${seconds}s`]
  if (post !== undefined) {
    const script = join(dir, 'post.lua')
    writeFileSync(script, `wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = ${JSON.stringify(JSON.stringify(post))}\n`)
    args.push('-s', script)
  }
  const out = await new Promise<string>((resolve, reject) => execFile(WRK, [...args, url], (err, stdout) => (err ? reject(err) : resolve(stdout))))
  if (/Non-2xx or 3xx responses/.test(out)) throw new Error(`wrk saw errors:\n${out}`)
  return Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0)
}

async function primary(): Promise<void> {
  const at = process.argv.indexOf('--seconds')
  const seconds = at > 0 ? Number(process.argv[at + 1]) : 5
  const engineAt = process.argv.indexOf('--engine')
  const engines: Engine[] = engineAt > 0 ? [process.argv[engineAt + 1] as Engine] : ['sqlite', 'mysql']
  const dir = mkdtempSync(join(tmpdir(), 'octavia-ceiling-'))
  const rows: string[] = []
  // bench:api's goal: thirty times Octavia 11's figures at concurrency 16.
  const goal = { 'POST, one row': 30 * 92, 'GET 100 rows': 30 * 43, 'GET 1 row': 30 * 150 }
  try {
    for (const engine of engines) {
      const env: Record<string, string> = { CEILING_ENGINE: engine, CEILING_PORT: String(await freePort()) }
      let drop = async () => {}
      let showId: string
      if (engine === 'sqlite') {
        const path = join(dir, 'ceiling.sqlite')
        const db = new BetterSqlite3(path)
        db.pragma('journal_mode = WAL')
        db.exec(`create table row (${ROW_COLUMNS}); create table lb (${LB_COLUMNS}); create index ix_lb_created_at_id on lb (created_at, id)`)
        const insert = db.prepare(LB_INSERT)
        const seeded = Array.from({ length: ROWS }, (_, i) => lbRow(i))
        db.transaction(() => { for (const row of seeded) insert.run(...row) })()
        showId = String(seeded[ROWS / 2]![0])
        db.close()
        env.CEILING_SQLITE = path
      } else {
        const options = { engine: 'mysql' as const, host: '127.0.0.1', port: 3306, user: 'root', password: '', name: `octavia_ceiling_${randomBytes(4).toString('hex')}` }
        await createServerDatabase(options)
        drop = () => dropServerDatabase(options)
        const pool = createPool({ host: '127.0.0.1', user: 'root', password: '', database: options.name })
        await pool.query(`create table lb (${LB_COLUMNS}, index ix_lb_created_at_id (created_at, id))`)
        const seeded = Array.from({ length: ROWS }, (_, i) => lbRow(i))
        for (const row of seeded) await pool.query(LB_INSERT, row)
        showId = String(seeded[ROWS / 2]![0])
        await pool.end()
        env.CEILING_MYSQL = options.name
      }
      const workers = Array.from({ length: PROCESSES }, () => cluster.fork(env))
      try {
        await Promise.all(workers.map((w) => new Promise<void>((resolve, reject) => {
          w.once('message', () => resolve())
          w.once('exit', (code) => reject(new Error(`a ceiling server exited with ${code}`)))
        })))
        const base = `http://127.0.0.1:${env.CEILING_PORT}`
        // What the load will ask for is there: a full page, and the row.
        const page = await (await fetch(`${base}/rows`)).json() as { rows: unknown[] }
        const one = await (await fetch(`${base}/rows/${showId}`)).json() as { row?: { id: string } }
        if (page.rows.length !== 100 || one.row?.id !== showId) throw new Error(`${engine}: the ceiling service does not answer what it should`)
        const figures: Array<[keyof typeof goal, number]> = []
        if (engine === 'sqlite') figures.push(['POST, one row', await wrk(`${base}/row`, seconds, dir, { row: { name: 'created' } })])
        figures.push(['GET 100 rows', await wrk(`${base}/rows`, seconds, dir)])
        figures.push(['GET 1 row', await wrk(`${base}/rows/${showId}`, seconds, dir)])
        for (const [name, rps] of figures) {
          rows.push([engine.padEnd(7), name.padEnd(14), rps.toFixed(0).padStart(8), String(goal[name]).padStart(9)].join(' | '))
        }
      } finally {
        for (const w of workers) w.kill()
        await Promise.all(workers.map((w) => (w.isDead() ? undefined : new Promise((resolve) => w.once('exit', resolve)))))
        await drop()
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  process.stdout.write(`engine  | bare service   |    req/s | api goal\n${rows.join('\n')}\n`)
  process.stdout.write(`(${seconds} s per figure, ${PROCESSES} processes of a bare Fastify service, wrk at concurrency 16; "api goal" is bench:api's thirty times Octavia 11 for create, list of 100 and show)\n`)
}
