import { enabledOnCreate } from './admin-state.ts'
import { Conflict, InvalidInput, NotFound } from '../../common/errors.ts'
import { newId } from '../../common/ids.ts'
import type { OctaviaConfig } from '../../config/schema.ts'
import type { Executor } from '../../db/database.ts'
import {
  LISTENER_PROTOCOLS, type Listener, type ListenerProtocol, type ListenerRepository, type NewListener,
} from '../../db/repositories/listener-repository.ts'
import type { LoadBalancer } from '../../db/repositories/load-balancer-repository.ts'
import { invalidField, type FieldType } from '../validation/field-type.ts'
import { alpnProtocol, bool, cidr, dict, int, list, normaliseCidr, oneOf, str, tags, uuid, type Parsed } from '../validation/field-types.ts'
import { pythonRepr, pythonStr } from '../../common/python-repr.ts'
import {
  checkAlpnProtocols, checkCiphers, checkListenerTakesChildren, checkPoolProtocolForListener, checkTlsVersions,
} from './listener-pool-rules.ts'

// What a valid listener is (spec/api-v2.md §9): its fields and the checks of §9.3 and §9.4, shared
// by the listener resource and the full-graph load balancer create (§8.3).

type Settings = OctaviaConfig['api_settings']

// Certificate references are stored and syntax-checked only. Fetching them from the secret
// store (spec/api-v2.md §9.3 items 10–11: retrievable refs, CA/CRL parsing, CRL signed by the CA,
// and the certificate contents handed to the provider) arrives with the TLS issue.
const ref = { type: str({ max: 255 }) }
const timeout = { type: int({ min: 0, max: 2_073_600_000 }) }
const CLIENT_AUTHENTICATION = ['NONE', 'OPTIONAL', 'MANDATORY'] as const

/** Any JSON object, kept as sent: the full-graph fields a standalone create refuses (spec/api-v2.md §18). */
export const anyObject: FieldType<Readonly<Record<string, unknown>>> = {
  name: 'object',
  container: 'dict',
  parse(value, at) {
    if (typeof value !== 'object' || Array.isArray(value)) throw invalidField(at.field, value, `Value not a valid dict: ${pythonStr(value)}`)
    return value as Readonly<Record<string, unknown>>
  },
}

/** What POST and PUT both accept (spec/api-v2.md §9.1). */
export const LISTENER_MUTABLE_FIELDS = {
  name: { type: str({ max: 255 }) },
  description: { type: str({ max: 255 }) },
  admin_state_up: { type: bool() },
  connection_limit: { type: int({ min: -1 }) },
  default_pool_id: { type: uuid() },
  default_tls_container_ref: ref,
  sni_container_refs: { type: list(str({ max: 255 })) },
  client_ca_tls_container_ref: ref,
  client_authentication: { type: oneOf(CLIENT_AUTHENTICATION) },
  client_crl_container_ref: ref,
  insert_headers: { type: dict(str({ max: 255 })) },
  timeout_client_data: timeout,
  timeout_member_connect: timeout,
  timeout_member_data: timeout,
  timeout_tcp_inspect: timeout,
  allowed_cidrs: { type: list(cidr()) },
  tls_ciphers: { type: str({ max: 2048 }) },
  tls_versions: { type: list(str({ max: 32 })) },
  alpn_protocols: { type: list(alpnProtocol()) },
  hsts_max_age: { type: int({ min: 0 }) },
  hsts_include_subdomains: { type: bool() },
  hsts_preload: { type: bool() },
  tags: { type: tags() },
} as const

/** The standalone create body (spec/api-v2.md §9.1); the full graph drops the parent and owner (§8.3). */
export const LISTENER_CREATE_FIELDS = {
  loadbalancer_id: { type: uuid(), mandatory: true },
  protocol: { type: oneOf(LISTENER_PROTOCOLS), mandatory: true },
  protocol_port: { type: int({ min: 1, max: 65535 }), mandatory: true },
  ...LISTENER_MUTABLE_FIELDS,
  // Ignored: a listener belongs to its load balancer's project (spec/api-v2.md §3.5).
  project_id: { type: str({ max: 36 }) },
  tenant_id: { type: str({ max: 36 }) },
  default_pool: { type: anyObject },
  l7policies: { type: list(anyObject) },
} as const

/** The fields of a new listener that its stored values are made of. */
export type ListenerCreateBody = Parsed<Pick<typeof LISTENER_CREATE_FIELDS, 'protocol' | 'protocol_port' | keyof typeof LISTENER_MUTABLE_FIELDS>>
type ListenerUpdateBody = Parsed<typeof LISTENER_MUTABLE_FIELDS>

// spec/api-v2.md §9.5, names case-sensitive.
const HTTP_HEADERS: readonly string[] = ['X-Forwarded-For', 'X-Forwarded-Port', 'X-Forwarded-Proto', 'X-Forwarded-IP', 'X-Client-IP', 'X-Real-IP']
const SSL_HEADERS: readonly string[] = [
  'X-SSL-Client-Verify', 'X-SSL-Client-Has-Cert', 'X-SSL-Client-DN', 'X-SSL-Client-CN', 'X-SSL-Issuer', 'X-SSL-Client-SHA1',
  'X-SSL-Client-Not-Before', 'X-SSL-Client-Not-After',
]

const validation = (text: string) => new InvalidInput(`Validation failure: ${text}`)

export function isListenerProtocol(value: string): value is ListenerProtocol {
  return (LISTENER_PROTOCOLS as readonly string[]).includes(value)
}

function hasCertificates(defaultRef: string | null | undefined, sni: readonly string[] | null | undefined): boolean {
  return Boolean(defaultRef) || (sni?.length ?? 0) > 0
}

/** TERMINATED_HTTPS, or PROMETHEUS with a default or SNI certificate (a client CA does not count; spec/api-v2.md §9.2). */
function isTlsListener(protocol: string, defaultRef: string | null | undefined, sni: readonly string[] | null | undefined): boolean {
  return protocol === 'TERMINATED_HTTPS' || (protocol === 'PROMETHEUS' && hasCertificates(defaultRef, sni))
}

/**
 * default_pool_id: no child for PROMETHEUS, a pool of the same LB, a compatible protocol
 * (spec/api-v2.md §9.3 step 5). `executor` sees pools created earlier in the same transaction.
 */
export async function checkDefaultPool(listeners: ListenerRepository, executor: Executor, loadBalancerId: string, poolId: string,
  protocol: ListenerProtocol): Promise<void> {
  checkListenerTakesChildren(protocol)
  const pool = await listeners.pool(poolId, executor)
  if (!pool || pool.load_balancer_id !== loadBalancerId) throw new NotFound('Pool', poolId)
  checkPoolProtocolForListener(protocol, pool.protocol)
}

/**
 * The row a create stores (spec/api-v2.md §9.1): absent fields take their defaults; null means
 * "no value" (§3.4) except where a NOT NULL column or Octavia substitutes a default
 * (admin_state_up → false, client_authentication → NONE, HSTS flags → false, and the
 * TERMINATED_HTTPS cipher, version and ALPN defaults, which upstream applies to null as well).
 */
export function newListenerValues(body: ListenerCreateBody, lb: LoadBalancer, config: OctaviaConfig): NewListener & { id: string } {
  const settings = config.api_settings
  const timeouts = config.haproxy_amphora
  const terminated = body.protocol === 'TERMINATED_HTTPS'
  const given = <T>(value: T | null | undefined, fallback: T): T | null => (value === undefined ? fallback : value)
  return {
    id: newId(),
    project_id: lb.project_id,
    load_balancer_id: lb.id,
    name: body.name ?? null,
    description: body.description ?? null,
    enabled: enabledOnCreate(body.admin_state_up),
    protocol: body.protocol,
    protocol_port: body.protocol_port,
    connection_limit: given(body.connection_limit, -1),
    default_pool_id: body.default_pool_id ?? null,
    tls_certificate_id: body.default_tls_container_ref ?? null,
    sni_container_refs: body.sni_container_refs ?? [],
    client_ca_tls_certificate_id: body.client_ca_tls_container_ref ?? null,
    client_authentication: body.client_authentication ?? 'NONE',
    client_crl_container_id: body.client_crl_container_ref ?? null,
    insert_headers: body.insert_headers ?? {},
    timeout_client_data: given(body.timeout_client_data, timeouts.timeout_client_data),
    timeout_member_connect: given(body.timeout_member_connect, timeouts.timeout_member_connect),
    timeout_member_data: given(body.timeout_member_data, timeouts.timeout_member_data),
    timeout_tcp_inspect: given(body.timeout_tcp_inspect, timeouts.timeout_tcp_inspect),
    allowed_cidrs: (body.allowed_cidrs ?? []).map(normaliseCidr),
    tls_ciphers: body.tls_ciphers ?? (terminated ? settings.default_listener_ciphers : null),
    tls_versions: body.tls_versions ?? (terminated ? settings.default_listener_tls_versions : null),
    alpn_protocols: body.alpn_protocols ?? (terminated ? settings.default_listener_alpn_protocols : null),
    hsts_max_age: body.hsts_max_age ?? null,
    hsts_include_subdomains: body.hsts_include_subdomains === true,
    hsts_preload: body.hsts_preload === true,
    tags: body.tags ?? [],
  }
}

/**
 * spec/api-v2.md §9.3 step 7 in its order: items 1–9, the duplicate port (12, 409), allowed CIDRs
 * (13), TLS versions, ALPN and HSTS (14–15). `executor` sees listeners created earlier in the
 * same transaction, so listeners created together conflict with each other too.
 */
export async function checkNewListener(listeners: ListenerRepository, executor: Executor, lb: LoadBalancer, values: NewListener,
  protocol: ListenerProtocol, settings: Settings): Promise<void> {
  checkCreateCertificates(values, protocol, settings)
  const port = values.protocol_port
  const taken = await listeners.portConflict(lb.id, protocol, port, executor)
  if (taken) throw new Conflict(`Another Listener on this Load Balancer is already using protocol ${taken.protocol} and protocol_port ${port}`)
  checkAllowedCidrs(values.allowed_cidrs ?? [], lb)
  checkCreateTlsOptions(values, protocol, settings)
}

/** spec/api-v2.md §9.3 step 7, items 1–9 (10–11 arrive with certificate retrieval). */
function checkCreateCertificates(values: NewListener, protocol: ListenerProtocol, settings: Settings): void {
  const headers = Object.keys(values.insert_headers ?? {})
  if (headers.length > 0) checkInsertHeaders(headers, protocol)
  const certificates = hasCertificates(values.tls_certificate_id, values.sni_container_refs)
  if ((protocol === 'UDP' || protocol === 'SCTP') && (certificates || headers.length > 0)) {
    throw validation(`${protocol} protocol listener does not support TLS.`)
  }
  if (!settings.allow_tls_terminated_listeners && protocol === 'TERMINATED_HTTPS') throw disabledProtocol('TERMINATED_HTTPS')
  if (!settings.allow_prometheus_listeners && protocol === 'PROMETHEUS') throw disabledProtocol('PROMETHEUS')
  if (!settings.allow_tls_terminated_listeners && protocol === 'PROMETHEUS' && certificates) throw disabledProtocol('PROMETHEUS with TLS')
  const tls = isTlsListener(protocol, values.tls_certificate_id, values.sni_container_refs)
  if (!tls && certificates) throw validation(`Certificate container references are not allowed on ${protocol} protocol listeners.`)
  if (values.client_ca_tls_certificate_id && !certificates) {
    throw validation('An SNI or default certificate container reference must be provided with a client CA container reference.')
  }
  if (tls && !certificates) {
    throw validation(`An SNI or default certificate container reference must be provided for ${protocol} protocol listeners.`)
  }
  const mode = values.client_authentication ?? 'NONE'
  if (mode !== 'NONE' && !values.client_ca_tls_certificate_id) {
    throw validation(`Client authentication setting ${mode} requires a client CA container reference.`)
  }
  if (values.client_crl_container_id && !values.client_ca_tls_certificate_id) {
    throw validation('A client authentication CA reference is required to specify a client authentication revocation list.')
  }
  checkCiphers(values.tls_ciphers, settings)
}

/** spec/api-v2.md §9.3 step 7, items 14–15. */
function checkCreateTlsOptions(values: NewListener, protocol: ListenerProtocol, settings: Settings): void {
  // For other listeners these lists are stored unchecked.
  if (isTlsListener(protocol, values.tls_certificate_id, values.sni_container_refs)) {
    if (values.tls_versions) checkTlsVersions(values.tls_versions, settings)
    if (values.alpn_protocols) checkAlpnProtocols(values.alpn_protocols)
  }
  const maxAge = values.hsts_max_age
  if ((values.hsts_include_subdomains || values.hsts_preload) && typeof maxAge !== 'number') {
    throw validation('HSTS configuration options hsts_include_subdomains and hsts_preload only make sense if hsts_max_age is set as well.')
  }
  if (typeof maxAge === 'number' && protocol !== 'TERMINATED_HTTPS') {
    throw validation('The HSTS feature can only be used for listeners using the TERMINATED_HTTPS protocol.')
  }
}

/**
 * spec/api-v2.md §9.4: every update check, against the stored protocol and, where the request
 * leaves a value out (or clears it), the stored value.
 */
export function checkListenerUpdate(body: ListenerUpdateBody, current: Listener, lb: LoadBalancer, settings: Settings): void {
  const protocol = current.protocol
  const certificates = hasCertificates(body.default_tls_container_ref, body.sni_container_refs)
  const headers = Object.keys(body.insert_headers ?? {})
  if ((protocol === 'UDP' || protocol === 'SCTP') && (certificates || headers.length > 0)) {
    throw validation(`${protocol} protocol listener does not support TLS or header insertion.`)
  }
  // A PROMETHEUS listener may take certificates at any time: they turn its TLS on.
  if (certificates && protocol !== 'TERMINATED_HTTPS' && protocol !== 'PROMETHEUS') {
    throw validation(`Certificate container references are not allowed on ${protocol} protocol listeners.`)
  }
  const ca = body.client_ca_tls_container_ref || current.client_ca_tls_certificate_id
  const mode = body.client_authentication
  if ((mode === 'OPTIONAL' || mode === 'MANDATORY') && !ca) {
    throw validation(`Client authentication setting ${mode} requires a client CA container reference.`)
  }
  if (headers.length > 0) checkInsertHeaders(headers, protocol)
  const crl = body.client_crl_container_ref || current.client_crl_container_id
  if (crl && !ca) {
    throw validation('A client authentication CA reference is required to specify a client authentication revocation list.')
  }
  if (body.allowed_cidrs && body.allowed_cidrs.length > 0) checkAllowedCidrs(body.allowed_cidrs.map(normaliseCidr), lb)
  checkCiphers(body.tls_ciphers, settings)
  if (body.tls_versions) checkTlsVersions(body.tls_versions, settings)
  if (body.alpn_protocols) checkAlpnProtocols(body.alpn_protocols)
  if ((body.hsts_include_subdomains === true || body.hsts_preload === true) &&
      current.hsts_max_age === null && (body.hsts_max_age ?? null) === null) {
    throw validation('Cannot enable hsts_include_subdomains or hsts_preload if hsts_max_age was not set as well.')
  }
  if (typeof body.hsts_max_age === 'number' && protocol !== 'TERMINATED_HTTPS') {
    throw validation('The HSTS feature can only be used for listeners using the TERMINATED_HTTPS protocol.')
  }
}

/** spec/api-v2.md §9.3 item 1 and §9.5; names are shown as Python lists. */
function checkInsertHeaders(names: readonly string[], protocol: string): void {
  if (protocol !== 'HTTP' && protocol !== 'TERMINATED_HTTPS') {
    throw new InvalidInput(`insert-headers is not a valid option for a ${protocol} protocol listener.`)
  }
  if (names.some((name) => !HTTP_HEADERS.includes(name) && !SSL_HEADERS.includes(name))) {
    throw new InvalidInput(`${pythonRepr(names)} is not a valid option for insert_headers`)
  }
  const ssl = names.filter((name) => SSL_HEADERS.includes(name))
  if (protocol !== 'TERMINATED_HTTPS' && ssl.length > 0) {
    throw new InvalidInput(`${pythonRepr(ssl)} is not a valid option for ${protocol} protocol listener.`)
  }
}

/** spec/api-v2.md §9.3 item 13: no CIDRs with custom VIP security groups; each CIDR matches some VIP's IP version. */
function checkAllowedCidrs(cidrs: readonly string[], lb: LoadBalancer): void {
  if (cidrs.length === 0) return
  if (lb.vip_sg_ids.length > 0) throw validation('Allowed CIDRs are not allowed when using custom VIP Security Groups.')
  const vips = [lb.vip?.ip_address, ...lb.additional_vips.map((a) => a.ip_address)].filter((ip): ip is string => typeof ip === 'string')
  for (const network of cidrs) {
    if (!vips.some((vip) => vip.includes(':') === network.includes(':'))) {
      throw validation(`CIDR ${network} IP version incompatible with all VIPs ${pythonRepr(vips)} IP version.`)
    }
  }
}

function disabledProtocol(value: string): InvalidInput {
  return new InvalidInput(`The selected protocol is not allowed in this deployment: ${value}`)
}
