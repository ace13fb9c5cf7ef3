import { enabledOnCreate } from './admin-state.ts'
import { InvalidInput } from '../../common/errors.ts'
import { newId } from '../../common/ids.ts'
import type { OctaviaConfig } from '../../config/schema.ts'
import type { LoadBalancer } from '../../db/repositories/load-balancer-repository.ts'
import type { NewPool, Pool, SessionPersistence } from '../../db/repositories/pool-repository.ts'
import { isJsonObject } from '../validation/container-types.ts'
import { invalidField } from '../validation/field-type.ts'
import { alpnProtocol, bool, int, ipAddress, list, object, oneOf, str, tags, uuid, type FieldType, type Parsed } from '../validation/field-types.ts'
import { pythonStr } from '../../common/python-repr.ts'
import { checkAlpnProtocols, checkCiphers, checkTlsVersions } from './listener-pool-rules.ts'

// What a valid pool is (spec/api-v2.md §10): its fields, session persistence rules and TLS
// checks, shared by the pool resource and the full-graph load balancer create (§8.3).

type Settings = OctaviaConfig['api_settings']

export const POOL_PROTOCOLS = ['TCP', 'HTTP', 'HTTPS', 'PROXY', 'PROXYV2', 'UDP', 'SCTP'] as const
export const LB_ALGORITHMS = ['ROUND_ROBIN', 'LEAST_CONNECTIONS', 'SOURCE_IP', 'SOURCE_IP_PORT'] as const
export const SESSION_PERSISTENCE_TYPES = ['SOURCE_IP', 'HTTP_COOKIE', 'APP_COOKIE'] as const

/**
 * `healthmonitor` and `members` of a standalone POST: only their shape is checked here, any
 * content is refused afterwards (spec/api-v2.md §18). The full graph gives them real schemas.
 */
function graphOnly(container: 'list' | 'dict'): FieldType<unknown> {
  return {
    name: container,
    container,
    parse(value, at) {
      const fits = container === 'list' ? Array.isArray(value) : isJsonObject(value)
      if (!fits) throw invalidField(at.field, value, `Value not a valid ${container}: ${pythonStr(value)}`)
      return value
    },
  }
}

const name = { type: str({ max: 255 }) }
const description = { type: str({ max: 255 }) }
const ref = { type: str({ max: 255 }) }
const sessionPersistenceFields = {
  cookie_name: { type: str({ max: 255 }) },
  persistence_timeout: { type: int() },
  persistence_granularity: { type: ipAddress() },
} as const
const tlsFields = {
  tls_container_ref: ref,
  ca_tls_container_ref: ref,
  crl_container_ref: ref,
  tls_enabled: { type: bool() },
  tls_ciphers: { type: str({ max: 2048 }) },
  tls_versions: { type: list(str({ max: 32 })) },
  alpn_protocols: { type: list(alpnProtocol()) },
} as const

// spec/api-v2.md §10.1, in upstream's declaration order (the first failing field is reported).
export const POOL_CREATE_FIELDS = {
  name, description,
  admin_state_up: { type: bool() },
  listener_id: { type: uuid() },
  loadbalancer_id: { type: uuid() },
  protocol: { type: oneOf(POOL_PROTOCOLS), mandatory: true },
  lb_algorithm: { type: oneOf(LB_ALGORITHMS), mandatory: true },
  session_persistence: { type: object({ type: { type: oneOf(SESSION_PERSISTENCE_TYPES), mandatory: true }, ...sessionPersistenceFields }) },
  project_id: { type: str({ max: 36 }) },
  healthmonitor: { type: graphOnly('dict') },
  members: { type: graphOnly('list') },
  tags: { type: tags() },
  ...tlsFields,
  tenant_id: { type: str({ max: 36 }) },
} as const

export const POOL_UPDATE_FIELDS = {
  name, description,
  admin_state_up: { type: bool() },
  lb_algorithm: { type: oneOf(LB_ALGORITHMS) },
  session_persistence: { type: object({ type: { type: oneOf(SESSION_PERSISTENCE_TYPES) }, ...sessionPersistenceFields }) },
  tags: { type: tags() },
  ...tlsFields,
} as const

type PoolFieldsStored = 'name' | 'description' | 'admin_state_up' | 'session_persistence' | 'tags' | keyof typeof tlsFields

/** What a new pool's row is made of: the create fields other than its parents, protocol and algorithm settled. */
export type PoolCreateBody = Parsed<Pick<typeof POOL_CREATE_FIELDS, PoolFieldsStored>> & {
  protocol: (typeof POOL_PROTOCOLS)[number]
  lb_algorithm: (typeof LB_ALGORITHMS)[number]
}

/** A session persistence as a request carries it (the type may be missing on PUT). */
export interface RequestedPersistence {
  type?: string | null
  cookie_name?: string | null
  persistence_timeout?: number | null
  persistence_granularity?: string | null
}

/** A new pool's TLS settings, the configured defaults filled in (spec/api-v2.md §10.1). */
export interface PoolTls {
  enabled: boolean
  ciphers: string | null
  versions: readonly string[] | null
  alpn: readonly string[] | null
}

const validation = (detail: string) => new InvalidInput(`Validation failure: ${detail}`)

const L4_PERSISTENCE_PROTOCOLS: readonly string[] = ['UDP', 'SCTP']
// Upstream's check: control characters, space and the separators of RFC 6265 token syntax.
// eslint-disable-next-line no-control-regex -- control characters are exactly what it looks for
const BAD_COOKIE_NAME = /[\x00-\x20\x22\x28\x29\x2c\x2f\x3a-\x40\x5b-\x5d\x7b\x7d\x7f]/
// eslint-disable-next-line no-control-regex -- any character up to U+00FF, as upstream's [\x00-\xff]
const LATIN1 = /[\x00-\xff]/

/** spec/api-v2.md §10.2, in its order. `mode` picks between upstream's two wordings of one message. */
export function checkSessionPersistence(protocol: string, sp: RequestedPersistence | null | undefined, mode: 'create' | 'update'): void {
  if (!sp) return
  if (L4_PERSISTENCE_PROTOCOLS.includes(protocol)) {
    if (sp.type === 'SOURCE_IP' && sp.cookie_name) {
      throw validation('session_persistence SOURCE_IP type for UDP and SCTP protocols only accepts: type, persistence_timeout, persistence_granularity.')
    }
    if (sp.cookie_name) throw validation('Cookie names are not supported for UDP/SCTP pools.')
    if (sp.type === 'HTTP_COOKIE' || sp.type === 'APP_COOKIE') {
      throw validation(`Session persistence of type ${sp.type} is not supported for UDP/SCTP protocol pools.`)
    }
  } else if (sp.persistence_timeout || sp.persistence_granularity) {
    throw validation(mode === 'create'
      ? 'persistence_timeout and persistence_granularity is only for UDP and SCTP protocol pools.'
      : 'persistence_timeout and persistence_granularity is only for UDP protocol pools.')
  }
  // Upstream reads sp['type'] here and turns the KeyError of a typeless object into its catch-all.
  if (!sp.type) throw validation('Invalid session_persistence provided.')
  if (sp.cookie_name) {
    if (sp.type !== 'APP_COOKIE') throw validation('Field "cookie_name" can only be specified with session persistence of type "APP_COOKIE".')
    if (BAD_COOKIE_NAME.test(sp.cookie_name) || !LATIN1.test(sp.cookie_name)) throw validation('Supplied "cookie_name" is invalid.')
  }
  if (sp.type === 'APP_COOKIE' && !sp.cookie_name) {
    throw validation('Field "cookie_name" must be specified when using the "APP_COOKIE" session persistence type.')
  }
}

/** A checked persistence as stored: what the request leaves out is null (spec/api-v2.md §10.2, PUT replaces). */
export function storedPersistence(sp: RequestedPersistence): SessionPersistence {
  if (!sp.type) throw validation('Invalid session_persistence provided.')
  return {
    type: sp.type,
    cookie_name: sp.cookie_name ?? null,
    persistence_timeout: sp.persistence_timeout ?? null,
    persistence_granularity: sp.persistence_granularity ?? null,
  }
}

/** spec/api-v2.md §10.1: a TLS pool gets the configured defaults for what it leaves out. */
export function poolTls(body: Pick<PoolCreateBody, 'tls_enabled' | 'tls_ciphers' | 'tls_versions' | 'alpn_protocols'>, settings: Settings): PoolTls {
  const enabled = body.tls_enabled === true
  return {
    enabled,
    ciphers: body.tls_ciphers ?? (enabled ? settings.default_pool_ciphers : null),
    versions: body.tls_versions ?? (enabled ? settings.default_pool_tls_versions : null),
    alpn: body.alpn_protocols ?? (enabled ? settings.default_pool_alpn_protocols : null),
  }
}

/**
 * spec/api-v2.md §10.3 step 9. The references are stored and syntax-checked only: fetching and
 * parsing them from the secret store comes with the TLS issue.
 */
export function checkNewPoolTls(body: Pick<PoolCreateBody, 'ca_tls_container_ref' | 'crl_container_ref'>, tls: PoolTls, settings: Settings): void {
  if (body.crl_container_ref && !body.ca_tls_container_ref) {
    throw validation('A CA certificate reference is required to specify a revocation list.')
  }
  checkCiphers(tls.ciphers, settings)
  if (tls.enabled) {
    checkTlsVersions(tls.versions ?? [], settings)
    checkAlpnProtocols(tls.alpn ?? [])
  }
}

/** The row a create stores (spec/api-v2.md §10.1), PENDING_CREATE / OFFLINE by the repository's defaults. */
export function newPoolValues(body: PoolCreateBody, tls: PoolTls, lb: LoadBalancer): NewPool & { id: string } {
  return {
    id: newId(),
    project_id: lb.project_id,
    load_balancer_id: lb.id,
    name: body.name ?? null,
    description: body.description ?? null,
    enabled: enabledOnCreate(body.admin_state_up),
    protocol: body.protocol,
    lb_algorithm: body.lb_algorithm,
    session_persistence: body.session_persistence ? storedPersistence(body.session_persistence) : null,
    tls_enabled: tls.enabled,
    tls_certificate_id: body.tls_container_ref ?? null,
    ca_tls_certificate_id: body.ca_tls_container_ref ?? null,
    crl_container_id: body.crl_container_ref ?? null,
    tls_ciphers: tls.ciphers,
    tls_versions: tls.versions === null ? null : tls.versions.join(','),
    alpn_protocols: tls.alpn === null ? null : tls.alpn.join(','),
    tags: body.tags ?? [],
  }
}

/** CA/CRL coherence of a PUT against the stored pool (spec/api-v2.md §10.4). */
export function checkCaAndCrl(body: { ca_tls_container_ref?: string | null; crl_container_ref?: string | null }, pool: Pool): void {
  const crl = body.crl_container_ref !== undefined ? body.crl_container_ref || null : pool.crl_container_id
  const storedCa = pool.ca_tls_certificate_id
  if (body.ca_tls_container_ref !== undefined) {
    if (!body.ca_tls_container_ref && storedCa && crl) {
      throw validation('A CA reference cannot be removed when a certificate revocation list is present.')
    }
    if (!body.ca_tls_container_ref && !storedCa && crl) throw validation('A CA reference is required to specify a certificate revocation list.')
  } else if (!storedCa && crl) {
    throw validation('A CA reference is required to specify a certificate revocation list.')
  }
}
