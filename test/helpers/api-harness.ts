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
import type { Flow } from '../../src/controller/flow.ts'
import type { FlowObserver, TaskPhase } from '../../src/controller/flow-engine.ts'
import type { Task } from '../../src/controller/task.ts'
import { createFlowContext } from '../../src/controller/flow-context.ts'
import { ALL_FLOWS } from '../../src/controller/flows/all-flows.ts'
import { startWorker } from '../../src/controller/worker.ts'
import { workerSettings } from '../../src/controller/worker-settings.ts'
import type { Database } from '../../src/db/database.ts'
import type { DatabaseEngine } from '../../src/db/database-options.ts'
import { withTestDatabase } from './test-database.ts'

export interface ApiHarness {
  app: FastifyInstance
  deps: ApiDeps
  /** Polls GET `url` until `done` holds for its JSON body (the worker runs asynchronously). */
  until(url: string, done: (body: Record<string, unknown>, status: number) => boolean): Promise<Record<string, unknown>>
  /**
   * Holds every job after its first task (the checkpoint: no transaction open, statuses still
   * PENDING_*) until the returned function is called.
   */
  holdWorker(): () => void
  /** Row counts of the tables a bad request must not change. */
  counts(): Promise<Record<string, number>>
}

/**
 * The v2 API alone over `deps` (no worker, no healthcheck), answering `app.inject` calls;
 * closed after the test.
 */
export function v2Api(t: TestContext, deps: ApiDeps, db: Pick<Database, 'ping'>): FastifyInstance {
  const app = createApi({
    log: createLogger({ level: 'silent' }), registry: createMetricsRegistry(),
    healthcheck: { enabled: false, refreshIntervalSeconds: 1, probe: () => db.ping() },
    routes: V2_ROUTES.map((register) => (a: FastifyInstance) => register(a, deps)),
  })
  t.after(() => app.close())
  return app
}

/**
 * The API as `octavia up` composes it, over a real database of `engine`, with the in-process
 * worker, answering `app.inject` calls. `sets` are config overrides (`octavia.<path>=value`);
 * `flows` replaces the worker's flows (tests that make a task fail).
 */
export async function startApi(t: TestContext, options: { engine?: DatabaseEngine; sets?: string[]; flows?: readonly Flow[] } = {}): Promise<ApiHarness> {
  const db = await withTestDatabase(t, options.engine ?? 'sqlite')
  const { config } = loadConfig({ files: [], env: {}, sets: options.sets ?? [] })
  const log = createLogger({ level: 'silent' })
  let wake = (_jobId?: string) => {}
  const deps = createApiDeps(config, db, systemClock, (jobId) => wake(jobId), log)
  // The worker shares the API's repositories, so a test can hold it by mocking one of them.
  const context = { ...createFlowContext({ db, clock: systemClock, log, subnets: config.networks }), loadBalancers: deps.loadBalancers, ports: deps.ports }
  let hold: Promise<void> | undefined
  const flows = options.flows ?? ALL_FLOWS
  const firstTasks = new Set(flows.map((f) => f.tasks[0]))
  const holds = (task: Task, phase: TaskPhase) => hold !== undefined && phase === 'execute' && firstTasks.has(task)
  const observer: FlowObserver = {
    pauseAfter: (_job, task, phase) => holds(task, phase),
    taskDone: (_job, task, phase) => (holds(task, phase) ? hold : undefined),
  }
  const runner = startWorker({
    context, observer,
    flows, ...workerSettings(config), pollMs: 50,
  })
  wake = (jobId) => runner.wake(jobId)
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
    holdWorker() {
      let release = () => {}
      hold = new Promise<void>((resolve) => { release = resolve })
      return () => {
        hold = undefined
        release()
      }
    },
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
