import type { Clock } from '../../common/clock.ts'
import type { Logger } from '../../common/logger.ts'
import { jsonBody, keystoneRequest, KeystoneUnavailable, type Fetch } from './keystone-request.ts'

/** The pillar's service user (spec/pillars.md identity.user/password/tenant), all in the Default domain. */
export interface ServiceCredentials {
  user: string
  password: string
  /** The project (the pillar's `tenant`) the token is scoped to. */
  project: string
}

export interface ServiceTokenOptions {
  /** Keystone's root, e.g. http://127.0.0.1:5000 */
  url: string
  credentials: ServiceCredentials
  clock: Clock
  log: Logger
  fetch: Fetch
  timeoutMs: number
}

// keystoneauth's habit: a token this close to its end is replaced before it is used.
const RENEW_BEFORE_MS = 120_000
const DEFAULT_DOMAIN_ID = 'default'

interface Held {
  token: string
  expiresAt: number
  renewAt: number
}

/**
 * The token the API presents to Keystone to validate callers' tokens: password authentication of
 * the service user, project-scoped. Issued on first use, renewed shortly before it expires and
 * after Keystone refuses it (discard); concurrent callers share one issue request.
 */
export class KeystoneServiceToken {
  readonly #options: ServiceTokenOptions
  #held: Held | null = null
  #issuing: Promise<Held> | null = null

  constructor(options: ServiceTokenOptions) {
    this.#options = options
  }

  async get(): Promise<string> {
    const now = this.#options.clock.now().getTime()
    const held = this.#held
    if (held && now < held.renewAt) return held.token
    try {
      return (await this.#issueOnce()).token
    } catch (err) {
      // A renewal that fails while the old token is still valid keeps the old one in use.
      if (held && this.#held === held && now < held.expiresAt) return held.token
      throw err
    }
  }

  /** Forgets `token` because Keystone refused it; the next get() issues a new one. */
  discard(token: string): void {
    if (this.#held?.token === token) this.#held = null
  }

  #issueOnce(): Promise<Held> {
    this.#issuing ??= this.#issue().finally(() => {
      this.#issuing = null
    })
    return this.#issuing
  }

  async #issue(): Promise<Held> {
    const { url, credentials, clock, log, fetch, timeoutMs } = this.#options
    const body = {
      auth: {
        identity: {
          methods: ['password'],
          password: { user: { name: credentials.user, domain: { id: DEFAULT_DOMAIN_ID }, password: credentials.password } },
        },
        scope: { project: { name: credentials.project, domain: { id: DEFAULT_DOMAIN_ID } } },
      },
    }
    const res = await keystoneRequest(fetch, `${url}/v3/auth/tokens?nocatalog`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
    }, timeoutMs, log)
    const answer = await jsonBody(res)
    if (res.status !== 201) {
      // 401: wrong user, password or project in the pillar; a person must act.
      log.error({ status: res.status, user: credentials.user, project: credentials.project }, 'keystone refused the service credentials')
      throw new KeystoneUnavailable(`Keystone answered ${res.status} to the password authentication of user ${credentials.user} in project ${credentials.project}`)
    }
    const token = res.headers.get('x-subject-token')
    const expiresAt = Date.parse(String((answer as { token?: { expires_at?: unknown } } | null)?.token?.expires_at))
    if (!token || Number.isNaN(expiresAt)) {
      log.error({ status: res.status }, 'keystone issued a service token without X-Subject-Token or expires_at')
      throw new KeystoneUnavailable('Keystone issued a service token without X-Subject-Token or expires_at')
    }
    const issuedAt = clock.now().getTime()
    const held = { token, expiresAt, renewAt: expiresAt - Math.min(RENEW_BEFORE_MS, (expiresAt - issuedAt) / 2) }
    this.#held = held
    log.info({ expires_at: new Date(expiresAt).toISOString() }, 'keystone service token issued')
    return held
  }
}
