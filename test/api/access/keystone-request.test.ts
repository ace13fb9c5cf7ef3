import { test } from 'node:test'
import assert from 'node:assert/strict'
import { KeystoneUnavailable, keystoneRequest, type Fetch } from '../../../src/api/access/keystone-request.ts'
import { createLogger } from '../../../src/common/logger.ts'

// A Keystone call cut on a kept-alive connection the server had just closed goes again once;
// anything else is a 503 at once.

const log = createLogger({ level: 'silent' })

/** fetch's failure as undici reports it: a TypeError whose cause carries the socket's code. */
function fetchFailure(code: string): TypeError {
  return new TypeError('fetch failed', { cause: Object.assign(new Error(code), { code }) })
}

function scripted(outcomes: Array<Error | Response>): { fetchFn: Fetch; calls: () => number } {
  let calls = 0
  const fetchFn: Fetch = async () => {
    const outcome = outcomes[calls++]
    if (outcome === undefined) throw new Error('no more outcomes scripted')
    if (outcome instanceof Error) throw outcome
    return outcome
  }
  return { fetchFn, calls: () => calls }
}

test('a request cut on a stale kept-alive connection is sent again once and its answer used', async () => {
  for (const code of ['ECONNRESET', 'UND_ERR_SOCKET', 'EPIPE']) {
    const { fetchFn, calls } = scripted([fetchFailure(code), new Response('{}', { status: 200 })])
    const res = await keystoneRequest(fetchFn, 'http://127.0.0.1:5000/v3/auth/tokens', { method: 'GET' }, 1000, log)
    assert.equal(res.status, 200, code)
    assert.equal(calls(), 2, code)
  }
})

test('a second cut, a refused connection or a timeout is Keystone unavailable (503), not retried further', async () => {
  const twice = scripted([fetchFailure('ECONNRESET'), fetchFailure('ECONNRESET')])
  await assert.rejects(keystoneRequest(twice.fetchFn, 'http://127.0.0.1:5000/v3/auth/tokens', { method: 'GET' }, 1000, log), KeystoneUnavailable)
  assert.equal(twice.calls(), 2)
  for (const failure of [fetchFailure('ECONNREFUSED'), Object.assign(new Error('timed out'), { name: 'TimeoutError' })]) {
    const once = scripted([failure])
    await assert.rejects(keystoneRequest(once.fetchFn, 'http://127.0.0.1:5000/v3/auth/tokens', { method: 'GET' }, 1000, log), KeystoneUnavailable)
    assert.equal(once.calls(), 1)
  }
})
