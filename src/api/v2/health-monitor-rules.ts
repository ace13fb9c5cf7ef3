import { enabledOnCreate } from './admin-state.ts'
import { InvalidInput } from '../../common/errors.ts'
import type { OctaviaConfig } from '../../config/schema.ts'
import type { NewHealthMonitor } from '../../db/repositories/health-monitor-repository.ts'
import { bool, float, int, oneOf, str, tags, urlPath, uuid, type Parsed } from '../validation/field-types.ts'
import { pythonFloatRepr } from '../../common/python-repr.ts'

// What a valid health monitor is (spec/api-v2.md §12): its fields and the rules of §12.2 and
// §12.3, shared by the health monitor resource and the full-graph load balancer create (§8.3).

type Settings = OctaviaConfig['api_settings']

const TYPES = ['HTTP', 'HTTPS', 'PING', 'TCP', 'TLS-HELLO', 'UDP-CONNECT', 'SCTP'] as const
type HealthMonitorType = (typeof TYPES)[number]
export const HTTP_TYPES: readonly string[] = ['HTTP', 'HTTPS']
// spec/api-v2.md §12.2: what a UDP or SCTP pool accepts.
const UDP_POOL_TYPES: readonly string[] = ['UDP-CONNECT', 'SCTP', 'TCP', 'HTTP']
const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'TRACE', 'OPTIONS', 'CONNECT', 'PATCH'] as const
// Octavia's DOMAIN_NAME_REGEX (RFC 1035/1123 host names; `_` only first in a label).
const DOMAIN_NAME = /^(?=.{1,253}\.?$)(?:(?!-|[^.]+_)[A-Za-z0-9-_]{1,63}(?<!-)(?:\.|$))+$/
export const HTTP_ONLY_FIELDS = ['http_method', 'url_path', 'expected_codes'] as const
export const DEFAULT_MAX_RETRIES_DOWN = 3

// No upper bound upstream, where a value past the integer column is a database error; ours is a 400.
const seconds = int({ min: 0, max: 2_147_483_647 })
const retries = int({ min: 1, max: 10 })

// spec/api-v2.md §12.1; fields in upstream's declaration order. PUT accepts exactly these.
export const HEALTH_MONITOR_MUTABLE_FIELDS = {
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

const FIELDS = HEALTH_MONITOR_MUTABLE_FIELDS

/** The standalone create body; the full graph drops the pool and the owner (spec/api-v2.md §8.3). */
export const HEALTH_MONITOR_CREATE_FIELDS = {
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
} as const

/** What a new monitor's row is made of. */
export type HealthMonitorCreateBody = Omit<Parsed<typeof HEALTH_MONITOR_CREATE_FIELDS>, 'project_id' | 'tenant_id' | 'pool_id'>

const validation = (text: string) => new InvalidInput(`Validation failure: ${text}`)

/** `None is not a valid option for <field>` (spec/api-v2.md §12.3). */
export function required<T>(value: T | null, field: string): T {
  if (value === null) throw new InvalidInput(`None is not a valid option for ${field}`)
  return value
}

/** spec/api-v2.md §12.3: PING allowed by the deployment, then the type rules for the pool's protocol. */
export function checkNewHealthMonitorType(settings: Settings, poolProtocol: string, type: string | null, delay: number | null | undefined): void {
  if (!settings.allow_ping_health_monitors && type === 'PING') {
    throw new InvalidInput('The selected type is not allowed in this deployment: PING')
  }
  checkTypeForPool(settings, poolProtocol, type, delay)
}

/** spec/api-v2.md §12.2: monitor types by pool protocol, and the UDP-CONNECT minimum delay. */
export function checkTypeForPool(settings: Settings, protocol: string, type: string | null, delay: number | null | undefined): void {
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

/**
 * spec/api-v2.md §12.3, after the status checks: null in the four mandatory fields, the
 * non-HTTP field rules and HTTP defaults, the domain/version rules; then the row a create
 * stores (PENDING_CREATE / OFFLINE by the repository's defaults).
 */
export function newHealthMonitorValues(body: HealthMonitorCreateBody): Omit<NewHealthMonitor, 'id' | 'project_id' | 'pool_id'> {
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
  return {
    name: body.name ?? null, type, delay, timeout,
    rise_threshold: maxRetries, fall_threshold: body.max_retries_down ?? DEFAULT_MAX_RETRIES_DOWN,
    http_method: http ? body.http_method || 'GET' : null,
    url_path: http ? body.url_path || '/' : null,
    expected_codes: http ? body.expected_codes || '200' : null,
    // spec/api-v2.md §3.4: admin_state_up null is stored as false.
    enabled: enabledOnCreate(body.admin_state_up),
    http_version: body.http_version ?? null, domain_name: body.domain_name ?? null, tags: body.tags ?? [],
  }
}

/** spec/api-v2.md §12.2: a domain name needs an HTTP version, and that version must be 1.1. */
function checkDomainName(domainName: string | null | undefined, httpVersion: number | null | undefined): void {
  if (domainName && !httpVersion) throw validation("'http_version' must be specified when 'domain_name' is provided.")
  if (domainName && httpVersion) checkHttpVersionForDomain(httpVersion)
}

export function checkHttpVersionForDomain(httpVersion: number | null): void {
  if (httpVersion !== null && httpVersion < 1.1) {
    throw new InvalidInput(`http_version ${pythonFloatRepr(httpVersion)} is not a valid option for health monitors HTTP 1.1 domain name health check`)
  }
}
