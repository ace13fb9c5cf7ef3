import assert from 'node:assert/strict'
import { test } from 'node:test'
import { DEFAULT_SUBNET_ID } from '../../../src/config/defaults.ts'
import { startApi } from '../../helpers/api-harness.ts'
import { identity, LBAAS } from './rbac-fixtures.ts'

const HEADERS_ENGINE = ['octavia.identity.engine=headers']
const UNAUTHORIZED = /^The request you have made requires authentication/

test('headers engine: a request without identity headers is 401 in Keystone\'s shape, before routing, body parsing or policy', async (t) => {
  const { app, counts } = await startApi(t, { sets: HEADERS_ENGINE })
  const before = await counts()
  for (const [method, url, extra] of [
    ['GET', `${LBAAS}/loadbalancers`, {}],
    ['GET', '/v2', {}],
    ['GET', '/v2.0/subnets', {}],
    ['GET', `${LBAAS}/no-such-collection`, {}],
    ['POST', `${LBAAS}/loadbalancers`, { payload: '{not json', headers: { 'content-type': 'application/json' } }],
    ['GET', `${LBAAS}/loadbalancers`, { headers: { 'x-roles': '', 'x-project-id': ' ' } }],
    // The proxy vouches for nobody: its own verdict wins over any identity it passed on.
    ['GET', `${LBAAS}/loadbalancers`, { headers: { ...identity('p1', ['admin']), 'x-identity-status': 'Invalid' } }],
  ] as const) {
    const res = await app.inject({ method, url, ...extra })
    assert.equal(res.statusCode, 401, `${method} ${url}: ${res.body}`)
    const body = res.json() as { error: { code: number; title: string; message: string } }
    assert.equal(body.error.code, 401)
    assert.equal(body.error.title, 'Unauthorized')
    assert.match(body.error.message, UNAUTHORIZED)
    assert.ok(res.headers['x-openstack-request-id'])
  }
  assert.match((await app.inject({ method: 'GET', url: `${LBAAS}/loadbalancers` })).json().error.message, /X-User-Id, X-Project-Id, X-Roles/)
  assert.deepEqual(await counts(), before)
  // Version discovery and the health check need no identity (spec/api-v2.md §3.1).
  for (const url of ['/', '/healthcheck', '/load-balancer/', '/load-balancer/healthcheck']) {
    const res = await app.inject({ method: 'GET', url })
    assert.equal(res.statusCode, 200, `${url}: ${res.body}`)
  }
})

test('headers engine: X-Roles are compared case-insensitively and imply admin ⇒ member ⇒ reader; X-Tenant-Id names the project', async (t) => {
  const { app } = await startApi(t, { sets: HEADERS_ENGINE })
  const create = (headers: Record<string, string>, project?: string) => app.inject({
    method: 'POST', url: `${LBAAS}/loadbalancers`, headers,
    payload: { loadbalancer: { vip_subnet_id: DEFAULT_SUBNET_ID, ...(project ? { project_id: project } : {}) } },
  })
  // Member ⇒ reader: a member may read what it wrote.
  const made = await create({ 'x-user-id': 'u1', 'x-tenant-id': 'p1', 'x-roles': ' MEMBER ' })
  assert.equal(made.statusCode, 201, made.body)
  const lb = made.json().loadbalancer as { id: string; project_id: string }
  assert.equal(lb.project_id, 'p1')
  assert.equal((await app.inject({ method: 'GET', url: `${LBAAS}/loadbalancers/${lb.id}`, headers: identity('p1', ['member']) })).statusCode, 200)
  // Admin ⇒ member: writes in any project, also for another project named in the body.
  const forOther = await create(identity('ops', ['Admin']), 'p2')
  assert.equal(forOther.statusCode, 201, forOther.body)
  assert.equal(forOther.json().loadbalancer.project_id, 'p2')
  // Reader does not imply member.
  assert.equal((await create(identity('p1', ['reader']))).statusCode, 403)
  // Identity without a project (unscoped, or system scope): every policy refuses (rbac.md §2), even an admin.
  const unscoped = await app.inject({ method: 'GET', url: `${LBAAS}/loadbalancers`, headers: identity(null, ['admin']) })
  assert.equal(unscoped.statusCode, 403, unscoped.body)
  assert.equal((await create(identity(null, ['admin']), 'p1')).statusCode, 403)
})

test('headers engine with oslo_policy.enforce_scope false: an admin without a project is an admin', async (t) => {
  const { app } = await startApi(t, { sets: [...HEADERS_ENGINE, 'octavia.oslo_policy.enforce_scope=false'] })
  const res = await app.inject({ method: 'GET', url: `${LBAAS}/loadbalancers`, headers: identity(null, ['admin']) })
  assert.equal(res.statusCode, 200, res.body)
  // A member without a project owns nothing: its list is refused (rbac.md §4: no project to scope to).
  assert.equal((await app.inject({ method: 'GET', url: `${LBAAS}/loadbalancers`, headers: identity(null, ['member']) })).statusCode, 403)
})

test('noauth (the default engine) still makes every caller an administrator, with or without identity headers', async (t) => {
  const { app } = await startApi(t)
  for (const headers of [{}, identity('p1', []), identity('p1', ['reader'])]) {
    const res = await app.inject({ method: 'GET', url: `${LBAAS}/loadbalancers?project_id=someone-else`, headers })
    assert.equal(res.statusCode, 200, res.body)
  }
})
