import { test } from 'node:test'
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { runOctavia, scratchDir } from '../helpers/run-octavia.ts'

test('`network list` shows the declared subnets with used and free addresses', async (t) => {
  const cwd = scratchDir(t)
  const pillar = join(cwd, 'nets.yaml')
  writeFileSync(pillar, [
    'octavia:', '  api:', '    enabled: true', '    networks:',
    '      - { id: 6f1ad4a8-6d0c-4e55-9d7f-0c7e0e2f1a01, name: small, cidr: 127.65.0.0/29, kind: loopback }',
    '      - { id: 6f1ad4a8-6d0c-4e55-9d7f-0c7e0e2f1a02, name: big, cidr: 127.66.0.0/24, kind: loopback, gateway_ip: 127.66.0.1 }',
    '',
  ].join('\n'))
  assert.equal((await runOctavia(['--config', pillar, 'db', 'upgrade'], { cwd })).code, 0)
  const res = await runOctavia(['--config', pillar, 'network', 'list', '-f', 'json'], { cwd })
  assert.equal(res.code, 0, res.stderr)
  const rows = JSON.parse(res.stdout) as Array<{ name: string; cidr: string; used: number; free: string }>
  // /29: 8 addresses minus network and broadcast; /24 with a gateway: 256 - 3.
  assert.deepEqual(rows.map((r) => [r.name, r.cidr, r.used, r.free]), [['small', '127.65.0.0/29', 0, '6'], ['big', '127.66.0.0/24', 0, '253']])
  const table = await runOctavia(['--config', pillar, 'network', 'list'], { cwd })
  assert.match(table.stdout, /^\| id +\| name +\| cidr +\| kind +\| network_id +\| used \| free +\|$/m)
  assert.match(table.stdout, /\| small +\| 127\.65\.0\.0\/29 +\| loopback \|/)
})
