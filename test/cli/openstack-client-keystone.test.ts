import assert from 'node:assert/strict'
import { test } from 'node:test'
import { DEFAULT_SUBNET_ID } from '../../src/config/defaults.ts'
import { startKeystone } from '../helpers/keystone.ts'
import { openstackAs } from '../helpers/openstack-client.ts'
import { runOctavia, scratchDir, startOctavia } from '../helpers/run-octavia.ts'

// `octavia up` with identity.engine=keystone against a private Keystone, driven by the real
// `openstack` client logging in with a password and finding our API in Keystone's catalogue.

test('octavia up with the keystone identity engine, used by the openstack client with password authentication', async (t) => {
  const keystone = await startKeystone()
  t.after(() => keystone.stop())
  const octavia = await keystone.createUser('octavia', 'service', ['service'])
  const alice = await keystone.createUser('alice', 'project-a', ['member'])
  const bob = await keystone.createUser('bob', 'project-a', ['reader'])
  const carol = await keystone.createUser('carol', 'project-b', ['member'])

  const identity = [
    '--set', 'octavia.identity.engine=keystone', '--set', `octavia.identity.host=${keystone.host}`,
    '--set', `octavia.identity.port=${keystone.port}`, '--set', 'octavia.identity.user=octavia',
    '--set', `octavia.identity.password=${octavia.password}`, '--set', 'octavia.identity.tenant=service',
  ]
  const cwd = scratchDir(t)
  const service = startOctavia(t, ['--set', 'octavia.api.bind.port=0', '--set', 'octavia.api.metrics.port=0', ...identity, 'up'], { cwd })
  const api = await service.waitForLog((l) => l.msg === 'api listening')
  const endpoint = `http://127.0.0.1:${String(api.port)}`
  await keystone.registerOctavia(endpoint)
  const client = async (user: typeof alice, args: string[]) => openstackAs(keystone.clientAuth(user), [...args, '-f', 'json'])

  await t.test('no token or a token Keystone does not know: 401 with keystonemiddleware\'s body and challenge', async () => {
    for (const headers of [{}, { 'x-auth-token': 'not-a-token-keystone-issued' }] as Record<string, string>[]) {
      const res = await fetch(`${endpoint}/v2/lbaas/loadbalancers`, { headers })
      assert.equal(res.status, 401)
      assert.equal(res.headers.get('www-authenticate'), `Keystone uri="${keystone.url}"`)
      assert.deepEqual(await res.json(), { error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' } })
    }
    // Version discovery and the health check need no token.
    assert.equal((await fetch(`${endpoint}/`)).status, 200)
    assert.equal((await fetch(`${endpoint}/healthcheck`)).status, 200)
  })

  let lbId = ''
  await t.test('a project member creates a load balancer and lists it', async () => {
    const created = await client(alice, ['loadbalancer', 'create', '--name', 'web', '--vip-subnet-id', DEFAULT_SUBNET_ID])
    assert.equal(created.code, 0, created.stderr)
    const lb = JSON.parse(created.stdout) as Record<string, unknown>
    assert.equal(lb.project_id, alice.projectId)
    lbId = String(lb.id)
    const listed = await client(alice, ['loadbalancer', 'list'])
    assert.equal(listed.code, 0, listed.stderr)
    assert.deepEqual((JSON.parse(listed.stdout) as Array<Record<string, unknown>>).map((l) => [l.id, l.name]), [[lbId, 'web']])
  })

  await t.test('a reader of the project may not create (403); another project\'s member does not see it', async () => {
    const [readerCreate, otherList] = await Promise.all([
      client(bob, ['loadbalancer', 'create', '--name', 'nope', '--vip-subnet-id', DEFAULT_SUBNET_ID]),
      client(carol, ['loadbalancer', 'list']),
    ])
    assert.notEqual(readerCreate.code, 0)
    assert.match(readerCreate.stderr, /Policy does not allow this request to be performed.*403|403.*Policy does not allow this request to be performed/s)
    assert.equal(otherList.code, 0, otherList.stderr)
    assert.deepEqual(JSON.parse(otherList.stdout), [])

    // The same callers over HTTP with their own tokens.
    const as = async (user: typeof alice, path: string) => fetch(`${endpoint}/v2/lbaas/${path}`, {
      headers: { 'x-auth-token': (await keystone.issueToken({ user: user.name, password: user.password, project: user.projectName })).token },
    })
    const readerList = await as(bob, 'loadbalancers')
    assert.deepEqual(((await readerList.json()) as { loadbalancers: Array<{ id: string }> }).loadbalancers.map((l) => l.id), [lbId])
    assert.equal((await as(carol, `loadbalancers/${lbId}`)).status, 403)
  })

  await t.test('octavia status upgrade check: the service user logs in to Keystone', async () => {
    const res = await runOctavia([...identity, 'status', 'upgrade', 'check'], { cwd })
    // The table wraps long details: compare the words.
    const words = res.stdout.replace(/[|+-]+/g, ' ').replace(/\s+/g, ' ')
    assert.match(words, /Check: Identity Result: Success Details: keystone http:\/\/127\.0\.0\.1:\d+: service user octavia authenticated in project service/, res.stdout)
  })

  await t.test('Keystone gone: a token not validated yet gets 503, never a 500', async () => {
    const { token } = await keystone.issueToken({ user: alice.name, password: alice.password, project: alice.projectName })
    await keystone.stop()
    const res = await fetch(`${endpoint}/v2/lbaas/loadbalancers`, { headers: { 'x-auth-token': token } })
    assert.equal(res.status, 503)
    assert.deepEqual(await res.json(), { faultcode: 'Server', faultstring: 'The Keystone service is temporarily unavailable.', debuginfo: null })
  })

  assert.equal(await service.stop(), 0)
})
