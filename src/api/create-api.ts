import { randomUUID } from 'node:crypto'
import { fastify, LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify'
import type { Bindings, ChildLoggerOptions } from 'fastify/types/logger.js'
import { Counter, Histogram, type Registry } from 'prom-client'
import type { Logger } from '../common/logger.ts'
import { systemClock, type Clock } from '../common/clock.ts'
import { acceptsJson } from './accept.ts'
import { registerBodyParsing } from './body-parsing.ts'
import { routingError, toFault } from './fault.ts'
import { frameworkErrorOptions } from './framework-errors.ts'
import { rejectUndeclaredQueryArguments } from './query-arguments.ts'
import { cachedHealth, type HealthProbe } from './healthcheck.ts'
import { PATH_PREFIX, requestOrigin, requestPrefix } from './request-url.ts'
import { versionDocument } from './versions.ts'

export interface ApiOptions {
  log: Logger
  registry: Registry
  clock?: Clock
  healthcheck: { enabled: boolean; refreshIntervalSeconds: number; probe: HealthProbe }
  /** The resource routes (Octavia v2, the Neutron subset), registered after the frame's hooks. */
  routes?: ReadonlyArray<(app: FastifyInstance) => void>
}


/** The Octavia v2 API as a Fastify app (not listening yet). */
export function createApi(options: ApiOptions): FastifyInstance {
  const clock = options.clock ?? systemClock
  const app = fastify({
    ...frameworkErrorOptions,
    loggerInstance: options.log.child({ component: 'api' }) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    childLoggerFactory: (logger, bindings, options) => new LazyChildLogger(logger, bindings, options),
    genReqId: () => `req-${randomUUID()}`,
    requestIdHeader: false,
    bodyLimit: 114_688, // oslo sizelimit default (spec/api-v2.md §3.2)
    routerOptions: { ...frameworkErrorOptions.routerOptions, ignoreTrailingSlash: true },
    rewriteUrl: (req) => withoutJsonSuffix(withoutPrefix(req.url ?? '/')),
  })
  const methodsByUrl = new Map<string, Set<string>>()
  app.addHook('onRoute', (route) => {
    const methods = methodsByUrl.get(route.url) ?? new Set<string>()
    for (const method of [route.method].flat()) methods.add(method)
    methodsByUrl.set(route.url, methods)
  })
  instrument(app, options.registry)
  registerBodyParsing(app)
  rejectUndeclaredQueryArguments(app)

  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-openstack-request-id', req.id)
    if (req.url.split('?')[0] !== '/healthcheck' && !acceptsJson(req.headers.accept)) {
      return reply.code(406).send(routingError(406, 'Only content type application/json is accepted.'))
    }
  })
  app.setNotFoundHandler((_req, reply) => reply.code(404).send(routingError(404)))
  app.setErrorHandler((err, req, reply) => {
    const fault = toFault(err)
    if (fault.status >= 500) req.log.error({ err }, 'request failed')
    return reply.code(fault.status).send(fault.body)
  })

  app.get('/', async (req) => versionDocument(`${requestOrigin(req)}${requestPrefix(req)}/`))

  const health = cachedHealth(options.healthcheck.probe, options.healthcheck.refreshIntervalSeconds, clock)
  app.route({
    method: ['GET', 'HEAD'],
    url: '/healthcheck',
    handler: async (req, reply) => {
      if (!options.healthcheck.enabled) return reply.code(404).send(routingError(404))
      const result = await health()
      reply.code(result.healthy ? 200 : 503)
      if (req.method === 'HEAD') return reply.code(result.healthy ? 204 : 503).send()
      if (acceptsOnlyJson(req)) return reply.send({ detailed: false, reasons: [result.reason] })
      return reply.type('text/plain; charset=UTF-8').send(result.reason)
    },
  })

  for (const path of ['/v2', '/v2.0', '/v2/lbaas', '/v2.0/lbaas', '/v2/octavia', '/v2.0/octavia']) {
    app.get(path, async (_req, reply) => reply.type('application/json').send(JSON.stringify('v2')))
  }
  for (const register of options.routes ?? []) register(app)
  answerOtherMethods(app, methodsByUrl)
  return app
}

// spec/api-v2.md §1.1: the API may sit under /load-balancer/ behind a proxy.
function withoutPrefix(url: string): string {
  return url === PATH_PREFIX || url.startsWith(`${PATH_PREFIX}/`) ? url.slice(PATH_PREFIX.length) || '/' : url
}

// spec/api-v2.md §1.1: a trailing `.json` on a path is accepted and ignored.
function withoutJsonSuffix(url: string): string {
  const at = url.indexOf('?')
  const path = at < 0 ? url : url.slice(0, at)
  return path.endsWith('.json') ? `${path.slice(0, -'.json'.length)}${at < 0 ? '' : url.slice(at)}` : url
}

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'] as const

/** Unsupported methods on a path that exists get 405 in the body of spec/api-v2.md §4.2, not 404. */
function answerOtherMethods(app: FastifyInstance, methodsByUrl: ReadonlyMap<string, ReadonlySet<string>>): void {
  for (const [url, methods] of [...methodsByUrl]) {
    const missing = METHODS.filter((m) => !methods.has(m))
    if (missing.length === 0) continue
    app.route({ method: missing, url, handler: async (_req, reply) => reply.code(405).send(routingError(405)) })
  }
}

function acceptsOnlyJson(req: FastifyRequest): boolean {
  const accept = req.headers.accept ?? ''
  return /application\/json/.test(accept) && !/text\/plain|\*\/\*/.test(accept)
}

type LogArgs = Parameters<FastifyBaseLogger['info']>

/**
 * A request's logger (its request id bound), made only when the request logs something: most
 * requests log nothing, and a pino child costs a few µs (bindings serialized and redacted).
 */
class LazyChildLogger implements FastifyBaseLogger {
  #made: FastifyBaseLogger | undefined

  constructor(private readonly parent: FastifyBaseLogger, private readonly bindings: Bindings, private readonly options: ChildLoggerOptions) {}

  get #log(): FastifyBaseLogger {
    return (this.#made ??= this.parent.child(this.bindings, this.options))
  }

  get level(): string {
    return this.#log.level
  }

  set level(level: string) {
    this.#log.level = level
  }

  fatal(...args: LogArgs): void { this.#log.fatal(...args) }
  error(...args: LogArgs): void { this.#log.error(...args) }
  warn(...args: LogArgs): void { this.#log.warn(...args) }
  info(...args: LogArgs): void { this.#log.info(...args) }
  debug(...args: LogArgs): void { this.#log.debug(...args) }
  trace(...args: LogArgs): void { this.#log.trace(...args) }
  silent(...args: LogArgs): void { this.#log.silent(...args) }

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.#log.child(bindings, options)
  }
}

function instrument(app: FastifyInstance, registry: Registry): void {
  const requests = new Counter({
    name: 'octavia_api_requests_total',
    help: 'API requests answered, by method, route and status code',
    labelNames: ['method', 'route', 'code'],
    registers: [registry],
  })
  const duration = new Histogram({
    name: 'octavia_api_request_duration_seconds',
    help: 'Time to answer an API request',
    labelNames: ['method', 'route'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  })
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched'
    requests.inc({ method: req.method, route, code: String(reply.statusCode) })
    duration.observe({ method: req.method, route }, reply.elapsedTime / 1000)
  })
}
