import type { TestContext } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { createApi } from '../../src/api/create-api.ts'
import { registerKeystoneRoutes } from '../../src/api/keystone/keystone-routes.ts'
import { registerNeutronRoutes } from '../../src/api/neutron/neutron-routes.ts'
import { createApiDeps, type ApiDeps } from '../../src/api/v2/api-deps.ts'
import { V2_ROUTES } from '../../src/api/v2/routes.ts'
import { systemClock } from '../../src/common/clock.ts'
import { createLogger } from '../../src/common/logger.ts'
import { createMetricsRegistry } from '../../src/common/metrics.ts'
import { loadConfig } from '../../src/config/load-config.ts'
import { ALL_FLOWS } from '../../src/controller/flows/all-flows.ts'
import { startJobRunner } from '../../src/controller/job-runner.ts'
import type { DatabaseEngine } from '../../src/db/database-options.ts'
import { withTestDatabase } from './test-database.ts'

export interface ApiHarness {
  app: FastifyInstance
  deps: ApiDeps
  /** Polls GET `url` until `done` holds for its JSON body (the worker runs asynchronously). */
  until(url: string, done: (body: Record<string, unknown>, status: number) => boolean): Promise<Record<string, unknown>>
  /** Row counts of the tables a bad request must not change. */
  counts(): Promise<Record<string, number>>
}

/**
 * The API as `octavia up` composes it, over a real database of `engine`, with the in-process
 * worker, answering `app.inject` calls. `sets` are config overrides (`octavia.<path>=value`).
 */
export async function startApi(t: TestContext, options: { engine?: DatabaseEngine; sets?: string[] } = {}): Promise<ApiHarness> {
  const db = await withTestDatabase(t, options.engine ?? 'sqlite')
  const { config } = loadConfig({ files: [], env: {}, sets: options.sets ?? [] })
  const log = createLogger({ level: 'silent' })
  let wake = () => {}
  const deps = createApiDeps(config, db, systemClock, () => wake())
  const runner = startJobRunner({
    context: { db, clock: systemClock, log, loadBalancers: deps.loadBalancers, ports: deps.ports },
    flows: ALL_FLOWS, pollMs: 50,
  })
  wake = () => runner.wake()
  const app = createApi({
    log, registry: createMetricsRegistry(),
    healthcheck: { enabled: true, refreshIntervalSeconds: 1, probe: () => db.ping() },
    routes: [(a) => registerNeutronRoutes(a, deps), registerKeystoneRoutes, ...V2_ROUTES.map((register) => (a: FastifyInstance) => register(a, deps))],
  })
  t.after(async () => {
    await app.close()
    await runner.stop()
  })
  return {
    app, deps,
    async until(url, done) {
      for (let i = 0; i < 500; i++) {
        const res = await app.inject({ method: 'GET', url })
        const body = res.body === '' ? {} : res.json() as Record<string, unknown>
        if (done(body, res.statusCode)) return body
        await new Promise((r) => setTimeout(r, 10))
      }
      throw new Error(`GET ${url} never reached the expected state`)
    },
    async counts() {
      const tables = ['load_balancer', 'vip', 'additional_vip', 'ports', 'jobs', 'tags', 'pool', 'session_persistence', 'listener', 'sni', 'listener_cidr', 'member', 'health_monitor', 'l7policy', 'l7rule'] as const
      const out: Record<string, number> = {}
      for (const table of tables) {
        const row = await db.kysely.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()
        out[table] = Number(row.n)
      }
      return out
    },
  }
}
