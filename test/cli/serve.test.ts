import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { runOctavia, scratchDir, startOctavia } from '../helpers/run-octavia.ts'

// Port 0: the kernel picks free ports, so parallel test files never collide.
const EPHEMERAL = ['--set', 'octavia.api.bind.port=0', '--set', 'octavia.api.metrics.port=0']

test('`octavia up` with the embedded defaults migrates SQLite under ./var, serves the API and metrics, and stops on SIGTERM', async (t) => {
  const cwd = scratchDir(t)
  const service = startOctavia(t, [...EPHEMERAL, 'up'], { cwd })
  const api = await service.waitForLog((l) => l.msg === 'api listening')
  const metrics = await service.waitForLog((l) => l.msg === 'metrics listening')
  assert.equal(api.address, '127.0.0.1')
  const base = `http://127.0.0.1:${String(api.port)}`
  assert.ok(existsSync(join(cwd, 'var', 'octavia.sqlite')), 'the SQLite database is created under ./var')

  const root = await fetch(`${base}/`)
  assert.equal(root.status, 200)
  const doc = (await root.json()) as { versions: Array<{ id: string; status: string; links: Array<{ href: string }> }> }
  assert.equal(doc.versions.at(-1)?.id, 'v2.30')
  assert.equal(doc.versions.at(-1)?.status, 'CURRENT')
  assert.equal(doc.versions[0]?.links[0]?.href, `${base}/v2`)

  const health = await fetch(`${base}/healthcheck`)
  assert.equal(health.status, 200)
  assert.equal(await health.text(), 'OK')

  const scrape = await fetch(String(metrics.url))
  assert.equal(scrape.status, 200)
  const text = await scrape.text()
  assert.match(text, /octavia_api_requests_total\{method="GET",route="\/",code="200",service="octavia-api"\} 1/)

  assert.equal(await service.stop('SIGTERM'), 0)
  assert.ok(service.logs.some((l) => l.msg === 'stopped'))
  await assert.rejects(fetch(`${base}/`), 'the API no longer listens after SIGTERM')
})

test('`octavia up` stops cleanly on SIGINT too', async (t) => {
  const service = startOctavia(t, [...EPHEMERAL, 'up'], { cwd: scratchDir(t) })
  await service.waitForLog((l) => l.msg === 'api listening')
  assert.equal(await service.stop('SIGINT'), 0)
})

test('`octavia api` refuses to start on a database that has not been upgraded, and starts after `db upgrade`', async (t) => {
  const cwd = scratchDir(t)
  const refused = await runOctavia([...EPHEMERAL, 'api'], { cwd })
  assert.equal(refused.code, 1)
  assert.match(refused.stderr, /octavia api: the database schema is at nothing, not \S+; run `octavia db upgrade` first/)

  assert.equal((await runOctavia(['db', 'upgrade'], { cwd })).code, 0)
  const service = startOctavia(t, [...EPHEMERAL, 'api'], { cwd })
  const api = await service.waitForLog((l) => l.msg === 'api listening')
  assert.equal((await fetch(`http://127.0.0.1:${String(api.port)}/v2`)).status, 200)
  assert.equal(await service.stop(), 0)
})

test('a port already in use is a one-line error, not a stack trace', async (t) => {
  const cwd = scratchDir(t)
  const first = startOctavia(t, [...EPHEMERAL, 'up'], { cwd })
  const api = await first.waitForLog((l) => l.msg === 'api listening')
  const second = await runOctavia(['--set', `octavia.api.bind.port=${String(api.port)}`, '--set', 'octavia.api.metrics.port=0', 'up'], { cwd: scratchDir(t) })
  assert.equal(second.code, 1)
  assert.match(second.stderr, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${String(api.port)} for the API: EADDRINUSE`))
  assert.doesNotMatch(second.stderr, /^\s+at /m)
  await first.stop()
})
