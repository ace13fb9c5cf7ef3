import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { createApi } from '../../src/api/create-api.ts'
import { createLogger } from '../../src/common/logger.ts'
import { createMetricsRegistry } from '../../src/common/metrics.ts'

function api(t: TestContext) {
  const app = createApi({
    log: createLogger({ level: 'silent' }),
    registry: createMetricsRegistry(),
    healthcheck: { enabled: true, refreshIntervalSeconds: 5, probe: async () => {} },
  })
  t.after(() => app.close())
  return app
}

test('GET / lists v2.0 to v2.30 in order, the last CURRENT, all linking to <base>/v2', async (t) => {
  const res = await api(t).inject({ method: 'GET', url: '/', headers: { host: '127.0.0.1:9876' } })
  assert.equal(res.statusCode, 200)
  assert.match(String(res.headers['content-type']), /^application\/json/)
  assert.match(String(res.headers['x-openstack-request-id']), /^req-[0-9a-f-]{36}$/)
  const { versions } = res.json() as { versions: Array<{ id: string; status: string; updated: string; links: unknown }> }
  assert.equal(versions.length, 31)
  assert.deepEqual(versions.map((v) => v.id), Array.from({ length: 31 }, (_, i) => `v2.${i}`))
  assert.deepEqual(versions.slice(0, -1).map((v) => v.status), Array(30).fill('SUPPORTED'))
  assert.deepEqual(versions.at(-1), {
    id: 'v2.30', status: 'CURRENT', updated: '2025-02-26T00:00:00Z',
    links: [{ href: 'http://127.0.0.1:9876/v2', rel: 'self' }],
  })
  // spec/api-v2.md §2: upstream dates v2.7 before v2.6.
  assert.equal(versions[7]?.updated, '2018-01-25T12:00:00Z')
  for (const v of versions) assert.deepEqual(v.links, [{ href: 'http://127.0.0.1:9876/v2', rel: 'self' }])
})

test('the version links honour X-Forwarded-* and the /load-balancer prefix', async (t) => {
  const app = api(t)
  const forwarded = await app.inject({
    method: 'GET', url: '/',
    headers: { host: '127.0.0.1:9876', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'lb.example.test' },
  })
  assert.equal((forwarded.json() as { versions: Array<{ links: Array<{ href: string }> }> }).versions[0]?.links[0]?.href, 'https://lb.example.test/v2')
  const prefixed = await app.inject({ method: 'GET', url: '/load-balancer/', headers: { host: 'api.example.test' } })
  assert.equal(prefixed.statusCode, 200)
  assert.equal((prefixed.json() as { versions: Array<{ links: Array<{ href: string }> }> }).versions[0]?.links[0]?.href, 'http://api.example.test/load-balancer/v2')
})

test('an Accept header that excludes JSON gets 406 with the Octavia body; */* and q-weighted JSON pass', async (t) => {
  const app = api(t)
  for (const accept of ['application/xml', 'application/xml,text/html']) {
    const res = await app.inject({ method: 'GET', url: '/', headers: { accept } })
    assert.equal(res.statusCode, 406, accept)
    assert.deepEqual(res.json(), { code: 406, title: 'Not Acceptable', description: 'Only content type application/json is accepted.' })
  }
  for (const accept of ['*/*', 'text/html,*/*', 'text/html,application/json;q=0.8', '', 'application/json']) {
    const res = await app.inject({ method: 'GET', url: '/', headers: { accept } })
    assert.equal(res.statusCode, 200, accept)
  }
})

test('GET /v2, /v2/lbaas and /v2/octavia (and /v2.0) answer the JSON string "v2"', async (t) => {
  const app = api(t)
  for (const url of ['/v2', '/v2.0', '/v2/lbaas', '/v2.0/lbaas', '/v2/octavia', '/v2.0/octavia']) {
    const res = await app.inject({ method: 'GET', url })
    assert.equal(res.statusCode, 200, url)
    assert.equal(res.body, '"v2"', url)
  }
})

test('unknown paths get the 404 body of spec §4.2', async (t) => {
  const res = await api(t).inject({ method: 'GET', url: '/v3/nothing' })
  assert.equal(res.statusCode, 404)
  assert.deepEqual(res.json(), { code: 404, title: 'Not Found', description: null })
})
