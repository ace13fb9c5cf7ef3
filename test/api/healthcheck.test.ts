import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { createApi } from '../../src/api/create-api.ts'
import { createLogger } from '../../src/common/logger.ts'
import { createMetricsRegistry } from '../../src/common/metrics.ts'
import type { Clock } from '../../src/common/clock.ts'

function api(t: TestContext, enabled: boolean, probe: () => Promise<void>, clock?: Clock) {
  const app = createApi({
    log: createLogger({ level: 'silent' }),
    registry: createMetricsRegistry(),
    clock,
    healthcheck: { enabled, refreshIntervalSeconds: 5, probe },
  })
  t.after(() => app.close())
  return app
}

test('/healthcheck answers OK while the database probe passes, 503 when it fails', async (t) => {
  let healthy = true
  let now = 0
  const app = api(t, true, async () => {
    if (!healthy) throw new Error('db down')
  }, { now: () => new Date(now) })
  const ok = await app.inject({ method: 'GET', url: '/healthcheck' })
  assert.equal(ok.statusCode, 200)
  assert.equal(ok.body, 'OK')
  assert.match(String(ok.headers['content-type']), /^text\/plain/)

  healthy = false
  // Within the refresh interval the cached result stands (Octavia's healthcheck_refresh_interval).
  now += 4_000
  assert.equal((await app.inject({ method: 'GET', url: '/healthcheck' })).statusCode, 200)
  now += 2_000
  const down = await app.inject({ method: 'GET', url: '/healthcheck' })
  assert.equal(down.statusCode, 503)
  assert.equal(down.body, 'DB health check failed')
  const json = await app.inject({ method: 'GET', url: '/healthcheck', headers: { accept: 'application/json' } })
  assert.deepEqual(json.json(), { detailed: false, reasons: ['DB health check failed'] })
})

test('HEAD /healthcheck answers 204 when healthy', async (t) => {
  const res = await api(t, true, async () => {}).inject({ method: 'HEAD', url: '/healthcheck' })
  assert.equal(res.statusCode, 204)
})

test('/healthcheck is 404 when disabled', async (t) => {
  let probed = false
  const res = await api(t, false, async () => void (probed = true)).inject({ method: 'GET', url: '/healthcheck' })
  assert.equal(res.statusCode, 404)
  assert.equal(probed, false)
})

test('the API counts requests in its Prometheus registry', async (t) => {
  const registry = createMetricsRegistry()
  const app = createApi({ log: createLogger({ level: 'silent' }), registry, healthcheck: { enabled: true, refreshIntervalSeconds: 5, probe: async () => {} } })
  t.after(() => app.close())
  await app.inject({ method: 'GET', url: '/' })
  const text = await registry.metrics()
  assert.match(text, /octavia_api_requests_total\{method="GET",route="\/",code="200"\} 1/)
  assert.match(text, /octavia_process_cpu_user_seconds_total/)
})
