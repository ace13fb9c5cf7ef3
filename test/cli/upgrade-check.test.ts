import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { runOctavia, scratchDir } from '../helpers/run-octavia.ts'
import { renderCheckTable, worstCode } from '../../src/cli/check-table.ts'

/** The check names and results of a rendered table, in order. */
function results(table: string): Array<[string, string]> {
  const names = [...table.matchAll(/^\| Check: (.+?)\s*\|$/gm)].map((m) => m[1] ?? '')
  const codes = [...table.matchAll(/^\| Result: (\w+)\s*\|$/gm)].map((m) => m[1] ?? '')
  return names.map((n, i) => [n, codes[i] ?? ''])
}

/** Certificate files the manager role reads, present and readable. */
function certificateArgs(dir: string): string[] {
  mkdirSync(dir, { recursive: true })
  const args: string[] = []
  const files: Array<[key: string, file: string]> = [
    ['certificates.ca_certificate', 'ca.pem'], ['certificates.ca_private_key', 'ca.key'],
    ['haproxy_amphora.client_cert', 'client.pem'], ['haproxy_amphora.server_ca', 'server_ca.pem'],
    ['controller_worker.client_ca', 'client_ca.pem'],
  ]
  for (const [key, file] of files) {
    writeFileSync(join(dir, file), 'placeholder\n')
    args.push('--set', `octavia.${key}=${join(dir, file)}`)
  }
  return args
}

test('the table has the shape of octavia-status upgrade check and wraps long details', () => {
  const table = renderCheckTable([
    { name: 'Database', code: 'Success', details: 'reachable' },
    { name: 'Message queue', code: 'Failure', details: 'x'.repeat(70) },
    { name: 'Nothing', code: 'Warning' },
  ])
  const lines = table.trimEnd().split('\n')
  assert.equal(lines[0], `+${'-'.repeat(58)}+`)
  assert.equal(lines[1], `| Upgrade Check Results${' '.repeat(35)} |`)
  for (const line of lines) assert.equal(line.length, 60, line)
  // A word longer than the line starts a line of its own and is cut at the border.
  assert.ok(lines.includes(`| Details:${' '.repeat(48)} |`))
  assert.ok(lines.includes(`| ${'x'.repeat(56)} |`))
  assert.ok(lines.includes(`| ${'x'.repeat(14)}${' '.repeat(42)} |`))
  assert.ok(lines.includes(`| Details: None${' '.repeat(43)} |`))
  assert.equal(worstCode([{ name: 'a', code: 'Success' }]), 0)
  assert.equal(worstCode([{ name: 'a', code: 'Success' }, { name: 'b', code: 'Warning' }]), 1)
  assert.equal(worstCode([{ name: 'a', code: 'Failure' }, { name: 'b', code: 'Warning' }]), 2)
})

test('upgrade check: all green after `db upgrade` with readable certificates exits 0', async (t) => {
  const cwd = scratchDir(t)
  const certs = certificateArgs(join(cwd, 'certs'))
  assert.equal((await runOctavia([...certs, 'db', 'upgrade'], { cwd })).code, 0)
  const res = await runOctavia([...certs, 'status', 'upgrade', 'check'], { cwd })
  assert.deepEqual(results(res.stdout), [
    ['Configuration', 'Success'], ['Identity', 'Success'], ['Database', 'Success'],
    ['Database schema', 'Success'], ['Message queue', 'Success'], ['Certificates', 'Success'],
  ])
  assert.equal(res.code, 0, res.stdout)
})

test('upgrade check: a schema behind head is a warning (exit 1) that names the command to run', async (t) => {
  const cwd = scratchDir(t)
  const res = await runOctavia([...certificateArgs(join(cwd, 'certs')), 'status', 'upgrade', 'check'], { cwd })
  assert.equal(res.code, 1, res.stdout)
  assert.ok(results(res.stdout).some(([n, c]) => n === 'Database schema' && c === 'Warning'))
  assert.match(res.stdout.replace(/\s*\|\n\| /g, ' '), /run `octavia db upgrade`/)
})

test('upgrade check: unreadable certificate files the operator named are a failure (exit 2)', async (t) => {
  const cwd = scratchDir(t)
  assert.equal((await runOctavia(['db', 'upgrade'], { cwd })).code, 0)
  const res = await runOctavia(['--set', `octavia.certificates.ca_certificate=${join(cwd, 'missing.pem')}`, 'status', 'upgrade', 'check'], { cwd })
  assert.equal(res.code, 2)
  assert.ok(results(res.stdout).some(([n, c]) => n === 'Certificates' && c === 'Failure'))
  assert.match(res.stdout, /missing\.pem/)
})

test('upgrade check: an unreachable database and a RabbitMQ that refuses the login are failures', async (t) => {
  const cwd = scratchDir(t)
  const res = await runOctavia([
    '--set', 'octavia.health_manager.heartbeat_key=k',
    '--set', 'octavia.database.engine=postgresql', '--set', 'octavia.database.host=127.0.0.1', '--set', 'octavia.database.port=1',
    '--set', 'octavia.message_queue.engine=rabbitmq', '--set', 'octavia.message_queue.host=127.0.0.1',
    '--set', 'octavia.message_queue.user=nobody-here', '--set', 'octavia.message_queue.password=wrong-pw',
    'status', 'upgrade', 'check',
  ], { cwd })
  assert.equal(res.code, 2)
  const byName = new Map(results(res.stdout))
  assert.equal(byName.get('Database'), 'Failure')
  assert.equal(byName.get('Database schema'), 'Failure')
  assert.equal(byName.get('Message queue'), 'Failure')
  assert.match(res.stdout, /ACCESS.REFUSED|403/)
  assert.doesNotMatch(res.stdout, /wrong-pw/)
})

test('upgrade check: RabbitMQ with the right credentials is a success', async (t) => {
  const cwd = scratchDir(t)
  assert.equal((await runOctavia(['db', 'upgrade'], { cwd })).code, 0)
  const res = await runOctavia([
    '--set', 'octavia.health_manager.heartbeat_key=k',
    '--set', 'octavia.message_queue.engine=rabbitmq', '--set', 'octavia.message_queue.host=127.0.0.1',
    '--set', 'octavia.message_queue.user=guest', '--set', 'octavia.message_queue.password=guest',
    'status', 'upgrade', 'check',
  ], { cwd })
  assert.equal(new Map(results(res.stdout)).get('Message queue'), 'Success', res.stdout)
})

test('upgrade check: an invalid configuration is the only result, a failure (exit 2)', async (t) => {
  const cwd = scratchDir(t)
  const res = await runOctavia(['--set', 'octavia.manager.house_keeping.spare_amphora_pool_size=two', 'status', 'upgrade', 'check'], { cwd })
  assert.equal(res.code, 2)
  assert.deepEqual(results(res.stdout), [['Configuration', 'Failure']])
  assert.match(res.stdout, /spare_amphora_pool_size/)
})

test('upgrade check: a Keystone nobody answers at is a failure naming the address', async (t) => {
  const cwd = scratchDir(t)
  const res = await runOctavia([
    '--set', 'octavia.identity.engine=keystone', '--set', 'octavia.identity.host=127.0.0.1', '--set', 'octavia.identity.port=9',
    '--set', 'octavia.identity.password=pw', 'status', 'upgrade', 'check',
  ], { cwd })
  assert.equal(new Map(results(res.stdout)).get('Identity'), 'Failure')
  assert.match(res.stdout, /http:\/\/127\.0\.0\.1:9.*unreachable/)
  assert.equal(res.code, 2)
})

test('upgrade check: the headers engine is a success on loopback and a warning when the API listens elsewhere', async (t) => {
  const cwd = scratchDir(t)
  const [local, exposed] = await Promise.all([
    runOctavia(['--set', 'octavia.identity.engine=headers', 'status', 'upgrade', 'check'], { cwd }),
    runOctavia(['--set', 'octavia.identity.engine=headers', '--set', 'octavia.api.bind.address=0.0.0.0', 'status', 'upgrade', 'check'], { cwd }),
  ])
  assert.equal(new Map(results(local.stdout)).get('Identity'), 'Success', local.stdout)
  assert.equal(new Map(results(exposed.stdout)).get('Identity'), 'Warning', exposed.stdout)
  assert.match(exposed.stdout, /authenticating proxy/)
})
