import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import type { FastifyInstance, RouteOptions } from 'fastify'
import type { PolicyAction, ScopedListResource } from '../../../src/api/access/access.ts'
import { POLICIES } from '../../../src/api/access/policy-table.ts'
import { createApi } from '../../../src/api/create-api.ts'
import { V2_ROUTES } from '../../../src/api/v2/routes.ts'
import { createLogger } from '../../../src/common/logger.ts'
import { createMetricsRegistry } from '../../../src/common/metrics.ts'
import { startApi, type ApiHarness } from '../../helpers/api-harness.ts'
import { createShapes, identity, LBAAS, type Shapes } from './rbac-fixtures.ts'

// rbac.md §3 as a matrix: every v2 endpoint × every persona, in both base-rule modes. The
// expected status comes from the policy table (src/api/access/policy-table.ts, itself checked
// against the spec's table by policy-table.test.ts) and a model of each persona written from
// rbac.md §2 (below), not from the engine. The objects belong to project OWNER; their load
// balancer is held PENDING_UPDATE, so every write that passes its policy ends in a known non-403
// (409, or 400 for creates and deletes refused later) and nothing changes between personas.

const OWNER = 'owner-project'
const UNKNOWN = '00000000-0000-4000-8000-000000000000'
type Mode = 'secure' | 'legacy'

interface Persona {
  name: string
  project: string
  roles: readonly string[]
}

const PERSONAS: readonly Persona[] = [
  { name: 'admin (of another project)', project: 'admin-project', roles: ['admin'] },
  { name: 'member', project: OWNER, roles: ['member'] },
  { name: 'reader', project: OWNER, roles: ['reader'] },
  { name: 'load-balancer_observer', project: OWNER, roles: ['load-balancer_observer'] },
  { name: 'load-balancer_member', project: OWNER, roles: ['load-balancer_member'] },
  { name: 'load-balancer_global_observer', project: 'observer-project', roles: ['load-balancer_global_observer'] },
  { name: 'load-balancer_quota_admin', project: OWNER, roles: ['load-balancer_quota_admin'] },
  { name: 'load-balancer_admin', project: 'admin-project', roles: ['load-balancer_admin'] },
  { name: 'service', project: 'service-project', roles: ['service'] },
  { name: 'no role', project: OWNER, roles: [] },
  { name: "another project's member", project: 'other-project', roles: ['member'] },
]

/** The base rules of rbac.md §2 a persona passes for a target project, written out per persona kind. */
function holds(rule: string, persona: Persona, mode: Mode, target: string | null): boolean {
  const implied = new Set(persona.roles)
  if (implied.has('admin')) implied.add('member')
  if (implied.has('member')) implied.add('reader')
  const has = (role: string) => implied.has(role)
  const legacy = mode === 'legacy'
  const own = target === persona.project
  const admin = has('admin') || (legacy && has('load-balancer_admin'))
  const globalObserver = admin || (legacy && has('load-balancer_global_observer'))
  const quotaAdmin = admin || (legacy && has('load-balancer_quota_admin'))
  const memberOwner = own && (has('member') || (legacy && has('load-balancer_member')))
  const observerOwner = own && (has('reader') || (legacy && has('load-balancer_observer')))
  switch (rule) {
    case 'rule:load-balancer:read': return observerOwner || globalObserver || memberOwner
    case 'rule:load-balancer:read-global': return globalObserver
    case 'rule:load-balancer:write': return memberOwner || admin
    case 'rule:load-balancer:admin': return admin
    case 'rule:load-balancer:read-quota': return observerOwner || globalObserver || memberOwner || quotaAdmin
    case 'rule:load-balancer:read-quota-global': return globalObserver || quotaAdmin
    case 'rule:load-balancer:write-quota': return quotaAdmin
    case 'rule:service': return has('service')
    default: throw new Error(`the matrix has no model of ${rule}`)
  }
}

/** A policy's default check (`rule:x or rule:y`, as the table holds them) for the persona. */
function allowed(action: PolicyAction, persona: Persona, mode: Mode, target: string | null): boolean {
  const check = POLICIES.get(action)
  assert.ok(check, `no policy ${action}`)
  return check.split(' or ').some((rule) => holds(rule, persona, mode, target))
}

type Target =
  | { kind: 'object' }
  | { kind: 'caller' }
  | { kind: 'project'; project: string }
  | { kind: 'list'; resource: ScopedListResource; query: 'none' | 'owner' }

interface Endpoint {
  /** `METHOD /v2/lbaas/<pattern>` as registered: the coverage check compares these with the app's routes. */
  route: string
  url: (s: Shapes) => string
  payload?: (s: Shapes) => Record<string, unknown>
  policies: readonly PolicyAction[]
  target: Target
  /** The status when every policy passes. */
  ok: number
  /** For lists: the id of OWNER's object the list must show exactly when the caller may see OWNER's project. */
  listed?: (s: Shapes) => string
}

const object: Target = { kind: 'object' }
const list = (resource: ScopedListResource, query: 'none' | 'owner' = 'none'): Target => ({ kind: 'list', resource, query })

function split(route: string): { method: string; path: string } {
  const [method = '', path = ''] = route.split(' ')
  return { method, path }
}

const ENDPOINTS: readonly Endpoint[] = [
  // Load balancers (rbac.md §3; creates fail on the unknown subnet after the policy, §5).
  { route: 'GET /v2/lbaas/loadbalancers', url: () => `${LBAAS}/loadbalancers`, policies: [], target: list('loadbalancer'), ok: 200, listed: (s) => s.lb },
  { route: 'GET /v2/lbaas/loadbalancers', url: () => `${LBAAS}/loadbalancers?project_id=${OWNER}`, policies: [], target: list('loadbalancer', 'owner'), ok: 200, listed: (s) => s.lb },
  { route: 'POST /v2/lbaas/loadbalancers', url: () => `${LBAAS}/loadbalancers`, payload: () => ({ loadbalancer: { vip_subnet_id: UNKNOWN } }), policies: ['loadbalancer:post'], target: { kind: 'caller' }, ok: 400 },
  { route: 'POST /v2/lbaas/loadbalancers', url: () => `${LBAAS}/loadbalancers`, payload: () => ({ loadbalancer: { vip_subnet_id: UNKNOWN, project_id: OWNER } }), policies: ['loadbalancer:post'], target: object, ok: 400 },
  { route: 'POST /v2/lbaas/loadbalancers', url: () => `${LBAAS}/loadbalancers`, payload: () => ({ loadbalancer: { vip_subnet_id: UNKNOWN, vip_sg_ids: [] } }), policies: ['loadbalancer:post', 'loadbalancer:post:vip_sg_ids'], target: { kind: 'caller' }, ok: 400 },
  { route: 'GET /v2/lbaas/loadbalancers/:id', url: (s) => `${LBAAS}/loadbalancers/${s.lb}`, policies: ['loadbalancer:get_one'], target: object, ok: 200 },
  { route: 'PUT /v2/lbaas/loadbalancers/:id', url: (s) => `${LBAAS}/loadbalancers/${s.lb}`, payload: () => ({ loadbalancer: { name: 'x' } }), policies: ['loadbalancer:put'], target: object, ok: 409 },
  { route: 'PUT /v2/lbaas/loadbalancers/:id', url: (s) => `${LBAAS}/loadbalancers/${s.lb}`, payload: () => ({ loadbalancer: { vip_sg_ids: [] } }), policies: ['loadbalancer:put', 'loadbalancer:put:vip_sg_ids'], target: object, ok: 409 },
  { route: 'DELETE /v2/lbaas/loadbalancers/:id', url: (s) => `${LBAAS}/loadbalancers/${s.lb}`, policies: ['loadbalancer:delete'], target: object, ok: 400 },
  { route: 'GET /v2/lbaas/loadbalancers/:id/stats', url: (s) => `${LBAAS}/loadbalancers/${s.lb}/stats`, policies: ['loadbalancer:get_stats'], target: object, ok: 200 },
  { route: 'GET /v2/lbaas/loadbalancers/:id/status', url: (s) => `${LBAAS}/loadbalancers/${s.lb}/status`, policies: ['loadbalancer:get_status'], target: object, ok: 200 },
  { route: 'GET /v2/lbaas/loadbalancers/:id/statuses', url: (s) => `${LBAAS}/loadbalancers/${s.lb}/statuses`, policies: ['loadbalancer:get_status'], target: object, ok: 200 },
  { route: 'PUT /v2/lbaas/loadbalancers/:id/failover', url: (s) => `${LBAAS}/loadbalancers/${s.lb}/failover`, policies: ['loadbalancer:put_failover'], target: object, ok: 409 },
  // Listeners.
  { route: 'GET /v2/lbaas/listeners', url: () => `${LBAAS}/listeners`, policies: [], target: list('listener'), ok: 200, listed: (s) => s.listener },
  { route: 'GET /v2/lbaas/listeners', url: () => `${LBAAS}/listeners?project_id=${OWNER}`, policies: [], target: list('listener', 'owner'), ok: 200, listed: (s) => s.listener },
  { route: 'POST /v2/lbaas/listeners', url: () => `${LBAAS}/listeners`, payload: (s) => ({ listener: { loadbalancer_id: s.lb, protocol: 'HTTP', protocol_port: 81 } }), policies: ['listener:post'], target: object, ok: 409 },
  { route: 'GET /v2/lbaas/listeners/:id', url: (s) => `${LBAAS}/listeners/${s.listener}`, policies: ['listener:get_one'], target: object, ok: 200 },
  { route: 'PUT /v2/lbaas/listeners/:id', url: (s) => `${LBAAS}/listeners/${s.listener}`, payload: () => ({ listener: { name: 'x' } }), policies: ['listener:put'], target: object, ok: 409 },
  { route: 'DELETE /v2/lbaas/listeners/:id', url: (s) => `${LBAAS}/listeners/${s.listener}`, policies: ['listener:delete'], target: object, ok: 409 },
  { route: 'GET /v2/lbaas/listeners/:id/stats', url: (s) => `${LBAAS}/listeners/${s.listener}/stats`, policies: ['listener:get_stats'], target: object, ok: 200 },
  // Pools.
  { route: 'GET /v2/lbaas/pools', url: () => `${LBAAS}/pools`, policies: [], target: list('pool'), ok: 200, listed: (s) => s.pool },
  { route: 'GET /v2/lbaas/pools', url: () => `${LBAAS}/pools?project_id=${OWNER}`, policies: [], target: list('pool', 'owner'), ok: 200, listed: (s) => s.pool },
  { route: 'POST /v2/lbaas/pools', url: () => `${LBAAS}/pools`, payload: (s) => ({ pool: { loadbalancer_id: s.lb, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } }), policies: ['pool:post'], target: object, ok: 409 },
  { route: 'GET /v2/lbaas/pools/:id', url: (s) => `${LBAAS}/pools/${s.pool}`, policies: ['pool:get_one'], target: object, ok: 200 },
  { route: 'PUT /v2/lbaas/pools/:id', url: (s) => `${LBAAS}/pools/${s.pool}`, payload: () => ({ pool: { name: 'x' } }), policies: ['pool:put'], target: object, ok: 409 },
  { route: 'DELETE /v2/lbaas/pools/:id', url: (s) => `${LBAAS}/pools/${s.pool}`, policies: ['pool:delete'], target: object, ok: 409 },
  // Members (nested: no global list; the service role may list them).
  { route: 'GET /v2/lbaas/pools/:pool_id/members', url: (s) => `${LBAAS}/pools/${s.pool}/members`, policies: ['member:get_all'], target: object, ok: 200 },
  { route: 'POST /v2/lbaas/pools/:pool_id/members', url: (s) => `${LBAAS}/pools/${s.pool}/members`, payload: () => ({ member: { address: '192.0.2.20', protocol_port: 80 } }), policies: ['member:post'], target: object, ok: 409 },
  { route: 'PUT /v2/lbaas/pools/:pool_id/members', url: (s) => `${LBAAS}/pools/${s.pool}/members`, payload: () => ({ members: [] }), policies: ['member:post', 'member:put', 'member:delete'], target: object, ok: 409 },
  { route: 'PUT /v2/lbaas/pools/:pool_id/members', url: (s) => `${LBAAS}/pools/${s.pool}/members?additive_only=true`, payload: () => ({ members: [] }), policies: ['member:post', 'member:put'], target: object, ok: 409 },
  { route: 'GET /v2/lbaas/pools/:pool_id/members/:id', url: (s) => `${LBAAS}/pools/${s.pool}/members/${s.member}`, policies: ['member:get_one'], target: object, ok: 200 },
  { route: 'PUT /v2/lbaas/pools/:pool_id/members/:id', url: (s) => `${LBAAS}/pools/${s.pool}/members/${s.member}`, payload: () => ({ member: { name: 'x' } }), policies: ['member:put'], target: object, ok: 409 },
  { route: 'DELETE /v2/lbaas/pools/:pool_id/members/:id', url: (s) => `${LBAAS}/pools/${s.pool}/members/${s.member}`, policies: ['member:delete'], target: object, ok: 409 },
  // Health monitors.
  { route: 'GET /v2/lbaas/healthmonitors', url: () => `${LBAAS}/healthmonitors`, policies: [], target: list('healthmonitor'), ok: 200, listed: (s) => s.healthmonitor },
  { route: 'GET /v2/lbaas/healthmonitors', url: () => `${LBAAS}/healthmonitors?project_id=${OWNER}`, policies: [], target: list('healthmonitor', 'owner'), ok: 200, listed: (s) => s.healthmonitor },
  { route: 'POST /v2/lbaas/healthmonitors', url: () => `${LBAAS}/healthmonitors`, payload: (s) => ({ healthmonitor: { pool_id: s.pool, type: 'HTTP', delay: 5, timeout: 3, max_retries: 2 } }), policies: ['healthmonitor:post'], target: object, ok: 409 },
  { route: 'GET /v2/lbaas/healthmonitors/:id', url: (s) => `${LBAAS}/healthmonitors/${s.healthmonitor}`, policies: ['healthmonitor:get_one'], target: object, ok: 200 },
  { route: 'PUT /v2/lbaas/healthmonitors/:id', url: (s) => `${LBAAS}/healthmonitors/${s.healthmonitor}`, payload: () => ({ healthmonitor: { name: 'x' } }), policies: ['healthmonitor:put'], target: object, ok: 409 },
  { route: 'DELETE /v2/lbaas/healthmonitors/:id', url: (s) => `${LBAAS}/healthmonitors/${s.healthmonitor}`, policies: ['healthmonitor:delete'], target: object, ok: 409 },
  // L7 policies and rules.
  { route: 'GET /v2/lbaas/l7policies', url: () => `${LBAAS}/l7policies`, policies: [], target: list('l7policy'), ok: 200, listed: (s) => s.l7policy },
  { route: 'GET /v2/lbaas/l7policies', url: () => `${LBAAS}/l7policies?project_id=${OWNER}`, policies: [], target: list('l7policy', 'owner'), ok: 200, listed: (s) => s.l7policy },
  { route: 'POST /v2/lbaas/l7policies', url: () => `${LBAAS}/l7policies`, payload: (s) => ({ l7policy: { listener_id: s.listener, action: 'REJECT' } }), policies: ['l7policy:post'], target: object, ok: 409 },
  { route: 'GET /v2/lbaas/l7policies/:id', url: (s) => `${LBAAS}/l7policies/${s.l7policy}`, policies: ['l7policy:get_one'], target: object, ok: 200 },
  { route: 'PUT /v2/lbaas/l7policies/:id', url: (s) => `${LBAAS}/l7policies/${s.l7policy}`, payload: () => ({ l7policy: { name: 'x' } }), policies: ['l7policy:put'], target: object, ok: 409 },
  { route: 'DELETE /v2/lbaas/l7policies/:id', url: (s) => `${LBAAS}/l7policies/${s.l7policy}`, policies: ['l7policy:delete'], target: object, ok: 409 },
  { route: 'GET /v2/lbaas/l7policies/:l7policy_id/rules', url: (s) => `${LBAAS}/l7policies/${s.l7policy}/rules`, policies: ['l7rule:get_all'], target: object, ok: 200 },
  { route: 'POST /v2/lbaas/l7policies/:l7policy_id/rules', url: (s) => `${LBAAS}/l7policies/${s.l7policy}/rules`, payload: () => ({ rule: { type: 'PATH', compare_type: 'STARTS_WITH', value: '/x' } }), policies: ['l7rule:post'], target: object, ok: 409 },
  { route: 'GET /v2/lbaas/l7policies/:l7policy_id/rules/:id', url: (s) => `${LBAAS}/l7policies/${s.l7policy}/rules/${s.l7rule}`, policies: ['l7rule:get_one'], target: object, ok: 200 },
  { route: 'PUT /v2/lbaas/l7policies/:l7policy_id/rules/:id', url: (s) => `${LBAAS}/l7policies/${s.l7policy}/rules/${s.l7rule}`, payload: () => ({ rule: { value: '/y' } }), policies: ['l7rule:put'], target: object, ok: 409 },
  { route: 'DELETE /v2/lbaas/l7policies/:l7policy_id/rules/:id', url: (s) => `${LBAAS}/l7policies/${s.l7policy}/rules/${s.l7rule}`, policies: ['l7rule:delete'], target: object, ok: 409 },
  // Quotas (the URL names the project; a reset of a project without a record is 404 after the policy).
  { route: 'GET /v2/lbaas/quotas', url: () => `${LBAAS}/quotas`, policies: [], target: list('quota'), ok: 200 },
  { route: 'GET /v2/lbaas/quotas', url: () => `${LBAAS}/quotas?project_id=${OWNER}`, policies: [], target: list('quota', 'owner'), ok: 200 },
  { route: 'GET /v2/lbaas/quotas/:project_id', url: () => `${LBAAS}/quotas/${OWNER}`, policies: ['quota:get_one'], target: object, ok: 200 },
  { route: 'GET /v2/lbaas/quotas/:project_id/default', url: () => `${LBAAS}/quotas/${OWNER}/default`, policies: ['quota:get_defaults'], target: object, ok: 200 },
  { route: 'PUT /v2/lbaas/quotas/:project_id', url: () => `${LBAAS}/quotas/${OWNER}`, payload: () => ({ quota: { load_balancer: 100 } }), policies: ['quota:put'], target: object, ok: 202 },
  { route: 'DELETE /v2/lbaas/quotas/:project_id', url: () => `${LBAAS}/quotas/unrecorded-project`, policies: ['quota:delete'], target: { kind: 'project', project: 'unrecorded-project' }, ok: 404 },
  // Amphorae (admin only; stats of an amphora that never reported are 404 after the policy).
  { route: 'GET /v2/octavia/amphorae', url: () => '/v2/octavia/amphorae', policies: ['amphora:get_all'], target: { kind: 'caller' }, ok: 200 },
  { route: 'GET /v2/octavia/amphorae/:id', url: () => `/v2/octavia/amphorae/${AMPHORA}`, policies: ['amphora:get_one'], target: { kind: 'caller' }, ok: 200 },
  { route: 'DELETE /v2/octavia/amphorae/:id', url: () => `/v2/octavia/amphorae/${AMPHORA}`, policies: ['amphora:delete'], target: { kind: 'caller' }, ok: 409 },
  { route: 'GET /v2/octavia/amphorae/:id/stats', url: () => `/v2/octavia/amphorae/${AMPHORA}/stats`, policies: ['amphora:get_stats'], target: { kind: 'caller' }, ok: 404 },
  { route: 'PUT /v2/octavia/amphorae/:id/failover', url: () => `/v2/octavia/amphorae/${AMPHORA}/failover`, policies: ['amphora:put_failover'], target: object, ok: 409 },
  { route: 'PUT /v2/octavia/amphorae/:id/config', url: () => `/v2/octavia/amphorae/${AMPHORA}/config`, policies: ['amphora:put_config'], target: object, ok: 202 },
  // The operator's catalogue (policy before lookups, rbac.md §5): unknown keys and bad profile data fail after the policy.
  ...catalogue('flavors', 'flavor', { name: 'f', flavor_profile_id: UNKNOWN }, { name: 'x' }),
  ...catalogue('availabilityzones', 'availability_zone', { name: 'z', availability_zone_profile_id: UNKNOWN }, { description: 'x' }),
  ...catalogue('flavorprofiles', 'flavorprofile', { name: 'p', provider_name: 'amphora', flavor_data: 'not json' }, { name: 'x' }),
  ...catalogue('availabilityzoneprofiles', 'availability_zone_profile', { name: 'p', provider_name: 'amphora', availability_zone_data: 'not json' }, { name: 'x' }),
  { route: 'GET /v2/lbaas/providers', url: () => `${LBAAS}/providers`, policies: ['provider:get_all'], target: { kind: 'caller' }, ok: 200 },
  { route: 'GET /v2/lbaas/providers/:provider/flavor_capabilities', url: () => `${LBAAS}/providers/amphora/flavor_capabilities`, policies: ['provider-flavor:get_all'], target: { kind: 'caller' }, ok: 200 },
  { route: 'GET /v2/lbaas/providers/:provider/availability_zone_capabilities', url: () => `${LBAAS}/providers/amphora/availability_zone_capabilities`, policies: ['provider-availability-zone:get_all'], target: { kind: 'caller' }, ok: 200 },
]

/** The five calls of a catalogue collection, each against the caller's project as rbac.md §3 says. */
function catalogue(collection: string, envelope: string, create: Record<string, unknown>, update: Record<string, unknown>): Endpoint[] {
  const policy = { flavors: 'flavor', availabilityzones: 'availability-zone', flavorprofiles: 'flavor-profile', availabilityzoneprofiles: 'availability-zone-profile' }[collection]
  const caller: Target = { kind: 'caller' }
  const base = `${LBAAS}/${collection}`
  return [
    { route: `GET /v2/lbaas/${collection}`, url: () => base, policies: [`${policy}:get_all`], target: caller, ok: 200 },
    { route: `POST /v2/lbaas/${collection}`, url: () => base, payload: () => ({ [envelope]: create }), policies: [`${policy}:post`], target: caller, ok: 400 },
    { route: `GET /v2/lbaas/${collection}/:key`, url: () => `${base}/unknown-key`, policies: [`${policy}:get_one`], target: caller, ok: 404 },
    { route: `PUT /v2/lbaas/${collection}/:key`, url: () => `${base}/${UNKNOWN}`, payload: () => ({ [envelope]: update }), policies: [`${policy}:put`], target: caller, ok: 404 },
    { route: `DELETE /v2/lbaas/${collection}/:key`, url: () => `${base}/${UNKNOWN}`, policies: [`${policy}:delete`], target: caller, ok: 404 },
  ]
}

const AMPHORA = '11111111-1111-4111-8111-111111111111'

/** What the persona should get from the endpoint: the status, and for a list whether OWNER's object shows. */
function expected(endpoint: Endpoint, persona: Persona, mode: Mode): { status: number; seesOwner?: boolean } {
  const { target } = endpoint
  const pass = (policies: readonly PolicyAction[], project: string | null) => policies.every((p) => allowed(p, persona, mode, project))
  switch (target.kind) {
    case 'object': return { status: pass(endpoint.policies, OWNER) ? endpoint.ok : 403 }
    case 'caller': return { status: pass(endpoint.policies, persona.project) ? endpoint.ok : 403 }
    case 'project': return { status: pass(endpoint.policies, target.project) ? endpoint.ok : 403 }
    case 'list': {
      // rbac.md §4.
      const asked = target.query === 'owner' ? OWNER : null
      if (allowed(`${target.resource}:get_all-global`, persona, mode, asked)) return { status: endpoint.ok, seesOwner: true }
      const project = asked ?? persona.project
      if (!allowed(`${target.resource}:get_all`, persona, mode, project)) return { status: 403 }
      return { status: endpoint.ok, seesOwner: project === OWNER }
    }
  }
}

async function setUp(t: TestContext, mode: Mode): Promise<{ api: ApiHarness; shapes: Shapes }> {
  const api = await startApi(t, { sets: ['octavia.identity.engine=headers', `octavia.oslo_policy.enforce_new_defaults=${mode === 'secure'}`] })
  const shapes = await createShapes(api.app, identity(OWNER, ['member']), 'matrix')
  await api.deps.db.kysely.insertInto('amphora').values({ id: AMPHORA, load_balancer_id: shapes.lb, status: 'ALLOCATED', created_at: new Date() }).execute()
  // Held busy: writes that pass their policy stop at the status test (409) and change nothing.
  await api.deps.loadBalancers.setProvisioningStatus(shapes.lb, 'PENDING_UPDATE')
  return { api, shapes }
}

async function runMatrix(t: TestContext, mode: Mode): Promise<void> {
  const { api, shapes } = await setUp(t, mode)
  const wrong: string[] = []
  for (const endpoint of ENDPOINTS) {
    const { method } = split(endpoint.route)
    const url = endpoint.url(shapes)
    for (const persona of PERSONAS) {
      const want = expected(endpoint, persona, mode)
      const res = await api.app.inject({
        method: method as 'GET', url, headers: identity(persona.project, persona.roles, persona.name),
        ...(endpoint.payload ? { payload: endpoint.payload(shapes) } : {}),
      })
      const at = `${mode}: ${persona.name}: ${method} ${url}`
      if (res.statusCode !== want.status) {
        wrong.push(`${at}: ${res.statusCode} (want ${want.status}) ${res.body.slice(0, 120)}`)
        continue
      }
      if (want.status === 403) {
        assert.deepEqual(res.json(), { faultcode: 'Client', faultstring: 'Policy does not allow this request to be performed.', debuginfo: null }, at)
      }
      if (want.seesOwner !== undefined && endpoint.listed) {
        const items = Object.values(res.json() as Record<string, unknown>)[0] as Array<{ id: string }>
        const sees = items.some((item) => item.id === endpoint.listed!(shapes))
        if (sees !== want.seesOwner) wrong.push(`${at}: ${sees ? 'shows' : 'hides'} the owner's object`)
      }
    }
  }
  assert.deepEqual(wrong, [])
  // Nothing any persona did changed the owner's objects.
  const lb = await api.app.inject({ method: 'GET', url: `${LBAAS}/loadbalancers/${shapes.lb}`, headers: identity(OWNER, ['member']) })
  assert.equal((lb.json() as { loadbalancer: { name: string; provisioning_status: string } }).loadbalancer.name, 'matrix')
  assert.deepEqual(await api.counts().then((c) => [c.load_balancer, c.listener, c.pool, c.member, c.health_monitor]), [1, 1, 1, 1, 1])
  const l7 = await api.deps.db.kysely.selectFrom('l7rule').select(['value', 'provisioning_status']).execute()
  assert.deepEqual(l7, [{ value: '/api', provisioning_status: 'ACTIVE' }])
}

test('permission matrix with the secure defaults (rbac.md §2.1, §3.1)', async (t) => {
  await runMatrix(t, 'secure')
})

test('permission matrix with the legacy defaults (oslo_policy.enforce_new_defaults: false, rbac.md §2.2)', async (t) => {
  await runMatrix(t, 'legacy')
})

test('the matrix covers every v2 route the API registers', async (t) => {
  const { deps } = await startApi(t)
  const routes = new Set<string>()
  let collecting = true
  const app: FastifyInstance = createApi({
    log: createLogger({ level: 'silent' }), registry: createMetricsRegistry(),
    healthcheck: { enabled: false, refreshIntervalSeconds: 1, probe: async () => {} },
    routes: [
      (a) => a.addHook('onRoute', (route: RouteOptions) => {
        for (const method of [route.method].flat()) if (collecting && /^\/v2\/(lbaas|octavia)\//.test(route.url) && method !== 'HEAD') routes.add(`${method} ${route.url}`)
      }),
      ...V2_ROUTES.map((register) => (a: FastifyInstance) => register(a, deps)),
      () => void (collecting = false),
    ],
  })
  t.after(() => app.close())
  await app.ready()
  const covered = new Set(ENDPOINTS.map((e) => e.route))
  const missing = [...routes].filter((route) => !covered.has(route)).sort()
  assert.deepEqual(missing, [], 'routes without a row in ENDPOINTS of test/api/access/permission-matrix.test.ts')
  assert.ok(routes.size >= 25, `only ${routes.size} routes seen`)
})

test('the personas span rbac.md §3.1: admin everywhere, member read/write own, reader read own, service members only, no role nothing', () => {
  const byName = new Map(PERSONAS.map((p) => [p.name, p]))
  const can = (name: string, action: PolicyAction, project: string) => allowed(action, byName.get(name)!, 'secure', project)
  assert.equal(can('admin (of another project)', 'loadbalancer:put', OWNER), true)
  assert.equal(can('member', 'loadbalancer:put', OWNER), true)
  assert.equal(can('reader', 'loadbalancer:get_one', OWNER), true)
  assert.equal(can('reader', 'loadbalancer:put', OWNER), false)
  assert.equal(can('service', 'member:get_all', OWNER), true)
  assert.equal(can('service', 'loadbalancer:get_one', OWNER), false)
  assert.equal(can('no role', 'loadbalancer:get_one', OWNER), false)
  assert.equal(can("another project's member", 'loadbalancer:get_one', OWNER), false)
  assert.equal(can('member', 'loadbalancer:put_failover', OWNER), false)
  assert.equal(can('member', 'amphora:get_all', OWNER), false)
  assert.equal(can('reader', 'flavor:get_all', 'owner-project'), true)
})
