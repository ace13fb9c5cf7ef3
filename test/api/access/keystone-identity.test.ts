import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { FastifyRequest } from 'fastify'
import { KeystoneIdentity, createKeystoneIdentity } from '../../../src/api/access/keystone-identity.ts'
import type { Fetch } from '../../../src/api/access/keystone-request.ts'
import { Unauthorized } from '../../../src/api/access/unauthorized.ts'
import { ServiceUnavailable } from '../../../src/common/errors.ts'
import { createLogger } from '../../../src/common/logger.ts'
import { loadConfig } from '../../../src/config/load-config.ts'
import { startKeystone, type KeystoneUser, type TestKeystone } from '../../helpers/keystone.ts'
import { TestClock } from '../../helpers/test-clock.ts'

// The keystone identity engine against a real Keystone (one per file: it takes seconds to start).

const log = createLogger({ level: 'silent' })
let keystone: TestKeystone
let octavia: KeystoneUser
let alice: KeystoneUser // member of project-a
let bob: KeystoneUser // reader of project-a
let carol: KeystoneUser // legacy load-balancer_member of project-b
let dave: KeystoneUser // admin of project-b

before(async () => {
  keystone = await startKeystone()
  octavia = await keystone.createUser('octavia', 'service', ['service'])
  alice = await keystone.createUser('alice', 'project-a', ['member'])
  bob = await keystone.createUser('bob', 'project-a', ['reader'])
  carol = await keystone.createUser('carol', 'project-b', ['load-balancer_member'])
  dave = await keystone.createUser('dave', 'project-b', ['admin'])
})
after(async () => keystone?.stop())

interface Call {
  method: string
  path: string
  serviceToken: string | null
}

/** Node's fetch, recording each call, so tests can count what the engine asked Keystone. */
function recordingFetch(): { fetch: Fetch; calls: Call[]; validations: () => number; issues: () => number } {
  const calls: Call[] = []
  const fetchFn: Fetch = async (input, init) => {
    const headers = new Headers(init?.headers)
    calls.push({ method: init?.method ?? 'GET', path: new URL(String(input)).pathname, serviceToken: headers.get('x-auth-token') })
    return fetch(input, init)
  }
  return {
    fetch: fetchFn, calls,
    validations: () => calls.filter((c) => c.method === 'GET').length,
    issues: () => calls.filter((c) => c.method === 'POST').length,
  }
}

function engine(options: { clock?: TestClock; fetch?: Fetch; user?: KeystoneUser; url?: string } = {}): KeystoneIdentity {
  const user = options.user ?? octavia
  const identity = new KeystoneIdentity({
    url: options.url ?? keystone.url,
    credentials: { user: user.name, password: user.password, project: user.projectName },
    clock: options.clock ?? new TestClock(new Date()),
    log,
    fetch: options.fetch,
  })
  return identity
}

function request(token?: string): FastifyRequest {
  return { headers: token === undefined ? {} : { 'x-auth-token': token } } as unknown as FastifyRequest
}

async function tokenOf(user: KeystoneUser) {
  return keystone.issueToken({ user: user.name, password: user.password, project: user.projectName })
}

describe('token validation', () => {
  test('a member token gives the project, the user and the roles with their implications', async () => {
    const { token } = await tokenOf(alice)
    const context = await engine().authenticate(request(token))
    assert.equal(context.projectId, alice.projectId)
    assert.equal(context.userId, alice.id)
    assert.deepEqual(new Set(context.roles), new Set(['member', 'reader']))
    assert.equal(context.isAdmin, false)
  })

  test('a reader token carries reader only; an admin token all three and is admin', async () => {
    const identity = engine()
    const reader = await identity.authenticate(request((await tokenOf(bob)).token))
    assert.deepEqual(reader.roles, ['reader'])
    assert.equal(reader.projectId, bob.projectId)
    const admin = await identity.authenticate(request((await tokenOf(dave)).token))
    assert.deepEqual(new Set(admin.roles), new Set(['admin', 'member', 'reader']))
    assert.equal(admin.projectId, dave.projectId)
    assert.equal(admin.isAdmin, true)
  })

  test('implied roles are added even where Keystone does not expand them', async () => {
    const [member, reader] = [await keystone.roleId('member'), await keystone.roleId('reader')]
    assert.equal((await keystone.admin('DELETE', `/roles/${member}/implies/${reader}`)).status, 204)
    try {
      const { token, body } = await tokenOf(alice)
      assert.deepEqual(body.token.roles?.map((r) => r.name), ['member'])
      assert.deepEqual(new Set((await engine().authenticate(request(token))).roles), new Set(['member', 'reader']))
    } finally {
      assert.equal((await keystone.admin('PUT', `/roles/${member}/implies/${reader}`)).status, 201)
    }
  })

  test('legacy load-balancer_* roles pass through unchanged and imply nothing', async () => {
    const context = await engine().authenticate(request((await tokenOf(carol)).token))
    assert.deepEqual(context.roles, ['load-balancer_member'])
    assert.equal(context.projectId, carol.projectId)
  })

  test('no token, an empty one or one that cannot be a token: 401 without asking Keystone', async () => {
    const recorder = recordingFetch()
    const identity = engine({ fetch: recorder.fetch })
    for (const token of [undefined, '', '   ', 'two words', 'x'.repeat(9000), 'tökén']) {
      await assert.rejects(identity.authenticate(request(token)), (err) =>
        err instanceof Unauthorized && err.wwwAuthenticate === `Keystone uri="${keystone.url}"`)
    }
    assert.equal(recorder.calls.length, 0)
  })

  test('an unknown token is refused (401), and the refusal is remembered only briefly', async () => {
    const clock = new TestClock(new Date())
    const recorder = recordingFetch()
    const identity = engine({ clock, fetch: recorder.fetch })
    const unknown = `gAAAAAB${'x'.repeat(180)}`
    await assert.rejects(identity.authenticate(request(unknown)), Unauthorized)
    await assert.rejects(identity.authenticate(request(unknown)), Unauthorized)
    assert.equal(recorder.validations(), 1)
    clock.advance(6_000)
    await assert.rejects(identity.authenticate(request(unknown)), Unauthorized)
    assert.equal(recorder.validations(), 2)
  })

  test('a revoked token is refused (401)', async () => {
    const { token } = await tokenOf(alice)
    await keystone.revokeToken(token)
    await assert.rejects(engine().authenticate(request(token)), Unauthorized)
  })

  test('an expired token is refused (401)', async () => {
    const { token, expiresAt } = await keystone.issueShortLivedToken(alice, 3)
    // Wait for Keystone's own verdict: the token expires on Keystone's clock.
    for (let i = 0; (await keystone.admin('GET', '/auth/tokens?nocatalog', undefined, token)).status === 200; i++) {
      assert.ok(i < 200, `token expiring at ${expiresAt} still valid`)
      await new Promise((r) => setTimeout(r, 50))
    }
    await assert.rejects(engine({ clock: undefined }).authenticate(request(token)), Unauthorized)
  })
})

describe('cache', () => {
  test('a valid token is validated once for a while: later requests and concurrent ones do not call Keystone', async () => {
    const clock = new TestClock(new Date())
    const recorder = recordingFetch()
    const identity = engine({ clock, fetch: recorder.fetch })
    const { token } = await tokenOf(alice)
    const contexts = await Promise.all(Array.from({ length: 10 }, () => identity.authenticate(request(token))))
    assert.equal(recorder.validations(), 1)
    assert.ok(contexts.every((c) => c.projectId === alice.projectId))
    clock.advance(59_000)
    await identity.authenticate(request(token))
    assert.equal(recorder.validations(), 1)
    clock.advance(2_000) // 61 s after the validation
    await identity.authenticate(request(token))
    assert.equal(recorder.validations(), 2)
  })

  test('a cached context is never kept past the token expiry', async () => {
    const clock = new TestClock(new Date())
    const recorder = recordingFetch()
    const identity = engine({ clock, fetch: recorder.fetch })
    const { token, expiresAt } = await tokenOf(alice)
    await identity.authenticate(request(token))
    // On our clock the token is past its end: Keystone is asked again and its answer is refused.
    clock.set(new Date(Date.parse(expiresAt) + 1000))
    await assert.rejects(identity.authenticate(request(token)), Unauthorized)
    assert.equal(recorder.validations(), 2)
  })
})

describe('service token', () => {
  test('issued once and reused for every validation', async () => {
    const recorder = recordingFetch()
    const identity = engine({ fetch: recorder.fetch })
    for (const user of [alice, bob, carol]) await identity.authenticate(request((await tokenOf(user)).token))
    assert.equal(recorder.issues(), 1)
    assert.equal(recorder.validations(), 3)
    assert.equal(new Set(recorder.calls.filter((c) => c.method === 'GET').map((c) => c.serviceToken)).size, 1)
  })

  test('renewed shortly before it expires', async () => {
    const clock = new TestClock(new Date())
    const recorder = recordingFetch()
    const identity = engine({ clock, fetch: recorder.fetch })
    await identity.authenticate(request((await tokenOf(alice)).token))
    assert.equal(recorder.issues(), 1)
    // Keystone's tokens live an hour; a minute before the end the engine takes a new one.
    clock.advance(3_540_000)
    const context = await identity.authenticate(request((await tokenOf(bob)).token))
    assert.equal(context.userId, bob.id)
    assert.equal(recorder.issues(), 2)
  })

  test('renewed when Keystone refuses it, and the validation goes through', async () => {
    const recorder = recordingFetch()
    const identity = engine({ fetch: recorder.fetch })
    await identity.authenticate(request((await tokenOf(alice)).token))
    const serviceToken = recorder.calls.find((c) => c.method === 'GET')?.serviceToken
    assert.ok(serviceToken)
    await keystone.revokeToken(serviceToken)
    recorder.calls.length = 0
    const context = await identity.authenticate(request((await tokenOf(bob)).token))
    assert.equal(context.userId, bob.id)
    assert.deepEqual(recorder.calls.map((c) => c.method), ['GET', 'POST', 'GET'])
    assert.notEqual(recorder.calls[2]?.serviceToken, serviceToken)
  })
  test('a renewal that fails while the old token is still valid keeps the old one', async () => {
    const clock = new TestClock(new Date())
    const recorder = recordingFetch()
    let keystoneDown = false
    const flaky: Fetch = async (input, init) => {
      if (keystoneDown && init?.method === 'POST') throw new TypeError('fetch failed')
      return recorder.fetch(input, init)
    }
    const identity = engine({ clock, fetch: flaky })
    await identity.authenticate(request((await tokenOf(alice)).token))
    keystoneDown = true
    clock.advance(3_540_000) // inside the renewal window, before the end
    assert.equal((await identity.authenticate(request((await tokenOf(bob)).token))).userId, bob.id)
    assert.equal(new Set(recorder.calls.map((c) => c.serviceToken).filter(Boolean)).size, 1)
  })
})

describe('Keystone unavailable or misconfigured: 503, never 401 or 500', () => {
  test('nothing listens at the configured address', async () => {
    const identity = engine({ url: 'http://127.0.0.1:9' })
    await assert.rejects(identity.authenticate(request((await tokenOf(alice)).token)), ServiceUnavailable)
  })

  test('Keystone refuses the service credentials', async () => {
    const identity = engine({ user: { ...octavia, password: 'wrong' } })
    await assert.rejects(identity.authenticate(request((await tokenOf(alice)).token)), ServiceUnavailable)
  })

  test('the service user may not validate tokens', async () => {
    const frank = await keystone.createUser('frank', 'service', ['member'])
    const identity = engine({ user: frank })
    await assert.rejects(identity.authenticate(request((await tokenOf(alice)).token)), ServiceUnavailable)
  })
})

test('createKeystoneIdentity reads the pillar identity section', async () => {
  const { config } = loadConfig({
    files: [], env: {},
    sets: ['octavia.identity.engine=keystone', 'octavia.identity.host=127.0.0.1', `octavia.identity.port=${keystone.port}`,
      'octavia.identity.user=octavia', `octavia.identity.password=${octavia.password}`, 'octavia.identity.tenant=service'],
  })
  const identity = createKeystoneIdentity(config.identity, { clock: new TestClock(new Date()), log })
  assert.equal(identity.name, 'keystone')
  assert.equal((await identity.authenticate(request((await tokenOf(alice)).token))).userId, alice.id)
})
