import type { FastifyRequest } from 'fastify'
import type { Clock } from '../../common/clock.ts'
import type { Logger } from '../../common/logger.ts'
import type { IdentityConfig } from '../../config/schema.ts'
import type { RequestContext } from '../request-context.ts'
import type { IdentityEngine } from './identity-engine.ts'
import { jsonBody, keystoneRequest, KeystoneUnavailable, type Fetch } from './keystone-request.ts'
import { KeystoneServiceToken, type ServiceCredentials } from './keystone-service-token.ts'
import { withImpliedRoles } from './role-implications.ts'
import { TokenValidationCache } from './token-validation-cache.ts'
import { Unauthorized } from './unauthorized.ts'

export interface KeystoneIdentityOptions {
  /** Keystone's root, e.g. http://127.0.0.1:5000 (the v3 API lives under /v3). */
  url: string
  credentials: ServiceCredentials
  clock: Clock
  log: Logger
  fetch?: Fetch
  /** Whether the caller (roles implication-expanded) is an administrator (rbac.md §1 context_is_admin); default: role admin. */
  isAdmin?: (caller: Omit<RequestContext, 'isAdmin'>) => boolean
  /** How long a valid token's context is reused, at most until the token expires. */
  cacheSeconds?: number
  /** How long a refused token is refused without asking Keystone again. */
  invalidCacheSeconds?: number
  maxCachedTokens?: number
  timeoutMs?: number
}

// A fernet token is ~200 characters, a PKI one a few KB; anything else is not worth a round trip.
const TOKEN_SHAPE = /^[\x21-\x7e]{1,8192}$/

/** The keystone engine for the pillar's identity section (spec/pillars.md). */
export function createKeystoneIdentity(identity: IdentityConfig, deps: Pick<KeystoneIdentityOptions, 'clock' | 'log' | 'fetch' | 'isAdmin'>): KeystoneIdentity {
  if (identity.host === null || identity.password === null) throw new Error('identity.host and identity.password are required for the keystone engine')
  return new KeystoneIdentity({
    ...deps,
    url: keystoneUrl(identity.host, identity.port),
    credentials: { user: identity.user, password: identity.password, project: identity.tenant },
  })
}

export function keystoneUrl(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`
}

/**
 * Establishes the caller from X-Auth-Token as keystonemiddleware does: Keystone validates the
 * token (GET /v3/auth/tokens, our service token in X-Auth-Token, the caller's in X-Subject-Token);
 * the token's project, user and roles become the request context. Answers are cached briefly;
 * concurrent requests with one token share one validation. No or a refused token: Unauthorized
 * (401); Keystone unreachable or misbehaving: ServiceUnavailable (503).
 */
export class KeystoneIdentity implements IdentityEngine {
  readonly name = 'keystone'
  readonly #url: string
  readonly #clock: Clock
  readonly #log: Logger
  readonly #fetch: Fetch
  readonly #timeoutMs: number
  readonly #isAdmin: (caller: Omit<RequestContext, 'isAdmin'>) => boolean
  readonly #cacheMs: number
  readonly #invalidCacheMs: number
  readonly #serviceToken: KeystoneServiceToken
  readonly #cache: TokenValidationCache<RequestContext>
  readonly #validating = new Map<string, Promise<RequestContext | null>>()

  constructor(options: KeystoneIdentityOptions) {
    this.#url = options.url
    this.#clock = options.clock
    this.#log = options.log.child({ component: 'keystone' })
    this.#fetch = options.fetch ?? globalThis.fetch
    this.#timeoutMs = options.timeoutMs ?? 10_000
    this.#isAdmin = options.isAdmin ?? ((caller) => caller.roles.some((r) => r.toLowerCase() === 'admin'))
    this.#cacheMs = (options.cacheSeconds ?? 60) * 1000
    this.#invalidCacheMs = (options.invalidCacheSeconds ?? 5) * 1000
    this.#cache = new TokenValidationCache(options.maxCachedTokens ?? 10_000)
    this.#serviceToken = new KeystoneServiceToken({
      url: this.#url, credentials: options.credentials, clock: this.#clock, log: this.#log, fetch: this.#fetch, timeoutMs: this.#timeoutMs,
    })
  }

  async authenticate(req: FastifyRequest): Promise<RequestContext> {
    const header = req.headers['x-auth-token']
    const token = (Array.isArray(header) ? header[0] : header)?.trim()
    if (!token || !TOKEN_SHAPE.test(token)) throw this.#unauthorized()

    const cached = this.#cache.get(token, this.#clock.now().getTime())
    let context: RequestContext | null
    if (cached) {
      context = cached.valid ? cached.value : null
    } else {
      let pending = this.#validating.get(token)
      if (!pending) {
        pending = this.#validate(token).finally(() => this.#validating.delete(token))
        this.#validating.set(token, pending)
      }
      context = await pending
    }
    if (!context) throw this.#unauthorized()
    return { ...context, roles: [...context.roles] }
  }

  // keystonemiddleware's 401: Keystone's body and a challenge naming where tokens come from.
  #unauthorized(): Unauthorized {
    return new Unauthorized(undefined, `Keystone uri="${this.#url}"`)
  }

  async close(): Promise<void> {
    this.#cache.clear()
  }

  async #validate(token: string): Promise<RequestContext | null> {
    for (let attempt = 1; ; attempt++) {
      const serviceToken = await this.#serviceToken.get()
      const res = await keystoneRequest(this.#fetch, `${this.#url}/v3/auth/tokens?nocatalog`, {
        headers: { 'x-auth-token': serviceToken, 'x-subject-token': token, accept: 'application/json' },
      }, this.#timeoutMs, this.#log)
      const body = await jsonBody(res)
      const now = this.#clock.now().getTime()
      switch (res.status) {
        case 200:
          return this.#remember(token, body, now)
        case 404: // unknown, expired or revoked
          this.#cache.set(token, null, now + this.#invalidCacheMs)
          return null
        case 401:
          // Our service token expired early or was revoked: get another and ask once more.
          this.#serviceToken.discard(serviceToken)
          if (attempt === 1) {
            this.#log.info('keystone refused the service token; renewing it')
            continue
          }
          this.#log.error('keystone refused a freshly issued service token')
          throw new KeystoneUnavailable('Keystone refused a freshly issued service token (401)')
        case 403:
          this.#log.error('keystone does not let the service user validate tokens (it needs the service or admin role in its project)')
          throw new KeystoneUnavailable('Keystone does not let the service user validate tokens (403): it needs the service or admin role in its project')
        default:
          this.#log.warn({ status: res.status }, 'keystone failed to validate a token')
          throw new KeystoneUnavailable(`Keystone answered ${res.status} to a token validation`)
      }
    }
  }

  #remember(token: string, body: unknown, now: number): RequestContext | null {
    const parsed = tokenContext(body)
    if (!parsed) {
      this.#log.error('keystone answered a token validation with a body that is not a token')
      throw new KeystoneUnavailable('Keystone answered a token validation with a body that is not a token')
    }
    // Our clock may run ahead of Keystone's: a token past its expiry is refused here too.
    if (parsed.expiresAt <= now) {
      this.#cache.set(token, null, now + this.#invalidCacheMs)
      return null
    }
    const caller = { projectId: parsed.projectId, userId: parsed.userId, roles: withImpliedRoles(parsed.roles) }
    const context: RequestContext = { ...caller, isAdmin: this.#isAdmin(caller) }
    this.#cache.set(token, context, Math.min(now + this.#cacheMs, parsed.expiresAt))
    return context
  }
}

interface TokenFacts {
  projectId: string | null
  userId: string
  roles: string[]
  expiresAt: number
}

/** The parts of a Keystone v3 token body the context needs; null when the body is not one. */
function tokenContext(body: unknown): TokenFacts | null {
  const token = (body as { token?: unknown } | null)?.token as Record<string, unknown> | undefined
  if (!token || typeof token !== 'object') return null
  const userId = (token.user as { id?: unknown } | undefined)?.id
  const projectId = (token.project as { id?: unknown } | undefined)?.id
  const expiresAt = typeof token.expires_at === 'string' ? Date.parse(token.expires_at) : NaN
  const roles = Array.isArray(token.roles) ? token.roles.map((r: { name?: unknown }) => r?.name) : []
  if (typeof userId !== 'string' || Number.isNaN(expiresAt) || !roles.every((r): r is string => typeof r === 'string')) return null
  return { userId, projectId: typeof projectId === 'string' ? projectId : null, roles, expiresAt }
}
