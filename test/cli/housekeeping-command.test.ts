import assert from 'node:assert/strict'
import { join } from 'node:path'
import { test } from 'node:test'
import { systemClock } from '../../src/common/clock.ts'
import { createDatabase } from '../../src/db/create-database.ts'
import { LoadBalancerRepository } from '../../src/db/repositories/load-balancer-repository.ts'
import { runOctavia, scratchDir, startOctavia } from '../helpers/run-octavia.ts'

const SETS = ['--set', 'octavia.house_keeping.load_balancer_expiry_age=0', '--set', 'octavia.house_keeping.cleanup_interval=1',
  '--set', 'octavia.manager.metrics.housekeeping_port=0']

test('`octavia housekeeping` purges DELETED load balancers past their expiry age and stops on SIGTERM; `octavia up` runs it too', async (t) => {
  const cwd = scratchDir(t)
  const refused = await runOctavia([...SETS, 'housekeeping'], { cwd })
  assert.equal(refused.code, 1)
  assert.match(refused.stderr, /^octavia housekeeping: the database schema is at nothing, not \S+; run `octavia db upgrade` first\n$/)

  assert.equal((await runOctavia(['db', 'upgrade'], { cwd })).code, 0)
  const db = createDatabase({ engine: 'sqlite', path: join(cwd, 'var', 'octavia.sqlite') })
  t.after(() => db.close())
  const lbs = new LoadBalancerRepository(db, systemClock)
  const deleted = await lbs.create({ project_id: 'p1', vip: { ip_address: '127.64.0.9' }, provisioning_status: 'ACTIVE' })
  await lbs.markDeleted(deleted.id)
  const live = await lbs.create({ project_id: 'p1', vip: { ip_address: '127.64.0.10' }, provisioning_status: 'ACTIVE' })

  const service = startOctavia(t, [...SETS, 'housekeeping'], { cwd })
  await service.waitForLog((l) => l.msg === 'housekeeping started')
  await service.waitForLog((l) => l.msg === 'purged expired rows')
  assert.equal(await lbs.get(deleted.id), undefined)
  assert.ok(await lbs.get(live.id))
  assert.equal(await service.stop('SIGTERM'), 0)

  const up = startOctavia(t, ['--set', 'octavia.api.bind.port=0', '--set', 'octavia.api.metrics.port=0', 'up'], { cwd: scratchDir(t) })
  await up.waitForLog((l) => l.msg === 'housekeeping started')
  await up.waitForLog((l) => l.msg === 'api listening')
  assert.equal(await up.stop('SIGTERM'), 0)
})
