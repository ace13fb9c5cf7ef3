import { test } from 'node:test'
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { FIXTURES, runOctavia, scratchDir } from '../helpers/run-octavia.ts'

const SUBCOMMANDS = ['up', 'api', 'worker', 'health-manager', 'housekeeping', 'agent', 'db', 'config', 'status', 'job']

test('--help lists every subcommand, and each has its own --help', async (t) => {
  const cwd = scratchDir(t)
  const help = await runOctavia(['--help'], { cwd })
  assert.equal(help.code, 0)
  for (const name of SUBCOMMANDS) assert.match(help.stdout, new RegExp(`^  ${name}\\b`, 'm'), name)
  const commands = [...SUBCOMMANDS.map((s) => [s]), ['db', 'upgrade'], ['db', 'current'], ['config', 'check'], ['config', 'show'], ['status', 'upgrade', 'check'], ['job', 'list'], ['job', 'show']]
  // One process per command, all at once: each costs a Node start-up.
  const results = await Promise.all(commands.map((args) => runOctavia([...args, '--help'], { cwd })))
  results.forEach((res, i) => {
    const args = commands[i]!.join(' ')
    assert.equal(res.code, 0, args)
    assert.match(res.stdout, /^Usage: octavia /, args)
  })
})

test('an unknown subcommand is a usage error with status 2', async (t) => {
  const res = await runOctavia(['frobnicate'], { cwd: scratchDir(t) })
  assert.equal(res.code, 2)
  assert.match(res.stderr, /unknown command 'frobnicate'/)
})

test('the operator sample pillars pass `config check`, alone and together', async (t) => {
  const cwd = scratchDir(t)
  for (const files of [['pillar-api.yaml'], ['pillar-manager.yaml'], ['pillar-api.yaml', 'pillar-manager.yaml']]) {
    const res = await runOctavia(['config', 'check', ...files.map((f) => join(FIXTURES, f))], { cwd })
    assert.equal(res.code, 0, `${files.join(' ')}: ${res.stderr}`)
    assert.match(res.stdout, /^configuration is valid: /)
    assert.equal(res.stderr, '')
  }
})

test('a wrong type is reported by file and key path with status 2 and no stack trace', async (t) => {
  const cwd = scratchDir(t)
  const file = join(cwd, 'bad.yaml')
  writeFileSync(file, 'octavia:\n  manager:\n    enabled: true\n    house_keeping:\n      spare_amphora_pool_size: two\n')
  const res = await runOctavia(['config', 'check', file], { cwd })
  assert.equal(res.code, 2)
  assert.match(res.stderr, /bad\.yaml: octavia\.manager\.house_keeping\.spare_amphora_pool_size: expected an integer >= 0, got "two"/)
  assert.doesNotMatch(res.stderr, /^\s+at /m)
  assert.equal(res.stdout, '')
})

test('an unknown key is a warning naming its path; the file is still valid', async (t) => {
  const cwd = scratchDir(t)
  const file = join(cwd, 'typo.yaml')
  writeFileSync(file, 'octavia:\n  api:\n    enabled: true\n    bind:\n      adress: 127.0.0.1\n')
  const res = await runOctavia(['config', 'check', file], { cwd })
  assert.equal(res.code, 0)
  assert.match(res.stderr, /^warning: .*octavia\.api\.bind\.adress: unknown key/m)
})

test('a missing required value is an error naming the key', async (t) => {
  const cwd = scratchDir(t)
  const file = join(cwd, 'nohost.yaml')
  writeFileSync(file, 'octavia:\n  api:\n    enabled: true\n    database:\n      engine: mysql\n      password: secret\n')
  const res = await runOctavia(['config', 'check', file], { cwd })
  assert.equal(res.code, 2)
  assert.match(res.stderr, /octavia\.api\.database\.host: /)
})

test('`config show` prints the effective configuration with every secret masked', async (t) => {
  const cwd = scratchDir(t)
  const res = await runOctavia(['--config', join(FIXTURES, 'pillar-manager.yaml'), '--set', 'octavia.manager.health_manager.bind_ip=127.0.0.1', 'config', 'show'], { cwd })
  assert.equal(res.code, 0, res.stderr)
  assert.match(res.stdout, /engine: mysql/)
  assert.match(res.stdout, /bind_ip: 127\.0\.0\.1/)
  assert.match(res.stdout, /\*\*\*/)
  assert.doesNotMatch(res.stdout, /heartbeat_key: (?!"\*\*\*")/)
  for (const secret of ['password: password', ': insecure\n', 'MIIEpAIBAAKCAQEAtjnPDJsQToHBtoqIo15mdSYpfi8z6DFMi8Gbo0KCN33OUn5u']) {
    assert.ok(!res.stdout.includes(secret), `config show leaked ${secret}`)
    assert.ok(!res.stderr.includes(secret), `config show leaked ${secret} on stderr`)
  }
})

test('environment variables and --set override the files, --set last', async (t) => {
  const cwd = scratchDir(t)
  const args = ['--config', join(FIXTURES, 'pillar-api.yaml'), '--set', 'octavia.api.bind.port=9999', 'config', 'show']
  const res = await runOctavia(args, { cwd, env: { OCTAVIA__API__BIND__PORT: '9888', OCTAVIA__API__BIND__ADDRESS: '127.0.0.2' } })
  assert.equal(res.code, 0, res.stderr)
  assert.match(res.stdout, /address: 127\.0\.0\.2/)
  assert.match(res.stdout, /port: 9999/)
})

