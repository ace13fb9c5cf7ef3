import type { FastifyInstance } from 'fastify'
import { Conflict, InvalidInput, NotFound } from '../../common/errors.ts'
import { newId } from '../../common/ids.ts'
import { TLS_VERSIONS, type OctaviaConfig } from '../../config/schema.ts'
import type { Executor } from '../../db/database.ts'
import {
  LISTENER_PROTOCOLS, ListenerRepository, type Listener, type ListenerChanges, type ListenerProtocol, type NewListener,
} from '../../db/repositories/listener-repository.ts'
import type { LoadBalancer } from '../../db/repositories/load-balancer-repository.ts'
import { LIST_SPECS } from '../list/list-specs.ts'
import { listResponse } from '../list/list-response.ts'
import { parseListQuery } from '../list/parse-list-query.ts'
import { runList } from '../list/run-list.ts'
import { selectFields } from '../list/select-fields.ts'
import { listBaseUrl, rawQuery, requestedFields } from '../request-url.ts'
import { parseBody } from '../validation/body-schema.ts'
import { invalidField, type FieldType } from '../validation/field-type.ts'
import {
  alpnProtocol, bool, cidr, dict, int, list, normaliseCidr, oneOf, str, tags, uuid, type Parsed,
} from '../validation/field-types.ts'
import { pythonRepr, pythonStr } from '../validation/python-repr.ts'
import type { ApiDeps } from './api-deps.ts'
import { enqueueChildJob, lockLoadBalancerForChild } from './child-mutation.ts'
import { renderListener } from './listener-view.ts'
import { lbaasPaths } from './paths.ts'

const LABEL = 'Listener'

// Certificate references are stored and syntax-checked only. Fetching them from the secret
// store (spec/api-v2.md §9.3 items 10–11: retrievable refs, CA/CRL parsing, CRL signed by the CA,
// and the certificate contents handed to the provider) arrives with the TLS issue.
const ref = { type: str({ max: 255 }) }
const timeout = { type: int({ min: 0, max: 2_073_600_000 }) }
const CLIENT_AUTHENTICATION = ['NONE', 'OPTIONAL', 'MANDATORY'] as const

/** Any JSON object, kept as sent: the full-graph fields a standalone create refuses (spec/api-v2.md §18). */
const anyObject: FieldType<Readonly<Record<string, unknown>>> = {
  name: 'object',
  container: 'dict',
  parse(value, at) {
    if (typeof value !== 'object' || Array.isArray(value)) throw invalidField(at.field, value, `Value not a valid dict: ${pythonStr(value)}`)
    return value as Readonly<Record<string, unknown>>
  },
}

/** What POST and PUT both accept (spec/api-v2.md §9.1). */
const MUTABLE = {
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

// Octavia's body argument for listeners is `listener_` (spec/api-v2.md §3.4).
const CREATE = {
  arg: 'listener_',
  envelope: 'listener',
  fields: {
    loadbalancer_id: { type: uuid(), mandatory: true },
    protocol: { type: oneOf(LISTENER_PROTOCOLS), mandatory: true },
    protocol_port: { type: int({ min: 1, max: 65535 }), mandatory: true },
    ...MUTABLE,
    // Ignored: a listener belongs to its load balancer's project (spec/api-v2.md §3.5).
    project_id: { type: str({ max: 36 }) },
    tenant_id: { type: str({ max: 36 }) },
    default_pool: { type: anyObject },
    l7policies: { type: list(anyObject) },
  },
} as const

const UPDATE = { arg: 'listener_', envelope: 'listener', fields: MUTABLE } as const

type CreateBody = Parsed<typeof CREATE.fields>
type UpdateBody = Parsed<typeof UPDATE.fields>
type Settings = OctaviaConfig['api_settings']

// spec/api-v2.md §9.5, names case-sensitive.
const HTTP_HEADERS: readonly string[] = ['X-Forwarded-For', 'X-Forwarded-Port', 'X-Forwarded-Proto', 'X-Forwarded-IP', 'X-Client-IP', 'X-Real-IP']
const SSL_HEADERS: readonly string[] = [
  'X-SSL-Client-Verify', 'X-SSL-Client-Has-Cert', 'X-SSL-Client-DN', 'X-SSL-Client-CN', 'X-SSL-Issuer', 'X-SSL-Client-SHA1',
  'X-SSL-Client-Not-Before', 'X-SSL-Client-Not-After',
]

/** Pool protocols a listener may send traffic to (spec/api-v2.md §9.2). */
const POOL_PROTOCOLS: Record<ListenerProtocol, readonly string[]> = {
  HTTP: ['HTTP', 'PROXY', 'PROXYV2'],
  HTTPS: ['HTTPS', 'PROXY', 'PROXYV2', 'TCP'],
  TCP: ['HTTP', 'HTTPS', 'PROXY', 'PROXYV2', 'TCP'],
  TERMINATED_HTTPS: ['HTTP', 'PROXY', 'PROXYV2'],
  UDP: ['UDP'],
  SCTP: ['SCTP'],
  PROMETHEUS: [],
}

const CIPHER_CHARACTERS = /^[A-Za-z0-9\-+!:@=_.]*$/

const validation = (text: string) => new InvalidInput(`Validation failure: ${text}`)

function isProtocol(value: string): value is ListenerProtocol {
  return (LISTENER_PROTOCOLS as readonly string[]).includes(value)
}

function hasCertificates(defaultRef: string | null | undefined, sni: readonly string[] | null | undefined): boolean {
  return Boolean(defaultRef) || (sni?.length ?? 0) > 0
}

/** TERMINATED_HTTPS, or PROMETHEUS with a default or SNI certificate (a client CA does not count; spec/api-v2.md §9.2). */
function isTlsListener(protocol: string, defaultRef: string | null | undefined, sni: readonly string[] | null | undefined): boolean {
  return protocol === 'TERMINATED_HTTPS' || (protocol === 'PROMETHEUS' && hasCertificates(defaultRef, sni))
}

export function registerListenerRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { db } = deps
  const listeners = new ListenerRepository(db, deps.clock)

  /** The listener of a path id, 404 when unknown (spec/api-v2.md §9.4). */
  async function find(id: string): Promise<Listener> {
    const listener = await listeners.get(id)
    if (!listener || listener.provisioning_status === 'DELETED') throw new NotFound(LABEL, id)
    return listener
  }

  /** A DELETED load balancer is found: the status test refuses it with 409 (spec/api-v2.md §9.3 step 2). */
  async function findLoadBalancer(id: string | null): Promise<LoadBalancer> {
    const [lb] = id === null ? [] : await deps.loadBalancers.getMany([id])
    if (!lb) throw new NotFound('Load Balancer', String(id))
    return lb
  }

  /** default_pool_id: no child for PROMETHEUS, a pool of the same LB, a compatible protocol (spec/api-v2.md §9.3 step 5). */
  async function checkDefaultPool(executor: Executor, loadBalancerId: string, poolId: string, protocol: ListenerProtocol): Promise<void> {
    if (protocol === 'PROMETHEUS') throw new InvalidInput('Protocol PROMETHEUS listeners cannot have child objects.')
    const pool = await listeners.pool(poolId, executor)
    if (!pool || pool.load_balancer_id !== loadBalancerId) throw new NotFound('Pool', poolId)
    if (!POOL_PROTOCOLS[protocol].includes(pool.protocol)) {
      throw validation(`The pool protocol '${pool.protocol}' is invalid while the listener protocol is '${protocol}'.`)
    }
  }

  for (const path of lbaasPaths('/listeners')) {
    app.post(path, async (req, reply) => {
      const body = parseBody(req.body, CREATE)
      for (const field of ['default_pool', 'l7policies'] as const) {
        const value = body[field]
        if (value !== undefined && value !== null && (!Array.isArray(value) || value.length > 0)) {
          throw validation(`${field} may only be specified when creating a fully populated load balancer.`)
        }
      }
      const lb = await findLoadBalancer(body.loadbalancer_id)
      deps.providers.load(lb.provider)
      const values = newListenerValues(body, lb, deps.config)
      const { id } = values
      const { protocol, protocol_port: port } = body
      await db.transaction(async (trx) => {
        if (values.default_pool_id) await checkDefaultPool(trx, lb.id, values.default_pool_id, protocol)
        // spec/api-v2.md §9.3: a busy load balancer is reported before the remaining 400s.
        await lockLoadBalancerForChild(deps, trx, lb.id)
        checkCreateCertificates(values, protocol, deps.config.api_settings)
        const taken = await listeners.portConflict(lb.id, protocol, port, trx)
        if (taken) throw new Conflict(`Another Listener on this Load Balancer is already using protocol ${taken.protocol} and protocol_port ${port}`)
        checkAllowedCidrs(values.allowed_cidrs ?? [], lb)
        checkCreateTlsOptions(values, protocol, deps.config.api_settings)
        await listeners.create(values, trx)
        await enqueueChildJob(deps, trx, { kind: 'listener.create', target_type: 'listener', target_id: id, load_balancer_id: lb.id })
      })
      deps.notifyWorker()
      return reply.code(201).send({ listener: renderListener(await find(id)) })
    })

    app.get(path, async (req) => {
      const spec = LIST_SPECS.listener
      const query = parseListQuery(rawQuery(req), spec, deps.config.api_settings)
      // noauth: every caller is an administrator, so lists span every project (rbac.md §6).
      const page = await runList(db, spec, query, { baseUrl: listBaseUrl(req) })
      const found = await listeners.getMany(page.rows.map((r) => r.id))
      return listResponse(spec, selectFields(found.map(renderListener), query.fields), page.links)
    })
  }

  for (const path of lbaasPaths('/listeners/:id')) {
    app.get<{ Params: { id: string } }>(path, async (req) => ({
      listener: selectFields([renderListener(await find(req.params.id))], requestedFields(req))[0],
    }))

    app.put<{ Params: { id: string } }>(path, async (req) => {
      const { id } = req.params
      const body = parseBody(req.body, UPDATE)
      const current = await find(id)
      const lb = await findLoadBalancer(current.load_balancer_id)
      const protocol = current.protocol
      if (!isProtocol(protocol)) throw new Error(`listener ${id} has unknown protocol ${protocol}`)
      // spec/api-v2.md §9.4: on update the 400s come before the status test.
      checkUpdate(body, current, lb, deps.config.api_settings)
      const changes = updateChanges(body, deps.config)
      await db.transaction(async (trx) => {
        if (body.default_pool_id) await checkDefaultPool(trx, lb.id, body.default_pool_id, protocol)
        deps.providers.load(lb.provider)
        await lockLoadBalancerForChild(deps, trx, lb.id)
        await listeners.update(id, changes, trx)
        await listeners.setProvisioningStatus(id, 'PENDING_UPDATE', {}, trx)
        await enqueueChildJob(deps, trx, { kind: 'listener.update', target_type: 'listener', target_id: id, load_balancer_id: lb.id })
      })
      deps.notifyWorker()
      return { listener: renderListener(await find(id)) }
    })

    app.delete<{ Params: { id: string } }>(path, async (req, reply) => {
      const { id } = req.params
      const current = await find(id)
      const lb = await findLoadBalancer(current.load_balancer_id)
      deps.providers.load(lb.provider)
      await db.transaction(async (trx) => {
        await lockLoadBalancerForChild(deps, trx, lb.id)
        await listeners.setProvisioningStatus(id, 'PENDING_DELETE', {}, trx)
        await enqueueChildJob(deps, trx, { kind: 'listener.delete', target_type: 'listener', target_id: id, load_balancer_id: lb.id })
      })
      deps.notifyWorker()
      return reply.code(204).send()
    })
  }

  for (const path of lbaasPaths('/listeners/:id/stats')) {
    app.get<{ Params: { id: string } }>(path, async (req) => {
      await find(req.params.id)
      return { stats: await listeners.statistics(req.params.id) }
    })
  }
}

/**
 * The row a create stores (spec/api-v2.md §9.1): absent fields take their defaults; null means
 * "no value" (§3.4) except where a NOT NULL column or Octavia substitutes a default
 * (admin_state_up → false, client_authentication → NONE, HSTS flags → false, and the
 * TERMINATED_HTTPS cipher, version and ALPN defaults, which upstream applies to null as well).
 */
function newListenerValues(body: CreateBody, lb: LoadBalancer, config: OctaviaConfig): NewListener & { id: string } {
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
    enabled: body.admin_state_up === undefined ? true : body.admin_state_up === true,
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
  if (values.tls_ciphers) checkCiphers(values.tls_ciphers, settings)
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
function checkUpdate(body: UpdateBody, current: Listener, lb: LoadBalancer, settings: Settings): void {
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
  if (body.tls_ciphers) checkCiphers(body.tls_ciphers, settings)
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

/** The columns an update writes: only fields in the request; null takes the §9.1 "Update (null effect)". */
function updateChanges(body: UpdateBody, config: OctaviaConfig): ListenerChanges {
  const settings = config.api_settings
  const timeouts = config.haproxy_amphora
  const changes: ListenerChanges = {}
  const set = <K extends keyof ListenerChanges>(key: K, value: ListenerChanges[K] | undefined) => {
    if (value !== undefined) changes[key] = value
  }
  set('name', body.name)
  set('description', body.description)
  if (body.admin_state_up !== undefined) changes.enabled = body.admin_state_up === true
  if (body.connection_limit !== undefined) changes.connection_limit = body.connection_limit ?? -1
  set('default_pool_id', body.default_pool_id)
  set('tls_certificate_id', body.default_tls_container_ref)
  if (body.sni_container_refs !== undefined) changes.sni_container_refs = body.sni_container_refs ?? []
  set('client_ca_tls_certificate_id', body.client_ca_tls_container_ref)
  if (body.client_authentication !== undefined) changes.client_authentication = body.client_authentication ?? 'NONE'
  set('client_crl_container_id', body.client_crl_container_ref)
  if (body.insert_headers !== undefined) changes.insert_headers = body.insert_headers ?? {}
  for (const key of ['timeout_client_data', 'timeout_member_connect', 'timeout_member_data', 'timeout_tcp_inspect'] as const) {
    if (body[key] !== undefined) changes[key] = body[key] ?? timeouts[key]
  }
  if (body.allowed_cidrs !== undefined) changes.allowed_cidrs = (body.allowed_cidrs ?? []).map(normaliseCidr)
  // Whatever the protocol, a cleared TLS option takes the configured default (spec/api-v2.md §9.1).
  if (body.tls_ciphers !== undefined) changes.tls_ciphers = body.tls_ciphers ?? settings.default_listener_ciphers
  if (body.tls_versions !== undefined) changes.tls_versions = body.tls_versions ?? settings.default_listener_tls_versions
  if (body.alpn_protocols !== undefined) changes.alpn_protocols = body.alpn_protocols ?? settings.default_listener_alpn_protocols
  set('hsts_max_age', body.hsts_max_age)
  if (body.hsts_include_subdomains !== undefined) changes.hsts_include_subdomains = body.hsts_include_subdomains === true
  if (body.hsts_preload !== undefined) changes.hsts_preload = body.hsts_preload === true
  // spec/api-v2.md §3.4: tags null leaves the tags as they are.
  if (body.tags !== undefined && body.tags !== null) changes.tags = body.tags
  return changes
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

/** spec/api-v2.md §9.3 item 9. */
function checkCiphers(ciphers: string, settings: Settings): void {
  if (!CIPHER_CHARACTERS.test(ciphers)) {
    throw validation('Invalid characters in cipher string. Only alphanumeric, -, +, !, :, @, =, _, and . are allowed.')
  }
  const prohibited = new Set(settings.tls_cipher_prohibit_list.split(':').filter((c) => c !== ''))
  const rejected = ciphers.split(':').filter((c) => prohibited.has(c))
  if (rejected.length > 0) throw validation(`The following ciphers have been prohibited by an administrator: ${rejected.join(', ')}`)
}

/** spec/api-v2.md §9.3 item 14: non-empty, known versions, none below the configured minimum. */
function checkTlsVersions(versions: readonly string[], settings: Settings): void {
  if (versions.length === 0) {
    throw validation('Empty TLS version list. Either specify at least one TLS version or remove this parameter to use the default.')
  }
  const known: readonly string[] = TLS_VERSIONS
  const invalid = versions.filter((v) => !known.includes(v))
  if (invalid.length > 0) throw validation(`Invalid TLS versions: ${invalid.join(', ')}`)
  const minimum = settings.minimum_tls_version
  if (minimum) {
    const below = versions.filter((v) => known.indexOf(v) < known.indexOf(minimum))
    if (below.length > 0) throw validation(`Requested TLS versions are less than the minimum: ${below.join(', ')} < ${minimum}`)
  }
}

function checkAlpnProtocols(protocols: readonly string[]): void {
  // Values are checked by their type; the amphora provider's own ALPN restriction (spec/api-v2.md §7) is the same set.
  if (protocols.length === 0) {
    throw validation('Empty ALPN protocol list. Either specify at least one ALPN protocol or remove this parameter to use the default.')
  }
}

function disabledProtocol(value: string): InvalidInput {
  return new InvalidInput(`The selected protocol is not allowed in this deployment: ${value}`)
}
