import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createApi } from '../../../src/api/create-api.ts'
import { registerKeystoneRoutes } from '../../../src/api/keystone/keystone-routes.ts'
import { createLogger } from '../../../src/common/logger.ts'
import { createMetricsRegistry } from '../../../src/common/metrics.ts'

test('project lookups at our endpoint are refused as Keystone refuses a caller who may not read projects', async (t) => {
  const app = createApi({
    log: createLogger({ level: 'silent' }), registry: createMetricsRegistry(),
    healthcheck: { enabled: false, refreshIntervalSeconds: 5, probe: async () => {} },
    routes: [registerKeystoneRoutes],
  })
  t.after(() => app.close())
  for (const [url, action] of [['/projects', 'list_projects'], ['/projects?name=tenant-a', 'list_projects'], ['/projects/tenant-a', 'get_project']]) {
    const res = await app.inject({ method: 'GET', url: url!, headers: { accept: 'application/json' } })
    assert.equal(res.statusCode, 403)
    assert.deepEqual(res.json(), { error: { code: 403, title: 'Forbidden', message: `You are not authorized to perform the requested action: identity:${action!}.` } })
  }
})
