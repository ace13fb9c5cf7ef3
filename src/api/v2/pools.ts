import type { FastifyInstance } from 'fastify'
import { Conflict, InvalidInput, NotFound } from '../../common/errors.ts'
import { newId } from '../../common/ids.ts'
import { TLS_VERSIONS } from '../../config/schema.ts'
import type { LoadBalancer } from '../../db/repositories/load-balancer-repository.ts'
import { PoolRepository, type ListenerRef, type Pool, type PoolChanges, type SessionPersistence } from '../../db/repositories/pool-repository.ts'
import { LIST_SPECS } from '../list/list-specs.ts'
import { listResponse } from '../list/list-response.ts'
import { parseListQuery } from '../list/parse-list-query.ts'
import { runList } from '../list/run-list.ts'
import { selectFields } from '../list/select-fields.ts'
import { listBaseUrl, rawQuery, requestedFields } from '../request-url.ts'
import { parseBody } from '../validation/body-schema.ts'
import { isJsonObject } from '../validation/container-types.ts'
import { invalidField, mandatoryFieldMissing } from '../validation/field-type.ts'
import { alpnProtocol, bool, int, ipAddress, list, object, oneOf, str, tags, uuid, type FieldType } from '../validation/field-types.ts'
import { pythonStr } from '../validation/python-repr.ts'
import type { ApiDeps } from './api-deps.ts'
import { enqueueChildJob, lockLoadBalancerForChild } from './child-mutation.ts'
import { lbaasPaths } from './paths.ts'
import { renderPool } from './pool-view.ts'

const LABEL = 'Pool'

export const POOL_PROTOCOLS = ['TCP', 'HTTP', 'HTTPS', 'PROXY', 'PROXYV2', 'UDP', 'SCTP'] as const
export const LB_ALGORITHMS = ['ROUND_ROBIN', 'LEAST_CONNECTIONS', 'SOURCE_IP', 'SOURCE_IP_PORT'] as const
export const SESSION_PERSISTENCE_TYPES = ['SOURCE_IP', 'HTTP_COOKIE', 'APP_COOKIE'] as const

/** spec/api-v2.md §9.2: the pool protocols a listener of each protocol may send traffic to. */
export const POOL_PROTOCOLS_BY_LISTENER_PROTOCOL: Readonly<Record<string, readonly string[]>> = {
  HTTP: ['HTTP', 'PROXY', 'PROXYV2'],
  HTTPS: ['HTTPS', 'PROXY', 'PROXYV2', 'TCP'],
  TCP: ['HTTP', 'HTTPS', 'PROXY', 'PROXYV2', 'TCP'],
  TERMINATED_HTTPS: ['HTTP', 'PROXY', 'PROXYV2'],
  UDP: ['UDP'],
  SCTP: ['SCTP'],
  PROMETHEUS: [],
}

/**
 * `healthmonitor` and `members` of a standalone POST: only their shape is checked here, any
 * content is refused afterwards (spec/api-v2.md §18).
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
const CREATE = {
  arg: 'pool_',
  envelope: 'pool',
  fields: {
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
  },
} as const

const UPDATE = {
  arg: 'pool_',
  envelope: 'pool',
  fields: {
    name, description,
    admin_state_up: { type: bool() },
    lb_algorithm: { type: oneOf(LB_ALGORITHMS) },
    session_persistence: { type: object({ type: { type: oneOf(SESSION_PERSISTENCE_TYPES) }, ...sessionPersistenceFields }) },
    tags: { type: tags() },
    ...tlsFields,
  },
} as const

/** A session persistence as a request carries it (the type may be missing on PUT). */
interface RequestedPersistence {
  type?: string | null
  cookie_name?: string | null
  persistence_timeout?: number | null
  persistence_granularity?: string | null
}

const validation = (detail: string) => new InvalidInput(`Validation failure: ${detail}`)

const L4_PERSISTENCE_PROTOCOLS: readonly string[] = ['UDP', 'SCTP']
// Upstream's check: control characters, space and the separators of RFC 6265 token syntax.
// eslint-disable-next-line no-control-regex -- control characters are exactly what it looks for
const BAD_COOKIE_NAME = /[\x00-\x20\x22\x28\x29\x2c\x2f\x3a-\x40\x5b-\x5d\x7b\x7d\x7f]/
// eslint-disable-next-line no-control-regex -- any character up to U+00FF, as upstream's [\x00-\xff]
const LATIN1 = /[\x00-\xff]/
const CIPHER_CHARACTERS = /^[A-Za-z0-9\-+!:@=_.]*$/

/** spec/api-v2.md §10.2, in its order. `create` picks between upstream's two wordings of one message. */
function checkSessionPersistence(protocol: string, sp: RequestedPersistence | null | undefined, mode: 'create' | 'update'): void {
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

/** The listener/pool protocol rule of spec/api-v2.md §9.2 (PROMETHEUS takes no pool at all). */
function checkListenerProtocol(listener: ListenerRef, poolProtocol: string): void {
  if (listener.protocol === 'PROMETHEUS') throw new InvalidInput('Protocol PROMETHEUS listeners cannot have child objects.')
  if (!(POOL_PROTOCOLS_BY_LISTENER_PROTOCOL[listener.protocol] ?? []).includes(poolProtocol)) {
    throw validation(`The pool protocol '${poolProtocol}' is invalid while the listener protocol is '${listener.protocol}'.`)
  }
}

export function registerPoolRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { db, config } = deps
  const settings = config.api_settings
  const pools = new PoolRepository(db, deps.clock)

  /** The pool of a path id, 404 when unknown. */
  async function find(id: string): Promise<Pool> {
    const pool = await pools.get(id)
    if (!pool || pool.provisioning_status === 'DELETED') throw new NotFound(LABEL, id)
    return pool
  }

  async function loadBalancerOf(pool: Pool): Promise<LoadBalancer> {
    const lb = pool.load_balancer_id === null ? undefined : await deps.loadBalancers.get(pool.load_balancer_id)
    if (!lb) throw new NotFound(LABEL, pool.id)
    return lb
  }

  async function rendered(id: string) {
    return renderPool(await find(id))
  }

  /** Cipher string checks shared by create and update (spec/api-v2.md §9.3 step 7.9). */
  function checkCiphers(ciphers: string | null | undefined): void {
    if (!ciphers) return
    if (!CIPHER_CHARACTERS.test(ciphers)) {
      throw validation('Invalid characters in cipher string. Only alphanumeric, -, +, !, :, @, =, _, and . are allowed.')
    }
    const prohibited = new Set(settings.tls_cipher_prohibit_list.split(':').filter((c) => c !== ''))
    const rejected = ciphers.split(':').filter((c) => prohibited.has(c))
    if (rejected.length > 0) throw validation(`The following ciphers have been prohibited by an administrator: ${rejected.join(', ')}`)
  }

  function checkTlsVersions(versions: readonly string[]): void {
    if (versions.length === 0) {
      throw validation('Empty TLS version list. Either specify at least one TLS version or remove this parameter to use the default.')
    }
    const known: readonly string[] = TLS_VERSIONS
    const invalid = versions.filter((v) => !known.includes(v))
    if (invalid.length > 0) throw validation(`Invalid TLS versions: ${invalid.join(', ')}`)
    const minimum = settings.minimum_tls_version
    if (minimum !== null) {
      const below = versions.filter((v) => known.indexOf(v) < known.indexOf(minimum))
      if (below.length > 0) throw validation(`Requested TLS versions are less than the minimum: ${below.join(', ')} < ${minimum}`)
    }
  }

  function checkAlpnProtocols(protocols: readonly string[]): void {
    if (protocols.length === 0) {
      throw validation('Empty ALPN protocol list. Either specify at least one ALPN protocol or remove this parameter to use the default.')
    }
  }

  for (const path of lbaasPaths('/pools')) {
    app.post(path, async (req, reply) => {
      const body = parseBody(req.body, CREATE)
      if (body.healthmonitor !== undefined && body.healthmonitor !== null) {
        throw validation('healthmonitor may only be specified when creating a fully populated load balancer.')
      }
      if (Array.isArray(body.members) && body.members.length > 0) {
        throw validation('members may only be specified when creating a fully populated load balancer.')
      }

      let lb: LoadBalancer | undefined
      let listener: ListenerRef | undefined
      if (body.loadbalancer_id) {
        // A DELETED load balancer is found here and refused by the status test below (409).
        lb = await deps.loadBalancers.get(body.loadbalancer_id)
        if (!lb) throw new NotFound('Load Balancer', body.loadbalancer_id)
      }
      if (body.listener_id) {
        // spec/api-v2.md §18: an unknown listener is a 404, not upstream's 500.
        listener = await pools.listener(body.listener_id)
        if (!listener) throw new NotFound('Listener', body.listener_id)
        if (!lb && listener.load_balancer_id !== null) lb = await deps.loadBalancers.get(listener.load_balancer_id)
        if (!lb) throw new NotFound('Load Balancer', listener.load_balancer_id ?? body.listener_id)
      }
      if (!lb) throw validation('Must provide at least one of: loadbalancer_id, listener_id')

      // spec/api-v2.md §18: checked whenever a listener is named, also next to a loadbalancer_id.
      if (listener) checkListenerProtocol(listener, body.protocol)
      checkSessionPersistence(body.protocol, body.session_persistence, 'create')
      const driver = deps.providers.load(lb.provider)
      // Quotas are not enforced under noauth (spec/api-v2.md §14.3), our only identity engine yet.

      const tlsEnabled = body.tls_enabled === true
      // spec/api-v2.md §10.1: a TLS pool gets the configured defaults for what it leaves out.
      const tlsCiphers = body.tls_ciphers ?? (tlsEnabled ? settings.default_pool_ciphers : null)
      const tlsVersions = body.tls_versions ?? (tlsEnabled ? settings.default_pool_tls_versions : null)
      const alpnProtocols = body.alpn_protocols ?? (tlsEnabled ? settings.default_pool_alpn_protocols : null)
      const loadBalancerId = lb.id
      const projectId = lb.project_id
      const id = newId()

      await db.transaction(async (trx) => {
        if (listener) {
          const current = await pools.listener(listener.id, trx)
          if (current?.default_pool_id) throw new Conflict('This listener already has a default pool')
        }
        await lockLoadBalancerForChild(deps, trx, loadBalancerId)
        if (listener) await pools.setListenersProvisioningStatus([listener.id], 'PENDING_UPDATE', {}, trx)

        // spec/api-v2.md §10.3 step 9. The references are stored and syntax-checked only: fetching
        // and parsing them from the secret store comes with the TLS issue.
        if (body.crl_container_ref && !body.ca_tls_container_ref) {
          throw validation('A CA certificate reference is required to specify a revocation list.')
        }
        checkCiphers(tlsCiphers)
        if (tlsEnabled) {
          checkTlsVersions(tlsVersions ?? [])
          checkAlpnProtocols(alpnProtocols ?? [])
        }

        await pools.create({
          id, project_id: projectId, load_balancer_id: loadBalancerId,
          name: body.name ?? null, description: body.description ?? null,
          // spec/api-v2.md §3.4: admin_state_up null is stored as false.
          enabled: body.admin_state_up === undefined ? true : body.admin_state_up === true,
          protocol: body.protocol, lb_algorithm: body.lb_algorithm,
          session_persistence: body.session_persistence ? storedPersistence(body.session_persistence) : null,
          tls_enabled: tlsEnabled,
          tls_certificate_id: body.tls_container_ref ?? null,
          ca_tls_certificate_id: body.ca_tls_container_ref ?? null,
          crl_container_id: body.crl_container_ref ?? null,
          tls_ciphers: tlsCiphers,
          tls_versions: tlsVersions === null ? null : tlsVersions.join(','),
          alpn_protocols: alpnProtocols === null ? null : alpnProtocols.join(','),
          tags: body.tags ?? [],
        }, trx)
        // Upstream's wording for a listener of another load balancer (spec/api-v2.md §18).
        if (listener && !(await pools.setDefaultPoolOf(listener.id, loadBalancerId, id, trx))) throw new NotFound(LABEL, id)
        driver.checkPoolAlgorithm(body.lb_algorithm)
        await enqueueChildJob(deps, trx, { kind: 'pool.create', target_type: 'pool', target_id: id, load_balancer_id: loadBalancerId })
      })
      deps.notifyWorker()
      return reply.code(201).send({ pool: await rendered(id) })
    })

    app.get(path, async (req) => {
      const spec = LIST_SPECS.pool
      const query = parseListQuery(rawQuery(req), spec, settings)
      // noauth: every caller is an administrator, so lists span every project (rbac.md §6).
      const page = await runList(db, spec, query, { baseUrl: listBaseUrl(req) })
      const found = await pools.getMany(page.rows.map((r) => r.id))
      return listResponse(spec, selectFields(found.map(renderPool), query.fields), page.links)
    })
  }

  for (const path of lbaasPaths('/pools/:id')) {
    app.get<{ Params: { id: string } }>(path, async (req) => ({
      pool: selectFields([await rendered(req.params.id)], requestedFields(req))[0],
    }))

    app.put<{ Params: { id: string } }>(path, async (req) => {
      const { id } = req.params
      const body = parseBody(req.body, UPDATE)
      // Upstream writes a null algorithm into a NOT NULL column (500); refused like a missing mandatory field (§18).
      if (body.lb_algorithm === null) throw mandatoryFieldMissing('lb_algorithm')
      const algorithm = body.lb_algorithm
      const pool = await find(id)
      const lb = await loadBalancerOf(pool)

      // spec/api-v2.md §10.4: null ciphers and versions mean the configured defaults.
      const tlsCiphers = body.tls_ciphers === null ? settings.default_pool_ciphers : body.tls_ciphers
      const tlsVersions = body.tls_versions === null ? settings.default_pool_tls_versions : body.tls_versions
      let persistence: RequestedPersistence | null | undefined = body.session_persistence
      if (persistence && !persistence.type && pool.session_persistence) persistence = { ...persistence, type: pool.session_persistence.type }

      checkSessionPersistence(pool.protocol, persistence, 'update')
      checkCaAndCrl(body, pool)
      // Certificate references are syntax-checked only until the TLS issue brings the secret store.
      checkCiphers(tlsCiphers)
      if (tlsVersions !== undefined) checkTlsVersions(tlsVersions)
      if (body.alpn_protocols !== undefined && body.alpn_protocols !== null) checkAlpnProtocols(body.alpn_protocols)
      const driver = deps.providers.load(lb.provider)

      const changes: PoolChanges = {
        ...(body.name !== undefined && { name: body.name }),
        ...(body.description !== undefined && { description: body.description }),
        ...(body.admin_state_up !== undefined && { enabled: body.admin_state_up === true }),
        ...(algorithm !== undefined && { lb_algorithm: algorithm }),
        ...(persistence !== undefined && { session_persistence: persistence === null ? null : storedPersistence(persistence) }),
        ...(body.tags !== undefined && body.tags !== null && { tags: body.tags }),
        ...(body.tls_container_ref !== undefined && { tls_certificate_id: body.tls_container_ref }),
        ...(body.ca_tls_container_ref !== undefined && { ca_tls_certificate_id: body.ca_tls_container_ref }),
        ...(body.crl_container_ref !== undefined && { crl_container_id: body.crl_container_ref }),
        ...(body.tls_enabled !== undefined && { tls_enabled: body.tls_enabled === true }),
        ...(tlsCiphers !== undefined && { tls_ciphers: tlsCiphers }),
        ...(tlsVersions !== undefined && { tls_versions: tlsVersions.join(',') }),
        ...(body.alpn_protocols !== undefined && { alpn_protocols: body.alpn_protocols === null ? null : body.alpn_protocols.join(',') }),
      }
      await db.transaction(async (trx) => {
        await lockLoadBalancerForChild(deps, trx, lb.id)
        await pools.setListenersProvisioningStatus(await pools.listenersUsing(id, trx), 'PENDING_UPDATE', {}, trx)
        await pools.setProvisioningStatus(id, 'PENDING_UPDATE', {}, trx)
        if (algorithm !== undefined) driver.checkPoolAlgorithm(algorithm)
        await pools.update(id, changes, trx)
        await enqueueChildJob(deps, trx, { kind: 'pool.update', target_type: 'pool', target_id: id, load_balancer_id: lb.id })
      })
      deps.notifyWorker()
      return { pool: await rendered(id) }
    })

    app.delete<{ Params: { id: string } }>(path, async (req, reply) => {
      const { id } = req.params
      const pool = await find(id)
      const policy = await pools.l7PolicyRedirectingTo(id)
      if (policy !== undefined) throw new Conflict(`Pool ${id} is in use by L7 policy ${policy}`)
      const lb = await loadBalancerOf(pool)
      deps.providers.load(lb.provider)
      await db.transaction(async (trx) => {
        await lockLoadBalancerForChild(deps, trx, lb.id)
        await pools.setListenersProvisioningStatus(await pools.listenersUsing(id, trx), 'PENDING_UPDATE', {}, trx)
        await pools.setProvisioningStatus(id, 'PENDING_DELETE', {}, trx)
        await enqueueChildJob(deps, trx, { kind: 'pool.delete', target_type: 'pool', target_id: id, load_balancer_id: lb.id })
      })
      deps.notifyWorker()
      return reply.code(204).send()
    })
  }
}

/** A checked persistence as stored: what the request leaves out is null (spec/api-v2.md §10.2, PUT replaces). */
function storedPersistence(sp: RequestedPersistence): SessionPersistence {
  if (!sp.type) throw validation('Invalid session_persistence provided.')
  return {
    type: sp.type,
    cookie_name: sp.cookie_name ?? null,
    persistence_timeout: sp.persistence_timeout ?? null,
    persistence_granularity: sp.persistence_granularity ?? null,
  }
}

/** CA/CRL coherence of a PUT against the stored pool (spec/api-v2.md §10.4). */
function checkCaAndCrl(body: { ca_tls_container_ref?: string | null; crl_container_ref?: string | null }, pool: Pool): void {
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
