import type { Insertable } from 'kysely'
import { newId } from '../../src/common/ids.ts'
import type { Executor } from '../../src/db/database.ts'
import type { ListenerTable, MemberTable, PoolTable, Schema } from '../../src/db/schema.ts'

// Minimal rows for tables whose repositories come later; each returns the new id.

const AT = new Date('2024-01-01T00:00:00.000Z')

export async function seedPool(db: Executor, loadBalancerId: string, fields: Partial<Insertable<PoolTable>> = {}): Promise<string> {
  const id = newId()
  await db.insertInto('pool').values({
    id, project_id: 'p1', load_balancer_id: loadBalancerId, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN',
    provisioning_status: 'ACTIVE', operating_status: 'ONLINE', enabled: true, created_at: AT, ...fields,
  }).execute()
  return id
}

export async function seedListener(db: Executor, loadBalancerId: string, fields: Partial<Insertable<ListenerTable>> = {}): Promise<string> {
  const id = newId()
  await db.insertInto('listener').values({
    id, project_id: 'p1', load_balancer_id: loadBalancerId, protocol: 'HTTP', protocol_port: 80,
    provisioning_status: 'ACTIVE', operating_status: 'ONLINE', enabled: true, created_at: AT, ...fields,
  }).execute()
  return id
}

export async function seedMember(db: Executor, poolId: string, fields: Partial<Insertable<MemberTable>> = {}): Promise<string> {
  const id = newId()
  await db.insertInto('member').values({
    id, project_id: 'p1', pool_id: poolId, ip_address: '192.0.2.10', protocol_port: 8080, weight: 1, backup: false,
    provisioning_status: 'ACTIVE', operating_status: 'NO_MONITOR', enabled: true, created_at: AT, ...fields,
  }).execute()
  return id
}

export async function seedHealthMonitor(db: Executor, poolId: string): Promise<string> {
  const id = newId()
  await db.insertInto('health_monitor').values({
    id, project_id: 'p1', pool_id: poolId, type: 'HTTP', delay: 5, timeout: 3, fall_threshold: 3, rise_threshold: 2,
    http_method: 'GET', url_path: '/', expected_codes: '200', enabled: true, provisioning_status: 'ACTIVE',
    operating_status: 'ONLINE', http_version: 1.1, created_at: AT,
  }).execute()
  return id
}

export async function seedL7Policy(db: Executor, listenerId: string, redirectPoolId: string | null): Promise<string> {
  const id = newId()
  await db.insertInto('l7policy').values({
    id, project_id: 'p1', listener_id: listenerId, action: redirectPoolId ? 'REDIRECT_TO_POOL' : 'REJECT',
    redirect_pool_id: redirectPoolId, position: 1, enabled: true, provisioning_status: 'ACTIVE', operating_status: 'ONLINE',
    created_at: AT,
  }).execute()
  return id
}

export async function seedL7Rule(db: Executor, policyId: string): Promise<string> {
  const id = newId()
  await db.insertInto('l7rule').values({
    id, project_id: 'p1', l7policy_id: policyId, type: 'PATH', compare_type: 'STARTS_WITH', value: '/api',
    enabled: true, provisioning_status: 'ACTIVE', operating_status: 'ONLINE', created_at: AT,
  }).execute()
  return id
}

export async function countRows(db: Executor, table: keyof Schema): Promise<number> {
  const row = await db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()
  return Number(row.n)
}
