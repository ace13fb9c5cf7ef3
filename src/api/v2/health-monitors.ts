import type { FastifyInstance } from 'fastify'
import { Conflict, InvalidInput, NotFound } from '../../common/errors.ts'
import { newId } from '../../common/ids.ts'
import { DuplicateEntry } from '../../db/errors.ts'
import type { LoadBalancer } from '../../db/repositories/load-balancer-repository.ts'
import {
  HealthMonitorRepository, type HealthMonitor, type HealthMonitorChanges,
} from '../../db/repositories/health-monitor-repository.ts'
import { PoolRepository, type Pool } from '../../db/repositories/pool-repository.ts'
import { LIST_SPECS } from '../list/list-specs.ts'
import { listResponse } from '../list/list-response.ts'
import { parseListQuery } from '../list/parse-list-query.ts'
import { runList } from '../list/run-list.ts'
import { selectFields } from '../list/select-fields.ts'
import { listBaseUrl, rawQuery, requestedFields } from '../request-url.ts'
import { parseBody } from '../validation/body-schema.ts'
import { bool, float, int, oneOf, str, tags, urlPath, uuid } from '../validation/field-types.ts'
import { pythonFloatRepr } from '../validation/python-repr.ts'
import type { ApiDeps } from './api-deps.ts'
import { enqueueChildJob } from './child-mutation.ts'
import { renderHealthMonitor } from './health-monitor-view.ts'
import { lockPoolForChild } from './members.ts'
import { lbaasPaths } from './paths.ts'

const LABEL = 'Health Monitor'

const TYPES = ['HTTP', 'HTTPS', 'PING', 'TCP', 'TLS-HELLO', 'UDP-CONNECT', 'SCTP'] as const
type HealthMonitorType = (typeof TYPES)[number]
const HTTP_TYPES: readonly string[] = ['HTTP', 'HTTPS']
// spec/api-v2.md §12.2: what a UDP or SCTP pool accepts.
const UDP_POOL_TYPES: readonly string[] = ['UDP-CONNECT', 'SCTP', 'TCP', 'HTTP']
const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'TRACE', 'OPTIONS', 'CONNECT', 'PATCH'] as const
// Octavia's DOMAIN_NAME_REGEX (RFC 1035/1123 host names; `_` only first in a label).
const DOMAIN_NAME = /^(?=.{1,253}\.?$)(?:(?!-|[^.]+_)[A-Za-z0-9-_]{1,63}(?<!-)(?:\.|$))+$/
const HTTP_ONLY_FIELDS = ['http_method', 'url_path', 'expected_codes'] as const
const DEFAULT_MAX_RETRIES_DOWN = 3

// No upper bound upstream, where a value past the integer column is a database error; ours is a 400.
const seconds = int({ min: 0, max: 2_147_483_647 })
const retries = int({ min: 1, max: 10 })

// spec/api-v2.md §12.1; fields in upstream's declaration order.
const FIELDS = {
  name: { type: str({ max: 255 }) },
  delay: { type: seconds },
  timeout: { type: seconds },
  max_retries_down: { type: retries },
  max_retries: { type: retries },
  http_method: { type: oneOf(HTTP_METHODS) },
  url_path: { type: urlPath() },
  // The column holds 64 characters; upstream has no limit (a longer list is a database error there).
  expected_codes: { type: str({ max: 64, pattern: /^(\d{3}(\s*,\s*\d{3})*)$|^(\d{3}-\d{3})$/ }) },
  admin_state_up: { type: bool() },
  tags: { type: tags() },
  http_version: { type: oneOf([1.0, 1.1], float()) },
  domain_name: { type: str({ min: 1, max: 255, pattern: DOMAIN_NAME }) },
} as const

const CREATE = {
  arg: 'health_monitor_',
  envelope: 'healthmonitor',
  fields: {
    name: FIELDS.name,
    // spec/api-v2.md §18: these four keep upstream's own message for null, so null reaches the handler.
    type: { type: oneOf(TYPES), mandatory: true, acceptsNull: true },
    delay: { ...FIELDS.delay, mandatory: true, acceptsNull: true },
    timeout: { ...FIELDS.timeout, mandatory: true, acceptsNull: true },
    max_retries_down: FIELDS.max_retries_down,
    max_retries: { ...FIELDS.max_retries, mandatory: true, acceptsNull: true },
    http_method: FIELDS.http_method,
    url_path: FIELDS.url_path,
    expected_codes: FIELDS.expected_codes,
    admin_state_up: FIELDS.admin_state_up,
    project_id: { type: str({ max: 36 }) },
    tenant_id: { type: str({ max: 36 }) },
    pool_id: { type: uuid(), mandatory: true },
    tags: FIELDS.tags,
    http_version: FIELDS.http_version,
    domain_name: FIELDS.domain_name,
  },
} as const

const UPDATE = { arg: 'health_monitor_', envelope: 'healthmonitor', fields: FIELDS } as const

const validation = (text: string) => new InvalidInput(`Validation failure: ${text}`)

/** `None is not a valid option for <field>` (spec/api-v2.md §12.3). */
function required<T>(value: T | null, field: string): T {
  if (value === null) throw new InvalidInput(`None is not a valid option for ${field}`)
  return value
}

export function registerHealthMonitorRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { db } = deps
  const monitors = new HealthMonitorRepository(db, deps.clock)
  const pools = new PoolRepository(db, deps.clock)
  const settings = deps.config.api_settings

  async function find(id: string): Promise<HealthMonitor> {
    const monitor = await monitors.get(id)
    if (!monitor) throw new NotFound(LABEL, id)
    return monitor
  }

  /** The monitor's pool and its LB's provider name. */
  async function loadParent(poolId: string): Promise<{ pool: Pool; lb: LoadBalancer }> {
    const pool = await pools.get(poolId)
    const lb = pool?.load_balancer_id ? await deps.loadBalancers.get(pool.load_balancer_id) : undefined
    if (!pool || !lb) throw new NotFound('Pool', poolId)
    return { pool, lb }
  }

  /** spec/api-v2.md §12.2: monitor types by pool protocol, and the UDP-CONNECT minimum delay. */
  function checkTypeForPool(protocol: string, type: string | null, delay: number | null | undefined): void {
    if (protocol === 'UDP' || protocol === 'SCTP') {
      if (type === null || !UDP_POOL_TYPES.includes(type)) {
        throw validation(`The associated pool protocol is ${protocol}, so only a UDP-CONNECT/SCTP/TCP/HTTP health monitor is supported.`)
      }
      const min = settings.udp_connect_min_interval_health_monitor
      if (type === 'UDP-CONNECT' && typeof delay === 'number' && min > 0 && delay < min) {
        throw validation(`The request delay value ${delay} should be larger than ${min} for UDP-CONNECT health monitor type.`)
      }
    } else if (type === 'UDP-CONNECT' || type === 'SCTP') {
      throw validation(`The ${type} type is only supported for pools of type UDP/SCTP.`)
    }
  }

  for (const path of lbaasPaths('/healthmonitors')) {
    app.post(path, async (req, reply) => {
      const body = parseBody(req.body, CREATE)
      const { pool, lb } = await loadParent(body.pool_id)
      if (!settings.allow_ping_health_monitors && body.type === 'PING') {
        throw new InvalidInput('The selected type is not allowed in this deployment: PING')
      }
      checkTypeForPool(pool.protocol, body.type, body.delay)
      deps.providers.load(lb.provider)
      // Quotas are not enforced under noauth (spec/api-v2.md §14.3), our only identity engine yet.
      const id = newId()
      await db.transaction(async (trx) => {
        const locked = await lockPoolForChild(deps, trx, pool.id)
        const type: HealthMonitorType = required(body.type, 'type')
        const delay = required(body.delay, 'delay')
        const timeout = required(body.timeout, 'timeout')
        const maxRetries = required(body.max_retries, 'max_retries')
        const http = HTTP_TYPES.includes(type)
        if (!http) {
          for (const field of HTTP_ONLY_FIELDS) {
            if (body[field]) throw new InvalidInput(`${field} is not a valid option for health monitors of type ${type}`)
          }
        }
        checkDomainName(body.domain_name, body.http_version)
        if (locked.healthmonitor_id) throw new Conflict('This pool already has a health monitor')
        try {
          await monitors.create({
            id, project_id: lb.project_id, pool_id: pool.id, name: body.name ?? null, type, delay, timeout,
            rise_threshold: maxRetries, fall_threshold: body.max_retries_down ?? DEFAULT_MAX_RETRIES_DOWN,
            http_method: http ? body.http_method || 'GET' : null,
            url_path: http ? body.url_path || '/' : null,
            expected_codes: http ? body.expected_codes || '200' : null,
            // spec/api-v2.md §3.4: admin_state_up null is stored as false.
            enabled: body.admin_state_up === undefined ? true : body.admin_state_up === true,
            http_version: body.http_version ?? null, domain_name: body.domain_name ?? null, tags: body.tags ?? [],
          }, trx)
        } catch (err) {
          // Another monitor won the race for this pool between our read and our insert.
          if (err instanceof DuplicateEntry) throw new Conflict('This pool already has a health monitor')
          throw err
        }
        await enqueueChildJob(deps, trx, { kind: 'healthmonitor.create', target_type: 'healthmonitor', target_id: id, load_balancer_id: lb.id, payload: { pool_id: pool.id } })
      })
      // Rendered before the worker is told, so the answer shows the statuses this call wrote.
      const healthmonitor = renderHealthMonitor(await find(id))
      deps.notifyWorker()
      return reply.code(201).send({ healthmonitor })
    })

    app.get(path, async (req) => {
      const spec = LIST_SPECS.healthmonitor
      const query = parseListQuery(rawQuery(req), spec, settings)
      // noauth: every caller is an administrator, so lists span every project (rbac.md §6).
      const page = await runList(db, spec, query, { baseUrl: listBaseUrl(req) })
      const found = await monitors.getMany(page.rows.map((r) => r.id))
      return listResponse(spec, selectFields(found.map(renderHealthMonitor), query.fields), page.links)
    })
  }

  for (const path of lbaasPaths('/healthmonitors/:id')) {
    app.get<{ Params: { id: string } }>(path, async (req) => ({
      healthmonitor: selectFields([renderHealthMonitor(await find(req.params.id))], requestedFields(req))[0],
    }))

    app.put<{ Params: { id: string } }>(path, async (req) => {
      const { id } = req.params
      const body = parseBody(req.body, UPDATE)
      const current = await find(id)
      if (!HTTP_TYPES.includes(current.type)) {
        // On update the key alone is refused, even with null (spec/api-v2.md §12.2).
        for (const field of HTTP_ONLY_FIELDS) {
          if (body[field] !== undefined) throw new InvalidInput(`${field} is not a valid option for health monitors of type ${current.type}`)
        }
      }
      required(body.delay, 'delay')
      required(body.max_retries, 'max_retries')
      required(body.timeout, 'timeout')
      // Upstream combines the request with the stored values by truthiness: a null in the request defers to the row.
      if (body.domain_name && !(current.http_version || body.http_version)) {
        throw validation("'http_version' must be specified when 'domain_name' is provided.")
      }
      if ((current.http_version || body.http_version) && (current.domain_name || body.domain_name)) {
        checkHttpVersionForDomain(body.http_version || current.http_version)
      }
      const { pool, lb } = await loadParent(current.pool_id)
      checkTypeForPool(pool.protocol, current.type, body.delay)
      const changes: HealthMonitorChanges = {
        ...(body.name !== undefined && { name: body.name }),
        ...(body.delay != null && { delay: body.delay }),
        ...(body.timeout != null && { timeout: body.timeout }),
        ...(body.max_retries != null && { rise_threshold: body.max_retries }),
        // spec/api-v2.md §12.4: null puts these back to their defaults.
        ...(body.max_retries_down !== undefined && { fall_threshold: body.max_retries_down ?? DEFAULT_MAX_RETRIES_DOWN }),
        ...(body.http_method !== undefined && { http_method: body.http_method ?? 'GET' }),
        ...(body.url_path !== undefined && { url_path: body.url_path ?? '/' }),
        ...(body.expected_codes !== undefined && { expected_codes: body.expected_codes ?? '200' }),
        ...(body.admin_state_up !== undefined && { enabled: body.admin_state_up === true }),
        ...(body.http_version !== undefined && { http_version: body.http_version }),
        ...(body.domain_name !== undefined && { domain_name: body.domain_name }),
        ...(body.tags !== undefined && body.tags !== null && { tags: body.tags }),
      }
      deps.providers.load(lb.provider)
      await db.transaction(async (trx) => {
        await lockPoolForChild(deps, trx, pool.id)
        await monitors.update(id, changes, trx)
        await monitors.setProvisioningStatus(id, 'PENDING_UPDATE', {}, trx)
        await enqueueChildJob(deps, trx, { kind: 'healthmonitor.update', target_type: 'healthmonitor', target_id: id, load_balancer_id: lb.id, payload: { pool_id: pool.id } })
      })
      const healthmonitor = renderHealthMonitor(await find(id))
      deps.notifyWorker()
      return { healthmonitor }
    })

    app.delete<{ Params: { id: string } }>(path, async (req, reply) => {
      const { id } = req.params
      const current = await find(id)
      const { pool, lb } = await loadParent(current.pool_id)
      deps.providers.load(lb.provider)
      await db.transaction(async (trx) => {
        await lockPoolForChild(deps, trx, pool.id)
        await monitors.setProvisioningStatus(id, 'PENDING_DELETE', {}, trx)
        await enqueueChildJob(deps, trx, { kind: 'healthmonitor.delete', target_type: 'healthmonitor', target_id: id, load_balancer_id: lb.id, payload: { pool_id: pool.id } })
      })
      deps.notifyWorker()
      return reply.code(204).send()
    })
  }
}

/** spec/api-v2.md §12.2: a domain name needs an HTTP version, and that version must be 1.1. */
function checkDomainName(domainName: string | null | undefined, httpVersion: number | null | undefined): void {
  if (domainName && !httpVersion) throw validation("'http_version' must be specified when 'domain_name' is provided.")
  if (domainName && httpVersion) checkHttpVersionForDomain(httpVersion)
}

function checkHttpVersionForDomain(httpVersion: number | null): void {
  if (httpVersion !== null && httpVersion < 1.1) {
    throw new InvalidInput(`http_version ${pythonFloatRepr(httpVersion)} is not a valid option for health monitors HTTP 1.1 domain name health check`)
  }
}
