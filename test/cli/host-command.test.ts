import { test } from 'node:test'
import assert from 'node:assert/strict'
import { runOctavia, scratchDir } from '../helpers/run-octavia.ts'

test('`octavia host` registers, lists, disables, enables and removes host agents, and refuses bad arguments in one line', async (t) => {
  const cwd = scratchDir(t)
  const octavia = (...args: string[]) => runOctavia(args, { cwd })
  assert.equal((await octavia('db', 'upgrade')).code, 0)

  const registered = await octavia('host', 'register', 'lb-agent-1', '127.0.0.1:9443', '--capacity', '20')
  assert.equal(registered.code, 0, registered.stderr)
  assert.match(registered.stdout, /^lb-agent-1 registered as [0-9a-f-]{36} at 127\.0\.0\.1:9443\n$/)
  assert.equal((await octavia('host', 'disable', 'lb-agent-1')).code, 0)
  const [host, ...others] = JSON.parse((await octavia('host', 'list', '-f', 'json')).stdout) as Array<Record<string, unknown>>
  assert.deepEqual(others, [])
  assert.deepEqual([host?.name, host?.address, host?.port, host?.capacity, host?.enabled, host?.amphorae], ['lb-agent-1', '127.0.0.1', 9443, 20, false, 0])
  // Registering the same name again updates it in place (its enabled flag stays).
  assert.equal((await octavia('host', 'register', 'lb-agent-1', '127.0.0.1:9444')).code, 0)
  assert.match((await octavia('host', 'list')).stdout, /\| lb-agent-1 \| 127\.0\.0\.1 \| 9444 \| false +\| 100 +\| 0 +\|/)
  assert.equal((await octavia('host', 'enable', 'lb-agent-1')).code, 0)

  // The refusals, all at once (each is a process start).
  const refusals = [
    [['host', 'register', 'bad name', '127.0.0.1:9443'], /host name "bad name" must be letters/],
    [['host', 'register', 'a', 'nowhere'], /"nowhere" is not an address:port/],
    [['host', 'disable', 'missing'], /no host agent is registered as "missing"/],
    [['host', 'list', '-f', 'xml'], /--format must be table or json/],
  ] as const
  const results = await Promise.all(refusals.map(([args]) => octavia(...args)))
  refusals.forEach(([args, message], i) => {
    const result = results[i]!
    assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`)
    assert.match(result.stderr, message)
    assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr)
  })
  assert.equal((await octavia('host', 'remove', 'lb-agent-1')).code, 0)
  assert.deepEqual(JSON.parse((await octavia('host', 'list', '-f', 'json')).stdout), [])
})
