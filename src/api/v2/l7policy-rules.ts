import { enabledOnCreate } from './admin-state.ts'
import { InvalidInput, NotFound } from '../../common/errors.ts'
import type { Executor } from '../../db/database.ts'
import { MAX_POLICY_POSITION, type L7PolicyChanges, type NewL7Policy } from '../../db/repositories/l7policy-repository.ts'
import type { PoolRepository } from '../../db/repositories/pool-repository.ts'
import { bool, int, list, oneOf, str, tags, url, uuid, type Parsed } from '../validation/field-types.ts'
import { anyObject } from './listener-rules.ts'
import { checkPoolProtocolForListener } from './listener-pool-rules.ts'

// What a valid L7 policy is (spec/api-v2.md §13.1–§13.4): its fields, the action/redirect
// normalisation and the redirect pool rules, shared by the policy resource and the full-graph
// load balancer create (§8.3).

export const L7POLICY_ACTIONS = ['REJECT', 'REDIRECT_TO_URL', 'REDIRECT_TO_POOL', 'REDIRECT_PREFIX'] as const
export type L7PolicyAction = (typeof L7POLICY_ACTIONS)[number]
const REDIRECT_HTTP_CODES = [301, 302, 303, 307, 308] as const
const DEFAULT_REDIRECT_HTTP_CODE = 302

// spec/api-v2.md §18: the columns hold 255 characters; longer is a 400, not a database error.
const redirectUrl = { type: url({ max: 255 }) }

/** What PUT accepts (spec/api-v2.md §13.1). */
export const L7POLICY_MUTABLE_FIELDS = {
  name: { type: str({ max: 255 }) },
  description: { type: str({ max: 255 }) },
  admin_state_up: { type: bool() },
  action: { type: oneOf(L7POLICY_ACTIONS) },
  redirect_pool_id: { type: uuid() },
  redirect_url: redirectUrl,
  redirect_prefix: redirectUrl,
  position: { type: int({ min: 1, max: MAX_POLICY_POSITION }) },
  tags: { type: tags() },
  redirect_http_code: { type: oneOf(REDIRECT_HTTP_CODES, int()) },
} as const

const FIELDS = L7POLICY_MUTABLE_FIELDS

/** The standalone create body, in upstream's declaration order; the full graph swaps the parent for its own keys. */
export const L7POLICY_CREATE_FIELDS = {
  name: FIELDS.name,
  description: FIELDS.description,
  admin_state_up: FIELDS.admin_state_up,
  // Ignored: a policy belongs to its load balancer's project (spec/api-v2.md §3.5).
  project_id: { type: str({ max: 36 }) },
  tenant_id: { type: str({ max: 36 }) },
  action: { ...FIELDS.action, mandatory: true },
  redirect_pool_id: FIELDS.redirect_pool_id,
  redirect_url: FIELDS.redirect_url,
  redirect_prefix: FIELDS.redirect_prefix,
  position: FIELDS.position,
  listener_id: { type: uuid(), mandatory: true },
  // Full graph only (spec/api-v2.md §18): a standalone create refuses a non-empty list.
  rules: { type: list(anyObject) },
  tags: FIELDS.tags,
  redirect_http_code: FIELDS.redirect_http_code,
} as const

export type L7PolicyUpdateBody = Parsed<typeof L7POLICY_MUTABLE_FIELDS>

/** The fields a new policy's row is made of (standalone or full graph). */
export type L7PolicyCreateBody = Pick<Parsed<typeof L7POLICY_CREATE_FIELDS>,
  'name' | 'description' | 'admin_state_up' | 'action' | 'redirect_pool_id' | 'redirect_url' | 'redirect_prefix' | 'position' | 'tags' |
  'redirect_http_code'>

/** The action and redirect fields §13.2 works on; a key is absent when the request did not name it. */
export interface Redirect {
  action?: L7PolicyAction | null
  redirect_pool_id?: string | null
  redirect_url?: string | null
  redirect_prefix?: string | null
  redirect_http_code?: number | null
}

const invalidArguments = (detail: string) => new InvalidInput(`Invalid L7 Policy arguments: ${detail}`)

/**
 * spec/api-v2.md §13.2 steps 1–6, step by step as upstream applies them to the request's keys
 * (a create passes every key, null when not sent): an action demands its target and drops the
 * others; a pool next to a URL or prefix is refused; then a pool, a URL or a prefix each decide
 * the action, in that order, a URL or prefix defaulting the HTTP code to 302. A create must end
 * with an action (it is mandatory in the body anyway).
 */
export function normaliseRedirect(request: Redirect): Redirect {
  const r: Redirect = { ...request }
  if ('action' in r) {
    switch (r.action) {
      case 'REJECT':
        r.redirect_url = null
        r.redirect_pool_id = null
        break
      case 'REDIRECT_TO_URL':
        if (!r.redirect_url) throw invalidArguments('redirect_url must not be None')
        r.redirect_pool_id = null
        break
      case 'REDIRECT_TO_POOL':
        if (!r.redirect_pool_id) throw invalidArguments('redirect_pool_id or redirect_pool must not be None')
        r.redirect_url = null
        break
      case 'REDIRECT_PREFIX':
        if (!r.redirect_prefix) throw invalidArguments('redirect_prefix must not be None')
        break
      default:
        // Only a PUT's `action: null` gets here: the type admits the four actions alone.
        throw new InvalidInput('Invalid L7 Policy action specified: None')
    }
  }
  if (r.redirect_pool_id && (r.redirect_url || r.redirect_prefix)) {
    throw invalidArguments('Cannot specify redirect_pool_id and redirect_url or redirect_prefix at the same time')
  }
  if (r.redirect_pool_id) {
    Object.assign(r, { action: 'REDIRECT_TO_POOL', redirect_url: null, redirect_prefix: null, redirect_http_code: null })
  }
  if (r.redirect_url) {
    Object.assign(r, { action: 'REDIRECT_TO_URL', redirect_pool_id: null, redirect_prefix: null })
    if (!r.redirect_http_code) r.redirect_http_code = DEFAULT_REDIRECT_HTTP_CODE
  }
  if (r.redirect_prefix) {
    Object.assign(r, { action: 'REDIRECT_PREFIX', redirect_pool_id: null, redirect_url: null })
    if (!r.redirect_http_code) r.redirect_http_code = DEFAULT_REDIRECT_HTTP_CODE
  }
  return r
}

/**
 * spec/api-v2.md §13.2 step 7: an update that results in an action clears what does not belong
 * to it (REJECT keeps no redirect at all; only the URL actions keep an HTTP code).
 */
export function clearedForAction(redirect: Redirect): Redirect {
  switch (redirect.action) {
    case 'REJECT':
      return { ...redirect, redirect_url: null, redirect_pool_id: null, redirect_prefix: null, redirect_http_code: null }
    case 'REDIRECT_TO_URL':
      return { ...redirect, redirect_pool_id: null, redirect_prefix: null }
    case 'REDIRECT_TO_POOL':
      return { ...redirect, redirect_url: null, redirect_prefix: null, redirect_http_code: null }
    case 'REDIRECT_PREFIX':
      return { ...redirect, redirect_url: null, redirect_pool_id: null }
    default:
      return redirect
  }
}

/** The request's redirect keys, only those present (what §13.2 works on). */
export function redirectOf(body: Redirect): Redirect {
  const keys = ['action', 'redirect_pool_id', 'redirect_url', 'redirect_prefix', 'redirect_http_code'] as const
  return Object.fromEntries(keys.filter((key) => body[key] !== undefined).map((key) => [key, body[key]])) as Redirect
}

/** Every redirect key of a create, null when not sent. */
export function createRedirect(body: L7PolicyCreateBody): Redirect {
  return {
    action: body.action, redirect_pool_id: body.redirect_pool_id ?? null, redirect_url: body.redirect_url ?? null,
    redirect_prefix: body.redirect_prefix ?? null, redirect_http_code: body.redirect_http_code ?? null,
  }
}

/**
 * A redirect pool named in a request (spec/api-v2.md §13.4): it must exist (404) and take the
 * listener's traffic (the §9.2 table, 400). Another project's pool is not found here already,
 * so its protocol tells a caller nothing (rbac.md §4: no probing of other projects).
 */
export async function checkRedirectPool(pools: PoolRepository, executor: Executor, poolId: string,
  listener: { protocol: string; project_id: string | null }): Promise<void> {
  const pool = await pools.get(poolId, executor)
  if (!pool || pool.provisioning_status === 'DELETED' || pool.project_id !== listener.project_id) throw new NotFound('Pool', poolId)
  checkPoolProtocolForListener(listener.protocol, pool.protocol)
}

/** Under the load balancer's lock: a redirect pool belongs to the listener's LB and project (else 404). */
export async function checkRedirectPoolOwner(pools: PoolRepository, executor: Executor, poolId: string,
  owner: { load_balancer_id: string; project_id: string | null }): Promise<void> {
  const pool = await pools.get(poolId, executor)
  if (!pool || pool.load_balancer_id !== owner.load_balancer_id || pool.project_id !== owner.project_id) throw new NotFound('Pool', poolId)
}

/** A new policy's row from a normalised create (defaults of spec/api-v2.md §13.1). */
export function newL7PolicyValues(body: L7PolicyCreateBody, redirect: Redirect, listener: { id: string; project_id: string | null }): NewL7Policy {
  const action = redirect.action
  if (!action) throw new InvalidInput('Invalid L7 Policy action specified: None')
  return {
    listener_id: listener.id,
    // spec/api-v2.md §3.5: a child belongs to its load balancer's project (the listener's).
    project_id: listener.project_id,
    name: body.name ?? null,
    description: body.description ?? null,
    enabled: enabledOnCreate(body.admin_state_up),
    action,
    redirect_pool_id: redirect.redirect_pool_id ?? null,
    redirect_url: redirect.redirect_url ?? null,
    redirect_prefix: redirect.redirect_prefix ?? null,
    redirect_http_code: redirect.redirect_http_code ?? null,
    // null or absent: the end of the list.
    ...(body.position != null && { position: body.position }),
    tags: body.tags ?? [],
  }
}

/**
 * The columns an update writes (spec/api-v2.md §13.2, §13.3): the request's fields, the
 * normalised redirect keys and, when an action results, the clearing of step 7. A null
 * position leaves the policy where it is.
 */
export function l7PolicyChanges(body: L7PolicyUpdateBody, redirect: Redirect): L7PolicyChanges {
  const settled = 'action' in redirect && redirect.action ? clearedForAction(redirect) : redirect
  return {
    ...(body.name !== undefined && { name: body.name }),
    ...(body.description !== undefined && { description: body.description }),
    ...(body.admin_state_up !== undefined && { enabled: body.admin_state_up === true }),
    ...(settled.action && { action: settled.action }),
    ...(settled.redirect_pool_id !== undefined && { redirect_pool_id: settled.redirect_pool_id }),
    ...(settled.redirect_url !== undefined && { redirect_url: settled.redirect_url }),
    ...(settled.redirect_prefix !== undefined && { redirect_prefix: settled.redirect_prefix }),
    ...(settled.redirect_http_code !== undefined && { redirect_http_code: settled.redirect_http_code }),
    ...(body.position != null && { position: body.position }),
    // spec/api-v2.md §3.4: tags null leaves the tags as they are.
    ...(body.tags != null && { tags: body.tags }),
  }
}
