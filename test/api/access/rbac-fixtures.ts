import assert from 'node:assert/strict'
import type { FastifyInstance } from 'fastify'
import { DEFAULT_SUBNET_ID } from '../../../src/config/defaults.ts'

type Json = Record<string, unknown>

export const LBAAS = '/v2/lbaas'

/** The headers an authenticating proxy sets for a caller (the `headers` identity engine). */
export function identity(project: string | null, roles: readonly string[], user = 'u'): Record<string, string> {
  return {
    'x-user-id': user,
    ...(project === null ? {} : { 'x-project-id': project }),
    ...(roles.length > 0 ? { 'x-roles': roles.join(',') } : {}),
  }
}

/** One load balancer with a listener, a pool (the listener's default), a member, a monitor, an L7 policy and its rule. */
export interface Shapes {
  lb: string
  listener: string
  pool: string
  member: string
  healthmonitor: string
  l7policy: string
  l7rule: string
}

/** GETs `url` as `headers` until the object is ACTIVE (the in-process worker runs asynchronously). */
export async function waitActive(app: FastifyInstance, url: string, headers: Record<string, string>): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const res = await app.inject({ method: 'GET', url, headers })
    const body = res.json() as Record<string, Json>
    if (Object.values(body)[0]?.provisioning_status === 'ACTIVE') return
    await new Promise((r) => setTimeout(r, 10))
  }
  throw new Error(`${url} never became ACTIVE`)
}

/** Creates the shapes through the API as `headers` (a member of their project), each step ACTIVE before the next. */
export async function createShapes(app: FastifyInstance, headers: Record<string, string>, name: string): Promise<Shapes> {
  const create = async (collection: string, key: string, body: Json, url = `${LBAAS}/${collection}`): Promise<string> => {
    const res = await app.inject({ method: 'POST', url, headers, payload: { [key]: { name, ...body } } })
    assert.equal(res.statusCode, 201, res.body)
    return String((res.json() as Record<string, Json>)[key]!.id)
  }
  const lb = await create('loadbalancers', 'loadbalancer', { vip_subnet_id: DEFAULT_SUBNET_ID })
  const lbUrl = `${LBAAS}/loadbalancers/${lb}`
  await waitActive(app, lbUrl, headers)
  const listener = await create('listeners', 'listener', { loadbalancer_id: lb, protocol: 'HTTP', protocol_port: 80 })
  await waitActive(app, lbUrl, headers)
  const pool = await create('pools', 'pool', { listener_id: listener, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' })
  await waitActive(app, lbUrl, headers)
  const member = await create('members', 'member', { address: '192.0.2.10', protocol_port: 8080 }, `${LBAAS}/pools/${pool}/members`)
  await waitActive(app, lbUrl, headers)
  const healthmonitor = await create('healthmonitors', 'healthmonitor', { pool_id: pool, type: 'HTTP', delay: 5, timeout: 3, max_retries: 2 })
  await waitActive(app, lbUrl, headers)
  const l7policy = await create('l7policies', 'l7policy', { listener_id: listener, action: 'REJECT' })
  await waitActive(app, lbUrl, headers)
  const rulesUrl = `${LBAAS}/l7policies/${l7policy}/rules`
  const res = await app.inject({ method: 'POST', url: rulesUrl, headers, payload: { rule: { type: 'PATH', compare_type: 'STARTS_WITH', value: '/api' } } })
  assert.equal(res.statusCode, 201, res.body)
  const l7rule = String((res.json() as { rule: Json }).rule.id)
  await waitActive(app, lbUrl, headers)
  for (const url of [`${LBAAS}/healthmonitors/${healthmonitor}`, `${LBAAS}/l7policies/${l7policy}`, `${rulesUrl}/${l7rule}`]) await waitActive(app, url, headers)
  return { lb, listener, pool, member, healthmonitor, l7policy, l7rule }
}
