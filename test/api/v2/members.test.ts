import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import type { FastifyInstance } from 'fastify'
import { createApiDeps, type ApiDeps } from '../../../src/api/v2/api-deps.ts'
import { systemClock } from '../../../src/common/clock.ts'
import { DEFAULT_SUBNET_ID } from '../../../src/config/defaults.ts'
import { loadConfig } from '../../../src/config/load-config.ts'
import type { Executor } from '../../../src/db/database.ts'
import { startApi, v2Api, type ApiHarness } from '../../helpers/api-harness.ts'
import { seedHealthMonitor, seedListener, seedMember, seedPool } from '../../helpers/db-seed.ts'
import { withTestDatabase } from '../../helpers/test-database.ts'

const LBS = '/v2/lbaas/loadbalancers'

type Json = Record<string, unknown>
type Inject = FastifyInstance['inject']
type StatusTable = 'load_balancer' | 'pool' | 'listener' | 'member'

interface Setup {
  api: ApiHarness
  db: Executor
  lbId: string
  projectId: string
  poolId: string
  /** `/v2/lbaas/pools/<pool>/members` */
  url: string
}

/** An ACTIVE load balancer (through the API) with an ACTIVE pool of `protocol` (seeded: pools are another module's). */
async function setup(t: TestContext, options: { protocol?: string; sets?: string[] } = {}): Promise<Setup> {
  const api = await startApi(t, options.sets ? { sets: options.sets } : {})
  const res = await api.app.inject({ method: 'POST', url: LBS, payload: { loadbalancer: { vip_subnet_id: DEFAULT_SUBNET_ID } } })
  const lb = (res.json() as { loadbalancer: { id: string; project_id: string } }).loadbalancer
  await api.until(`${LBS}/${lb.id}`, (b) => (b.loadbalancer as Json).provisioning_status === 'ACTIVE')
  const db = api.deps.db.kysely
  const poolId = await seedPool(db, lb.id, { project_id: lb.project_id, protocol: options.protocol ?? 'HTTP' })
  return { api, db, lbId: lb.id, projectId: lb.project_id, poolId, url: `/v2/lbaas/pools/${poolId}/members` }
}

/** Creates a member and waits until it and its load balancer are ACTIVE again. */
async function createActive(s: Setup, member: Json): Promise<Json> {
  const res = await s.api.app.inject({ method: 'POST', url: s.url, payload: { member } })
  assert.equal(res.statusCode, 201, res.body)
  const id = String((res.json() as { member: Json }).member.id)
  await settle(s)
  return (await s.api.until(`${s.url}/${id}`, (b) => (b.member as Json).provisioning_status === 'ACTIVE')).member as Json
}

/** Waits until the worker has handed the load balancer back. */
async function settle(s: Setup): Promise<void> {
  await s.api.until(`${LBS}/${s.lbId}`, (b) => (b.loadbalancer as Json).provisioning_status === 'ACTIVE')
}

function fault(res: { statusCode: number; json(): unknown }): { status: number; faultstring: string } {
  return { status: res.statusCode, faultstring: (res.json() as { faultstring: string }).faultstring }
}

async function provisioning(db: Executor, table: StatusTable, id: string): Promise<string | undefined> {
  const row = await db.selectFrom(table as 'pool').select('provisioning_status').where('id', '=', id).executeTakeFirst()
  return row?.provisioning_status
}

async function memberRows(db: Executor, poolId: string) {
  return db.selectFrom('member').select(['ip_address', 'protocol_port', 'weight', 'backup', 'enabled', 'name', 'provisioning_status', 'monitor_port'])
    .where('pool_id', '=', poolId).orderBy('ip_address').execute()
}

/**
 * The API over a real database without its worker: queued jobs stay queued, so the statuses a
 * call wrote can be read without racing the worker that would turn them ACTIVE.
 */
async function startApiWithoutWorker(t: TestContext): Promise<{ inject: Inject; deps: ApiDeps; db: Executor }> {
  const db = await withTestDatabase(t, 'sqlite')
  const { config } = loadConfig({ files: [], env: {}, sets: [] })
  const deps = createApiDeps(config, db, systemClock, () => {})
  const app = v2Api(t, deps, db)
  return { inject: app.inject.bind(app), deps, db: db.kysely }
}

test('create: 201 with every field and its defaults; LB, pool and the listeners using it PENDING_UPDATE; the worker ends all ACTIVE', async (t) => {
  const { inject, deps, db } = await startApiWithoutWorker(t)
  const created = await inject({ method: 'POST', url: LBS, payload: { loadbalancer: { vip_subnet_id: DEFAULT_SUBNET_ID } }, headers: { 'x-project-id': 'owner' } })
  const lbId = String((created.json() as { loadbalancer: Json }).loadbalancer.id)
  await deps.loadBalancers.setProvisioningStatus(lbId, 'ACTIVE')
  const poolId = await seedPool(db, lbId, { project_id: 'owner' })
  const other = await seedPool(db, lbId, { project_id: 'owner' })
  const user = await seedListener(db, lbId, { default_pool_id: poolId })
  const bystander = await seedListener(db, lbId, { protocol_port: 81, default_pool_id: other })

  const res = await inject({
    method: 'POST', url: `/v2/lbaas/pools/${poolId}/members`, headers: { 'x-project-id': 'someone-else' },
    payload: { member: { address: '192.0.2.10', protocol_port: '80', tags: ['b', 'a', 'b'], project_id: 'ignored' } },
  })
  assert.equal(res.statusCode, 201, res.body)
  const member = (res.json() as { member: Json }).member
  assert.deepEqual(Object.keys(member), [
    'id', 'name', 'operating_status', 'provisioning_status', 'admin_state_up', 'address', 'protocol_port', 'weight', 'backup',
    'subnet_id', 'project_id', 'tenant_id', 'created_at', 'updated_at', 'monitor_address', 'monitor_port', 'tags', 'vnic_type',
  ])
  assert.deepEqual({ ...member, id: undefined, created_at: undefined }, {
    id: undefined, name: '', operating_status: 'NO_MONITOR', provisioning_status: 'PENDING_CREATE', admin_state_up: true,
    address: '192.0.2.10', protocol_port: 80, weight: 1, backup: false, subnet_id: null, project_id: 'owner', tenant_id: 'owner',
    created_at: undefined, updated_at: null, monitor_address: null, monitor_port: null, tags: ['a', 'b'], vnic_type: 'normal',
  })
  assert.match(String(member.created_at), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/)
  assert.equal(await provisioning(db, 'load_balancer', lbId), 'PENDING_UPDATE')
  assert.equal(await provisioning(db, 'pool', poolId), 'PENDING_UPDATE')
  assert.equal(await provisioning(db, 'listener', user), 'PENDING_UPDATE')
  assert.equal(await provisioning(db, 'listener', bystander), 'ACTIVE')
  assert.equal(await provisioning(db, 'pool', other), 'ACTIVE')
  const jobs = await db.selectFrom('jobs').select(['kind', 'target_type', 'target_id', 'load_balancer_id', 'payload']).where('kind', '=', 'member.create').execute()
  assert.deepEqual(jobs, [{ kind: 'member.create', target_type: 'member', target_id: member.id, load_balancer_id: lbId, payload: JSON.stringify({ pool_id: poolId }) }])
})

test('create then the worker: member, pool, listener and LB ACTIVE; show, fields and list agree', async (t) => {
  const s = await setup(t)
  const listenerId = await seedListener(s.db, s.lbId, { default_pool_id: s.poolId })
  const member = await createActive(s, {
    name: 'web-1', address: '2001:DB8::10', protocol_port: 8080, weight: 0, backup: true, admin_state_up: false,
    subnet_id: DEFAULT_SUBNET_ID.toUpperCase(), monitor_address: '192.0.2.99', monitor_port: 9000,
  })
  assert.deepEqual([member.name, member.address, member.weight, member.backup, member.admin_state_up, member.subnet_id, member.monitor_address, member.monitor_port],
    ['web-1', '2001:DB8::10', 0, true, false, DEFAULT_SUBNET_ID, '192.0.2.99', 9000])
  assert.equal(member.operating_status, 'NO_MONITOR')
  assert.notEqual(member.updated_at, null)
  assert.equal(await provisioning(s.db, 'pool', s.poolId), 'ACTIVE')
  assert.equal(await provisioning(s.db, 'listener', listenerId), 'ACTIVE')

  const shown = await s.api.app.inject({ method: 'GET', url: `${s.url}/${String(member.id)}?fields=id&fields=address&fields=nope` })
  assert.deepEqual(shown.json(), { member: { id: member.id, address: '2001:DB8::10' } })
  const listed = await s.api.app.inject({ method: 'GET', url: `/v2.0/pools/${s.poolId}/members` })
  assert.deepEqual(listed.json(), { members: [member], members_links: [] })
})

test('a pool with a health monitor gives new members OFFLINE, without one NO_MONITOR', async (t) => {
  const s = await setup(t)
  await seedHealthMonitor(s.db, s.poolId)
  const res = await s.api.app.inject({ method: 'POST', url: s.url, payload: { member: { address: '192.0.2.10', protocol_port: 80 } } })
  assert.equal((res.json() as { member: Json }).member.operating_status, 'OFFLINE')
  await settle(s)
  const bare = await seedPool(s.db, s.lbId)
  const second = await s.api.app.inject({ method: 'POST', url: `/v2/lbaas/pools/${bare}/members`, payload: { member: { address: '192.0.2.10', protocol_port: 80 } } })
  assert.equal((second.json() as { member: Json }).member.operating_status, 'NO_MONITOR')
})

test('every validation rule answers 400 with its message and writes nothing', async (t) => {
  const s = await setup(t, { sets: ['octavia.networking.reserved_ips=169.254.169.254,fd00::1'] })
  const unknownSubnet = 'a2c8e0bb-0000-4000-8000-000000000001'
  const cases: Array<[unknown, string]> = [
    [undefined, 'Missing argument: "member_"'],
    [{}, 'Invalid input for field/attribute member. Value: \'None\'. Mandatory field missing.'],
    [{ member: [] }, 'Invalid input for field/attribute member. Value: \'[]\'. Value not a valid dict: []'],
    [{ member: { protocol_port: 80 } }, 'Invalid input for field/attribute address. Value: \'None\'. Mandatory field missing.'],
    [{ member: { address: '192.0.2.1' } }, 'Invalid input for field/attribute protocol_port. Value: \'None\'. Mandatory field missing.'],
    [{ member: { address: null, protocol_port: 80 } }, 'Invalid input for field/attribute address. Value: \'None\'. Mandatory field missing.'],
    [{ member: { address: '192.0.2.300', protocol_port: 80 } }, 'Invalid input for field/attribute address. Value: \'192.0.2.300\'. Value should be IPv4 or IPv6 format'],
    [{ member: { address: '192.0.2.1', protocol_port: 0 } }, 'Invalid input for field/attribute protocol_port. Value: \'0\'. Value should be greater or equal to 1'],
    [{ member: { address: '192.0.2.1', protocol_port: 65536 } }, 'Invalid input for field/attribute protocol_port. Value: \'65536\'. Value should be lower or equal to 65535'],
    [{ member: { address: '192.0.2.1', protocol_port: 80, weight: 257 } }, 'Invalid input for field/attribute weight. Value: \'257\'. Value should be lower or equal to 256'],
    [{ member: { address: '192.0.2.1', protocol_port: 80, weight: -1 } }, 'Invalid input for field/attribute weight. Value: \'-1\'. Value should be greater or equal to 0'],
    [{ member: { address: '192.0.2.1', protocol_port: 80, backup: 'maybe' } }, 'Invalid input for field/attribute backup. Value: \'maybe\'. Value not an unambiguous boolean: maybe'],
    [{ member: { address: '192.0.2.1', protocol_port: 80, admin_state_up: 'maybe' } }, 'Invalid input for field/attribute admin_state_up. Value: \'maybe\'. Value not an unambiguous boolean: maybe'],
    [{ member: { address: '192.0.2.1', protocol_port: 80, subnet_id: 'nope' } }, 'Invalid input for field/attribute subnet_id. Value: \'nope\'. Value should be UUID format'],
    [{ member: { address: '192.0.2.1', protocol_port: 80, subnet_id: unknownSubnet } }, `Subnet ${unknownSubnet} not found.`],
    [{ member: { address: '192.0.2.1', protocol_port: 80, monitor_port: 0 } }, 'Invalid input for field/attribute monitor_port. Value: \'0\'. Value should be greater or equal to 1'],
    [{ member: { address: '192.0.2.1', protocol_port: 80, monitor_address: 'x' } }, 'Invalid input for field/attribute monitor_address. Value: \'x\'. Value should be IPv4 or IPv6 format'],
    [{ member: { address: '192.0.2.1', protocol_port: 80, name: 'n'.repeat(256) } }, `Invalid input for field/attribute name. Value: '${'n'.repeat(256)}'. Value should have a maximum character requirement of 255`],
    [{ member: { address: '192.0.2.1', protocol_port: 80, tags: ['t'.repeat(256)] } }, `Invalid input for field/attribute tags. Value: '['${'t'.repeat(256)}']'. Value should have a maximum character requirement of 255`],
    [{ member: { address: '192.0.2.1', protocol_port: 80, request_sriov: 'maybe' } }, 'Invalid input for field/attribute request_sriov. Value: \'maybe\'. Value not an unambiguous boolean: maybe'],
    [{ member: { address: '192.0.2.1', protocol_port: 80, description: 'x', pool_id: 'y' } }, 'Unknown attributes for argument member_.member: description, pool_id'],
    [{ member: { address: '192.0.2.1', protocol_port: 80 }, extra: 1 }, 'Unknown attribute for argument member_: extra'],
    [{ member: { address: '169.254.169.254', protocol_port: 80 } }, '169.254.169.254 is not a valid option for member address'],
    [{ member: { address: 'fd00:0::1', protocol_port: 80 } }, 'FD00:0000:0000:0000:0000:0000:0000:0001 is not a valid option for member address'],
    [{ member: { address: '192.0.2.1', protocol_port: 80, request_sriov: true } }, 'The load balancer flavor does not allow SR-IOV member ports.'],
  ]
  const before = await s.api.counts()
  for (const [payload, faultstring] of cases) {
    const res = await s.api.app.inject({ method: 'POST', url: s.url, ...(payload === undefined ? {} : { payload: payload as Json }) })
    assert.deepEqual(fault(res), { status: 400, faultstring }, JSON.stringify(payload))
  }
  assert.deepEqual(await s.api.counts(), before)
  assert.equal(await provisioning(s.db, 'load_balancer', s.lbId), 'ACTIVE')
  assert.equal(await provisioning(s.db, 'pool', s.poolId), 'ACTIVE')
})

test('a missing pool answers every member call with the nested 404 body, before body validation', async (t) => {
  const s = await setup(t)
  const missing = 'a2c8e0bb-0000-4000-8000-000000000002'
  const base = `/v2/lbaas/pools/${missing}/members`
  const calls = [
    { method: 'GET', url: base }, { method: 'POST', url: base, payload: { member: { address: 'bad' } } },
    { method: 'PUT', url: `${base}?additive_only=true`, payload: { members: 'bad' } }, { method: 'GET', url: `${base}/${missing}` },
    { method: 'PUT', url: `${base}/${missing}`, payload: { member: { weight: 1 } } }, { method: 'DELETE', url: `${base}/${missing}` },
  ] as const
  for (const call of calls) {
    const res = await s.api.app.inject(call)
    assert.equal(res.statusCode, 404, `${call.method} ${call.url}`)
    // spec/api-v2.md §4.2: upstream's title, reproduced.
    assert.deepEqual(res.json(), { code: 404, title: 'Bad Request', description: `Pool ${missing} not found.` })
  }
})

test('a member is found only under its own pool', async (t) => {
  const s = await setup(t)
  const member = await createActive(s, { address: '192.0.2.10', protocol_port: 80 })
  const other = await seedPool(s.db, s.lbId)
  for (const method of ['GET', 'PUT', 'DELETE'] as const) {
    const res = await s.api.app.inject({ method, url: `/v2/lbaas/pools/${other}/members/${String(member.id)}`, ...(method === 'PUT' ? { payload: { member: {} } } : {}) })
    assert.deepEqual(fault(res), { status: 404, faultstring: `Member ${String(member.id)} not found.` })
  }
  assert.deepEqual(fault(await s.api.app.inject({ method: 'GET', url: `${s.url}/nope` })), { status: 404, faultstring: 'Member nope not found.' })
})

test('the same address and port twice in a pool is 409 and writes nothing; another port or pool is fine', async (t) => {
  const s = await setup(t)
  await createActive(s, { address: '192.0.2.10', protocol_port: 80 })
  const before = await s.api.counts()
  const res = await s.api.app.inject({ method: 'POST', url: s.url, payload: { member: { address: '192.0.2.10', protocol_port: 80 } } })
  assert.deepEqual(fault(res), { status: 409, faultstring: 'Another member on this pool is already using ip 192.0.2.10 on protocol_port 80' })
  assert.deepEqual(await s.api.counts(), before)
  assert.equal(await provisioning(s.db, 'load_balancer', s.lbId), 'ACTIVE')
  assert.equal(await provisioning(s.db, 'pool', s.poolId), 'ACTIVE')
  await createActive(s, { address: '192.0.2.10', protocol_port: 81 })
})

test('a pool that is not ACTIVE is 409 before the LB check; an LB that is not ACTIVE is 409; nothing changes', async (t) => {
  const s = await setup(t)
  const member = await createActive(s, { address: '192.0.2.10', protocol_port: 80 })
  const memberUrl = `${s.url}/${String(member.id)}`
  const calls = [
    { method: 'POST', url: s.url, payload: { member: { address: '192.0.2.11', protocol_port: 80 } } },
    { method: 'PUT', url: memberUrl, payload: { member: { weight: 3 } } },
    { method: 'DELETE', url: memberUrl },
    { method: 'PUT', url: s.url, payload: { members: [] } },
  ] as const
  const before = await s.api.counts()
  await s.db.updateTable('pool').set({ provisioning_status: 'PENDING_UPDATE' }).where('id', '=', s.poolId).execute()
  await s.db.updateTable('load_balancer').set({ provisioning_status: 'PENDING_UPDATE' }).where('id', '=', s.lbId).execute()
  for (const call of calls) {
    assert.deepEqual(fault(await s.api.app.inject(call)), { status: 409, faultstring: `Pool ${s.poolId} is immutable and cannot be updated.` }, call.method)
  }
  await s.db.updateTable('pool').set({ provisioning_status: 'ACTIVE' }).where('id', '=', s.poolId).execute()
  for (const call of calls) {
    assert.deepEqual(fault(await s.api.app.inject(call)), { status: 409, faultstring: `Load Balancer ${s.lbId} is immutable and cannot be updated.` }, call.method)
  }
  assert.deepEqual(await s.api.counts(), before)
  assert.equal(await provisioning(s.db, 'pool', s.poolId), 'ACTIVE')
  assert.equal(await provisioning(s.db, 'member', String(member.id)), 'ACTIVE')
  const [row] = await memberRows(s.db, s.poolId)
  assert.equal(row?.weight, 1)
})

test('update: 200 with the new values PENDING_UPDATE, then ACTIVE; null resets weight, backup and admin_state_up; create-only fields are 400', async (t) => {
  const s = await setup(t)
  const member = await createActive(s, { address: '192.0.2.10', protocol_port: 80, name: 'a', weight: 5, backup: true, tags: ['x'], monitor_port: 99 })
  const url = `${s.url}/${String(member.id)}`
  const res = await s.api.app.inject({ method: 'PUT', url, payload: { member: { name: 'b', weight: 7, tags: ['z', 'y'], monitor_address: '192.0.2.50' } } })
  assert.equal(res.statusCode, 200, res.body)
  const updated = (res.json() as { member: Json }).member
  assert.deepEqual([updated.name, updated.weight, updated.backup, updated.tags, updated.monitor_address, updated.monitor_port, updated.provisioning_status],
    ['b', 7, true, ['y', 'z'], '192.0.2.50', 99, 'PENDING_UPDATE'])
  await settle(s)
  const cleared = await s.api.app.inject({ method: 'PUT', url, payload: { member: { name: null, weight: null, backup: null, admin_state_up: null, tags: null, monitor_port: null } } })
  const after = (cleared.json() as { member: Json }).member
  assert.deepEqual([after.name, after.weight, after.backup, after.admin_state_up, after.tags, after.monitor_port], ['', 1, false, false, ['y', 'z'], null])
  await settle(s)
  const active = await s.api.until(url, (b) => (b.member as Json).provisioning_status === 'ACTIVE')
  assert.equal((active.member as Json).weight, 1)

  const before = await s.api.counts()
  const bad: Array<[Json, string]> = [
    [{ member: { address: '192.0.2.11' } }, 'Unknown attribute for argument member_.member: address'],
    [{ member: { protocol_port: 81, subnet_id: DEFAULT_SUBNET_ID } }, 'Unknown attributes for argument member_.member: protocol_port, subnet_id'],
    [{ member: { request_sriov: true } }, 'Unknown attribute for argument member_.member: request_sriov'],
    [{ member: { weight: 300 } }, 'Invalid input for field/attribute weight. Value: \'300\'. Value should be lower or equal to 256'],
  ]
  for (const [payload, faultstring] of bad) assert.deepEqual(fault(await s.api.app.inject({ method: 'PUT', url, payload })), { status: 400, faultstring })
  assert.deepEqual(await s.api.counts(), before)
  assert.equal(await provisioning(s.db, 'load_balancer', s.lbId), 'ACTIVE')
})

test('delete: 204, PENDING_DELETE, then the member and its tags are gone and the LB is ACTIVE', async (t) => {
  const s = await setup(t)
  const member = await createActive(s, { address: '192.0.2.10', protocol_port: 80, tags: ['gone'] })
  const url = `${s.url}/${String(member.id)}`
  const res = await s.api.app.inject({ method: 'DELETE', url })
  assert.equal(res.statusCode, 204)
  assert.equal(res.body, '')
  await s.api.until(url, (_b, status) => status === 404)
  await settle(s)
  assert.equal(await provisioning(s.db, 'pool', s.poolId), 'ACTIVE')
  assert.equal((await s.api.counts()).tags, 0)
})

test('batch update replaces the pool\'s set: new PENDING_CREATE, matched PENDING_UPDATE with create defaults, others PENDING_DELETE', async (t) => {
  const { inject, deps, db } = await startApiWithoutWorker(t)
  const created = await inject({ method: 'POST', url: LBS, payload: { loadbalancer: { vip_subnet_id: DEFAULT_SUBNET_ID } } })
  const lbId = String((created.json() as { loadbalancer: Json }).loadbalancer.id)
  await deps.loadBalancers.setProvisioningStatus(lbId, 'ACTIVE')
  const poolId = await seedPool(db, lbId)
  const listenerId = await seedListener(db, lbId, { default_pool_id: poolId })
  await seedMember(db, poolId, { ip_address: '192.0.2.1', protocol_port: 80, weight: 5, backup: true, name: 'keep-name', monitor_port: 9 })
  await seedMember(db, poolId, { ip_address: '192.0.2.2', protocol_port: 80 })

  const res = await inject({
    method: 'PUT', url: `/v2/lbaas/pools/${poolId}/members`,
    payload: { members: [{ address: '192.0.2.1', protocol_port: 80, admin_state_up: false }, { address: '192.0.2.3', protocol_port: 80, name: 'new', weight: 2 }] },
  })
  assert.equal(res.statusCode, 202, res.body)
  assert.equal(res.body, '')
  assert.deepEqual(await memberRows(db, poolId), [
    // Omitted fields go back to their create defaults; name stays when not sent (spec/api-v2.md §11.4 step 7).
    { ip_address: '192.0.2.1', protocol_port: 80, weight: 1, backup: false, enabled: false, name: 'keep-name', provisioning_status: 'PENDING_UPDATE', monitor_port: null },
    { ip_address: '192.0.2.2', protocol_port: 80, weight: 1, backup: false, enabled: true, name: null, provisioning_status: 'PENDING_DELETE', monitor_port: null },
    { ip_address: '192.0.2.3', protocol_port: 80, weight: 2, backup: false, enabled: true, name: 'new', provisioning_status: 'PENDING_CREATE', monitor_port: null },
  ])
  assert.equal(await provisioning(db, 'load_balancer', lbId), 'PENDING_UPDATE')
  assert.equal(await provisioning(db, 'pool', poolId), 'PENDING_UPDATE')
  assert.equal(await provisioning(db, 'listener', listenerId), 'PENDING_UPDATE')
  const jobs = await db.selectFrom('jobs').select(['kind', 'target_type', 'target_id']).execute()
  assert.deepEqual(jobs.filter((j) => j.kind.startsWith('member')), [{ kind: 'member.batch_update', target_type: 'pool', target_id: poolId }])
})

test('batch update through the worker: removed members deleted, the rest and every parent ACTIVE', async (t) => {
  const s = await setup(t)
  await createActive(s, { address: '192.0.2.1', protocol_port: 80 })
  await createActive(s, { address: '192.0.2.2', protocol_port: 80, tags: ['old'] })
  const res = await s.api.app.inject({ method: 'PUT', url: s.url, payload: { members: [{ address: '192.0.2.2', protocol_port: 80, weight: 9 }, { address: '192.0.2.3', protocol_port: 81 }] } })
  assert.equal(res.statusCode, 202)
  await settle(s)
  const rows = await memberRows(s.db, s.poolId)
  assert.deepEqual(rows.map((r) => [r.ip_address, r.weight, r.provisioning_status]), [['192.0.2.2', 9, 'ACTIVE'], ['192.0.2.3', 1, 'ACTIVE']])
  assert.equal(await provisioning(s.db, 'pool', s.poolId), 'ACTIVE')
  const counts = await s.api.counts()
  assert.equal(counts.member, 2)
  assert.equal(counts.tags, 1, 'tags kept when the item does not send them')
})

test('batch update with additive_only keeps members it does not name', async (t) => {
  const s = await setup(t)
  await createActive(s, { address: '192.0.2.1', protocol_port: 80 })
  const res = await s.api.app.inject({ method: 'PUT', url: `${s.url}?additive_only=True`, payload: { members: [{ address: '192.0.2.3', protocol_port: 80 }] } })
  assert.equal(res.statusCode, 202)
  await settle(s)
  assert.deepEqual((await memberRows(s.db, s.poolId)).map((r) => [r.ip_address, r.provisioning_status]), [['192.0.2.1', 'ACTIVE'], ['192.0.2.3', 'ACTIVE']])
})

test('batch update with nothing to do answers 202 and changes no status', async (t) => {
  const s = await setup(t)
  const before = await s.api.counts()
  for (const url of [s.url, `${s.url}?additive_only=true`]) {
    const res = await s.api.app.inject({ method: 'PUT', url, payload: { members: [] } })
    assert.equal(res.statusCode, 202)
    assert.equal(res.body, '')
  }
  assert.deepEqual(await s.api.counts(), before)
  assert.equal(await provisioning(s.db, 'load_balancer', s.lbId), 'ACTIVE')
  assert.equal(await provisioning(s.db, 'pool', s.poolId), 'ACTIVE')
})

test('a batch is refused whole: bad items, duplicates, reserved addresses and unknown subnets write nothing', async (t) => {
  const s = await setup(t)
  await createActive(s, { address: '192.0.2.1', protocol_port: 80 })
  const unknownSubnet = 'a2c8e0bb-0000-4000-8000-000000000001'
  const ok = { address: '192.0.2.5', protocol_port: 80 }
  const cases: Array<[unknown, number, string]> = [
    [undefined, 400, 'Missing argument: "members_"'],
    [{ members: null }, 400, 'Invalid input for field/attribute members. Value: \'None\'. Mandatory field missing.'],
    [{ members: {} }, 400, 'Invalid input for field/attribute members. Value: \'{}\'. Value not a valid list: {}'],
    [{ members: [ok, { address: '192.0.2.6' }] }, 400, 'Invalid input for field/attribute protocol_port. Value: \'None\'. Mandatory field missing.'],
    [{ members: [ok, { address: '192.0.2.6', protocol_port: 80, weight: 300 }] }, 400, 'Invalid input for field/attribute weight. Value: \'300\'. Value should be lower or equal to 256'],
    [{ members: [{ ...ok, pool_id: 'x' }] }, 400, 'Unknown attribute for argument members_.members: pool_id'],
    [{ members: [ok, { address: '192.0.2.1', protocol_port: 80 }, { address: '192.0.2.1', protocol_port: 80, weight: 3 }] }, 400,
      'Validation failure: Member must be updated only once in the same request.'],
    [{ members: [ok, { ...ok, weight: 2 }] }, 409, 'Another member on this pool is already using ip 192.0.2.5 on protocol_port 80'],
    [{ members: [ok, { address: '169.254.169.254', protocol_port: 80 }] }, 400, '169.254.169.254 is not a valid option for member address'],
    [{ members: [ok, { address: '192.0.2.7', protocol_port: 80, subnet_id: unknownSubnet }] }, 400, `Subnet ${unknownSubnet} not found.`],
  ]
  const before = await s.api.counts()
  const rowsBefore = await memberRows(s.db, s.poolId)
  for (const [payload, status, faultstring] of cases) {
    const res = await s.api.app.inject({ method: 'PUT', url: s.url, ...(payload === undefined ? {} : { payload: payload as Json }) })
    assert.deepEqual(fault(res), { status, faultstring }, JSON.stringify(payload))
  }
  assert.deepEqual(await s.api.counts(), before)
  assert.deepEqual(await memberRows(s.db, s.poolId), rowsBefore)
  assert.equal(await provisioning(s.db, 'load_balancer', s.lbId), 'ACTIVE')
  assert.equal(await provisioning(s.db, 'pool', s.poolId), 'ACTIVE')
})

test('list: only the pool\'s members, with filters, tags, sorting and paging links', async (t) => {
  const s = await setup(t)
  const a = await createActive(s, { address: '192.0.2.1', protocol_port: 80, tags: ['blue'] })
  const b = await createActive(s, { address: '192.0.2.2', protocol_port: 81, weight: 4 })
  const other = await seedPool(s.db, s.lbId)
  await seedMember(s.db, other, { ip_address: '192.0.2.1', protocol_port: 80 })
  const list = async (query: string) => (await s.api.app.inject({ method: 'GET', url: `${s.url}${query}` })).json() as { members: Json[]; members_links: Json[] }
  assert.deepEqual((await list('')).members.map((m) => m.id), [a.id, b.id])
  assert.deepEqual((await list('?address=192.0.2.2')).members.map((m) => m.id), [b.id])
  assert.deepEqual((await list('?weight=4&protocol_port=81')).members.map((m) => m.id), [b.id])
  assert.deepEqual((await list('?tags=blue')).members.map((m) => m.id), [a.id])
  assert.deepEqual((await list('?sort=protocol_port:desc')).members.map((m) => m.id), [b.id, a.id])
  assert.deepEqual((await list('?fields=address')).members, [{ address: '192.0.2.1' }, { address: '192.0.2.2' }])
  const page = await list('?limit=1')
  assert.deepEqual(page.members.map((m) => m.id), [a.id])
  assert.deepEqual(page.members_links, [{ href: `http://localhost:80${s.url}?limit=1&marker=${String(a.id)}`, rel: 'next' }])
  assert.deepEqual(fault(await s.api.app.inject({ method: 'GET', url: `${s.url}?pool_id=${s.poolId}` })),
    { status: 400, faultstring: 'One or more arguments are either duplicate or invalid' })
})

test('amphora provider: a UDP pool used by a listener refuses members of another address family than the VIP (501)', async (t) => {
  const s = await setup(t, { protocol: 'UDP' })
  const mixed = { member: { address: '2001:db8::5', protocol_port: 53 } }
  // Not used by a listener yet: nothing to mix with.
  await createActive(s, mixed.member)
  await seedListener(s.db, s.lbId, { protocol: 'UDP', protocol_port: 53, default_pool_id: s.poolId })
  const before = await s.api.counts()
  for (const call of [
    { method: 'POST', url: s.url, payload: { member: { address: '2001:db8::6', protocol_port: 53 } } },
    { method: 'PUT', url: s.url, payload: { members: [{ address: '2001:db8::6', protocol_port: 53 }] } },
  ] as const) {
    assert.deepEqual(fault(await s.api.app.inject(call)), {
      status: 501,
      faultstring: "Provider 'amphora' does not support a requested option: This provider doesn't support mixing IPv4 and IPv6 addresses for its VIP and members in UDP load balancers.",
    })
  }
  assert.deepEqual(await s.api.counts(), before)
  assert.equal(await provisioning(s.db, 'load_balancer', s.lbId), 'ACTIVE')
  await createActive(s, { address: '127.0.0.5', protocol_port: 53 })
})
