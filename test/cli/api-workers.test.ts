import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, readdirSync } from 'node:fs'
import { get } from 'node:http'
import { DEFAULT_SUBNET_ID } from '../../src/config/defaults.ts'
import { runOctavia, scratchDir, startOctavia } from '../helpers/run-octavia.ts'
import { isAlive, until } from '../helpers/wait.ts'

// api.workers > 1: the API in several processes on one port (src/cli/api-processes.ts), the rest
// of `octavia up` in the parent.

const EPHEMERAL = ['--set', 'octavia.api.bind.port=0', '--set', 'octavia.api.metrics.port=0']

/** The pids of the processes whose parent is `pid`. */
function childrenOf(pid: number): number[] {
  return readdirSync('/proc').filter((name) => /^\d+$/.test(name)).flatMap((name) => {
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      return Number(fields[1]) === pid && readFileSync(`/proc/${name}/cmdline`, 'utf8').includes('octavia.js') ? [Number(name)] : []
    } catch {
      return [] // gone meanwhile
    }
  })
}

/** A GET on a connection of its own (fetch would reuse one to the process just killed); resolves its status. */
function statusOnNewConnection(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = get(url, { agent: false }, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode ?? 0))
    })
    req.setTimeout(10_000, () => req.destroy(new Error(`no answer from ${url} in 10 s`)))
    req.on('error', reject)
  })
}

test('api.workers 2: two API processes share the port; jobs they queue run in the parent, metrics cover both, a dead one is replaced, SIGTERM stops all', async (t) => {
  // The worker polls once a minute: jobs run within the test's wait only if the API processes
  // announce them (several creates at once travel together in one message).
  const service = startOctavia(t, [...EPHEMERAL, '--set', 'octavia.api.workers=2', '--set', 'octavia.controller_worker.job_poll_interval=60', 'up'],
    { cwd: scratchDir(t) })
  const api = await service.waitForLog((l) => l.msg === 'api listening')
  const metrics = await service.waitForLog((l) => l.msg === 'metrics listening')
  assert.equal(api.processes, 2)
  const base = `http://127.0.0.1:${String(api.port)}/v2/lbaas`
  const parent = service.child.pid!
  const children = childrenOf(parent)
  assert.equal(children.length, 2, 'two API processes under `octavia up`')

  // Creates answered by the API processes run on the parent's worker.
  const ids = await Promise.all(['web', 'api', 'db', 'mail'].map(async (name) => {
    const created = await fetch(`${base}/loadbalancers`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ loadbalancer: { name, vip_subnet_id: DEFAULT_SUBNET_ID } }),
    })
    assert.equal(created.status, 201)
    return ((await created.json()) as { loadbalancer: { id: string } }).loadbalancer.id
  }))
  const id = ids[0]!
  await until('the load balancers ACTIVE', async () => {
    const lbs = await Promise.all(ids.map(async (lbId) =>
      ((await (await fetch(`${base}/loadbalancers/${lbId}`)).json()) as { loadbalancer: { provisioning_status: string } }).loadbalancer))
    return lbs.every((lb) => lb.provisioning_status === 'ACTIVE') ? true : undefined
  }, { timeoutMs: 20_000 })

  // Every request counted, whichever process answered: four creates, 20 reads.
  await Promise.all(Array.from({ length: 20 }, () => fetch(`${base}/loadbalancers/${id}`).then((r) => r.arrayBuffer())))
  const scraped = await (await fetch(String(metrics.url))).text()
  const reads = /octavia_api_requests_total\{method="GET",route="\/v2\/lbaas\/loadbalancers\/:id",code="200",service="octavia-api"\} (\d+)/.exec(scraped)
  assert.ok(reads && Number(reads[1]) >= 20, `reads counted across the processes:\n${scraped.split('\n').filter((l) => l.startsWith('octavia_api_requests_total')).join('\n')}`)
  assert.match(scraped, /octavia_api_requests_total\{method="POST",route="\/v2\/lbaas\/loadbalancers",code="201",service="octavia-api"\} 4\n/)

  // One API process killed: the other serves meanwhile, and the parent starts another.
  process.kill(children[0]!, 'SIGKILL')
  assert.equal(await statusOnNewConnection(`${base}/loadbalancers/${id}`), 200)
  const replaced = await until('another API process', () => {
    const now = childrenOf(parent)
    return now.length === 2 && !now.includes(children[0]!) ? now : undefined
  }, { timeoutMs: 20_000 })
  await service.waitForLog((l) => l.msg === 'API process ended; starting another')

  assert.equal(await service.stop('SIGTERM'), 0)
  for (const pid of replaced) assert.ok(!isAlive(pid), `API process ${pid} stopped with its parent`)
  await assert.rejects(fetch(`${base}/loadbalancers`), 'nothing listens any more')
})

test('api.workers 2 with the port taken: one line saying so, exit 1, no process left behind', async (t) => {
  const first = startOctavia(t, [...EPHEMERAL, 'up'], { cwd: scratchDir(t) })
  const api = await first.waitForLog((l) => l.msg === 'api listening')
  const second = await runOctavia(['--set', `octavia.api.bind.port=${String(api.port)}`, '--set', 'octavia.api.metrics.port=0', '--set', 'octavia.api.workers=2', 'up'],
    { cwd: scratchDir(t) })
  assert.equal(second.code, 1, second.stderr)
  assert.match(second.stderr, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${String(api.port)} for the API: EADDRINUSE`))
  assert.doesNotMatch(second.stderr, /^\s+at /m)
  assert.equal(await first.stop('SIGTERM'), 0)
})
