import type { TestContext } from 'node:test'
import { createSocket } from 'node:dgram'
import type { Clock } from '../../src/common/clock.ts'
import { createLogger } from '../../src/common/logger.ts'
import { loadConfig } from '../../src/config/load-config.ts'
import type { OctaviaConfig } from '../../src/config/schema.ts'
import type { Database } from '../../src/db/database.ts'
import { AmphoraRepository } from '../../src/db/repositories/amphora-repository.ts'
import { LoadBalancerRepository } from '../../src/db/repositories/load-balancer-repository.ts'
import type { AmphoraReaper } from '../../src/health/amphora-reaper.ts'
import { startHealthManager, type HealthManager } from '../../src/health/health-manager.ts'
import { encodeHeartbeat } from '../../src/health/heartbeat-codec.ts'
import type { HeartbeatDocument } from '../../src/health/heartbeat-document.ts'
import type { OperatingStatus, ProvisioningStatus } from '../../src/common/statuses.ts'
import { seedListener, seedMember, seedPool } from './db-seed.ts'

export const TEST_HEARTBEAT_KEY = 'health-test-key'

export interface HealthHarness {
  hm: HealthManager
  config: OctaviaConfig
  /** Sends datagrams from one UDP socket to the receiver and waits until every one was read and applied. */
  send(...datagrams: Buffer[]): Promise<void>
  /** Encodes (with the test key) and sends. */
  heartbeat(...documents: HeartbeatDocument[]): Promise<void>
}

/** The health manager on 127.0.0.1, a free port, over `db`; failover scans only when the test calls them. */
export async function startHealthHarness(t: TestContext, db: Database, options: {
  clock: Clock
  reaper?: AmphoraReaper
  health?: Partial<OctaviaConfig['health_manager']>
}): Promise<HealthHarness> {
  const { config: loaded } = loadConfig({ files: [], env: {}, sets: [] })
  const config: OctaviaConfig = {
    ...loaded,
    health_manager: { ...loaded.health_manager, bind_ip: '127.0.0.1', bind_port: 0, heartbeat_key: TEST_HEARTBEAT_KEY, ...options.health },
  }
  const hm = await startHealthManager({
    config, db, clock: options.clock, log: createLogger({ level: 'silent' }), firstScanDelayMs: 3_600_000,
    ...(options.reaper ? { reaper: options.reaper } : {}),
  })
  const socket = createSocket('udp4')
  t.after(async () => {
    socket.close()
    await hm.stop()
  })
  const send = async (...datagrams: Buffer[]) => {
    const target = hm.counters.received + datagrams.length
    for (const datagram of datagrams) {
      await new Promise<void>((resolve, reject) => socket.send(datagram, hm.receiver.port, '127.0.0.1', (err) => (err ? reject(err) : resolve())))
    }
    for (let i = 0; hm.counters.received < target; i++) {
      if (i > 2000) throw new Error(`the receiver read ${hm.counters.received} datagrams, expected ${target}`)
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
    await hm.processor.drained()
  }
  return { hm, config, send, heartbeat: (...documents) => send(...documents.map((d) => encodeHeartbeat(d, TEST_HEARTBEAT_KEY))) }
}

export interface SeededLoadBalancer {
  lbId: string
  amphoraId: string
  listenerIds: string[]
  poolIds: string[]
  /** Member ids per pool. */
  memberIds: string[][]
}

/** A load balancer with listeners, pools (each the default pool of the same-index listener, if any), members and one amphora. */
export async function seedLoadBalancer(db: Database, clock: Clock, shape: {
  listeners?: number
  pools?: number
  members?: number
  lb?: { enabled?: boolean; provisioning_status?: ProvisioningStatus; operating_status?: OperatingStatus }
  listener?: { enabled?: boolean; protocol?: string; operating_status?: OperatingStatus }
  member?: { operating_status?: OperatingStatus; enabled?: boolean }
  pool?: { operating_status?: OperatingStatus }
  amphora?: { status?: ProvisioningStatus; load_balancer_id?: null }
} = {}): Promise<SeededLoadBalancer> {
  const lb = await new LoadBalancerRepository(db, clock).create({
    project_id: 'p1', vip: { ip_address: '127.64.0.9' }, provisioning_status: 'ACTIVE', operating_status: 'ONLINE', ...shape.lb,
  })
  const poolIds: string[] = []
  const memberIds: string[][] = []
  for (let p = 0; p < (shape.pools ?? 1); p++) {
    const poolId = await seedPool(db.kysely, lb.id, { operating_status: 'ONLINE', ...shape.pool })
    poolIds.push(poolId)
    const members: string[] = []
    for (let m = 0; m < (shape.members ?? 2); m++) {
      members.push(await seedMember(db.kysely, poolId, { operating_status: 'ONLINE', ip_address: `192.0.2.${m + 1}`, ...shape.member }))
    }
    memberIds.push(members)
  }
  const listenerIds: string[] = []
  for (let l = 0; l < (shape.listeners ?? 1); l++) {
    listenerIds.push(await seedListener(db.kysely, lb.id, {
      protocol_port: 80 + l, default_pool_id: poolIds[l] ?? null, operating_status: 'ONLINE', ...shape.listener,
    }))
  }
  const amphora = await new AmphoraRepository(db, clock).create({
    load_balancer_id: shape.amphora?.load_balancer_id === null ? null : lb.id, status: shape.amphora?.status ?? 'ALLOCATED',
    compute_id: 'agent-1', role: 'STANDALONE',
  })
  return { lbId: lb.id, amphoraId: amphora.id, listenerIds, poolIds, memberIds }
}

/** The operating status of one row. */
export async function operatingStatus(db: Database, table: 'load_balancer' | 'listener' | 'pool' | 'member', id: string): Promise<string | undefined> {
  const row = await db.kysely.selectFrom(table as 'load_balancer').select('operating_status').where('id', '=', id).executeTakeFirst()
  return row?.operating_status
}
