import { test } from 'node:test'
import assert from 'node:assert/strict'
import { DEFAULT_SUBNET_ID } from '../../src/config/defaults.ts'
import { runOctavia, scratchDir, startOctavia } from '../helpers/run-octavia.ts'

// `octavia api` and `octavia worker` as separate processes on one SQLite file with the embedded
// (in-process) queue: the API's announcements cannot reach the worker, which finds the jobs by
// polling the jobs table. Then the operator's view: `octavia job list|show` and the worker's metrics.

const PORTS = ['--set', 'octavia.api.bind.port=0', '--set', 'octavia.api.metrics.port=0', '--set', 'octavia.manager.metrics.worker_port=0']
const FAST = ['--set', 'octavia.controller_worker.job_poll_interval=0.05']

test('`octavia worker` runs the jobs `octavia api` queues, shows them in `octavia job list|show` (which refuses bad arguments in one line) and its metrics, and stops on SIGTERM', async (t) => {
  const cwd = scratchDir(t)
  const refused = await runOctavia([...PORTS, 'worker'], { cwd })
  assert.equal(refused.code, 1)
  assert.match(refused.stderr, /octavia worker: the database schema is at nothing, not \S+; run `octavia db upgrade` first/)
  assert.equal((await runOctavia(['db', 'upgrade'], { cwd })).code, 0)
  // Independent commands run side by side: each is a process start.
  const [missing, badState] = await Promise.all([runOctavia(['job', 'show', 'no-such-job'], { cwd }), runOctavia(['job', 'list', '--state', 'stuck'], { cwd })])
  assert.deepEqual([missing.code, missing.stderr], [1, 'job no-such-job not found\n'])
  assert.deepEqual([badState.code, badState.stderr], [2, '--state must be one of pending, running, succeeded, failed, reverted, not "stuck"\n'])

  const api = startOctavia(t, [...PORTS, 'api'], { cwd })
  const worker = startOctavia(t, [...PORTS, ...FAST, 'worker'], { cwd })
  const listening = await api.waitForLog((l) => l.msg === 'api listening')
  const metrics = await worker.waitForLog((l) => l.msg === 'metrics listening')
  await worker.waitForLog((l) => l.msg === 'worker started')
  const base = `http://127.0.0.1:${String(listening.port)}/v2/lbaas/loadbalancers`

  const created = await fetch(base, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ loadbalancer: { name: 'web', vip_subnet_id: DEFAULT_SUBNET_ID } }),
  })
  assert.equal(created.status, 201)
  const { loadbalancer } = await created.json() as { loadbalancer: { id: string } }
  await worker.waitForLog((l) => l.msg === 'job done' && l.target_id === loadbalancer.id)
  const shown = await (await fetch(`${base}/${loadbalancer.id}`)).json() as { loadbalancer: { provisioning_status: string } }
  assert.equal(shown.loadbalancer.provisioning_status, 'ACTIVE')

  const [list, succeeded] = await Promise.all([runOctavia(['job', 'list'], { cwd }), runOctavia(['job', 'list', '--state', 'succeeded', '-f', 'json'], { cwd })])
  assert.equal(list.code, 0, list.stderr)
  assert.match(list.stdout, /\| id +\| kind +\| target_id +\| state +\| current_task +\| failed_task \| attempts \| last_error \| updated_at +\|/)
  assert.match(list.stdout, new RegExp(`\\| loadbalancer\\.create \\| ${loadbalancer.id} \\| succeeded \\| loadbalancer\\.activate +\\| +\\| 1 +\\|`))
  const [job] = JSON.parse(succeeded.stdout) as Array<{ id: string }>
  assert.ok(job)
  const [show, table] = await Promise.all([runOctavia(['job', 'show', job.id, '-f', 'json'], { cwd }), runOctavia(['job', 'show', job.id], { cwd })])
  const { journal } = JSON.parse(show.stdout) as { journal: Array<{ step_name: string; reverted_at: string | null }> }
  // The amphora tasks are journaled as skipped: this worker runs Octavia's noop amphora driver (run-octavia.ts).
  assert.deepEqual(journal.map((s) => s.step_name), [
    'loadbalancer.checkpoint', 'network.allocate-vip', 'amphora.allocate', 'amphora.create-on-agent', 'amphora.apply-config',
    'loadbalancer.mark-health-monitors-online', 'loadbalancer.activate',
  ])
  assert.match(table.stdout, /\| current_task +\| loadbalancer\.activate/)
  assert.match(table.stdout, /\| 1 +\| network\.allocate-vip +\|/)

  const scrape = await (await fetch(String(metrics.url))).text()
  assert.match(scrape, /octavia_worker_jobs_total\{kind="loadbalancer\.create",outcome="succeeded",service="octavia-worker"\} 1/)
  assert.match(scrape, /octavia_worker_tasks_total\{flow="loadbalancer\.create",task="network\.allocate-vip",phase="execute",outcome="done",service="octavia-worker"\} 1/)
  assert.match(scrape, /octavia_jobs\{state="succeeded",service="octavia-worker"\} 1/)
  assert.match(scrape, /octavia_worker_jobs_running\{service="octavia-worker"\} 0/)

  assert.equal(await worker.stop('SIGTERM'), 0)
  assert.ok(worker.logs.some((l) => l.msg === 'stopped'))
  assert.equal(await api.stop('SIGTERM'), 0)
})
