import { test } from 'node:test'
import assert from 'node:assert/strict'
import { AddressExhausted, DuplicateEntry, InvalidAddress } from '../../src/db/errors.ts'
import { PortRepository, type AllocationSubnet } from '../../src/db/repositories/port-repository.ts'
import { ENGINES, withTestDatabase } from '../helpers/test-database.ts'
import { TestClock } from '../helpers/test-clock.ts'

const LOOPBACK: AllocationSubnet = { id: 'subnet-loopback', network_id: 'net-a', cidr: '127.64.0.0/16' }
const V6: AllocationSubnet = { id: 'subnet-v6', network_id: 'net-b', cidr: '2001:db8::/64', gateway_ip: '2001:db8::1' }
const TINY: AllocationSubnet = { id: 'subnet-tiny', network_id: 'net-c', cidr: '192.0.2.0/29', gateway_ip: '192.0.2.1' }

for (const engine of ENGINES) {
  test(`port repository on ${engine}`, async (t) => {
    const db = await withTestDatabase(t, engine)
    const clock = new TestClock()
    const ports = new PortRepository(db, clock, { reserved: ['127.64.0.1'] })

    await t.test('allocates the lowest free address, skipping the network address and reserved ones', async () => {
      const port = await ports.allocate({ subnet: LOOPBACK, device_owner: 'octavia:vip', device_id: 'lb-1', project_id: 'p1', name: 'vip' })
      assert.equal(port.ip_address, '127.64.0.2')
      assert.deepEqual(await ports.get(port.id), {
        id: port.id, network_id: 'net-a', subnet_id: 'subnet-loopback', ip_address: '127.64.0.2', device_owner: 'octavia:vip',
        device_id: 'lb-1', project_id: 'p1', name: 'vip', created_at: clock.now(), updated_at: null,
      })
      assert.equal((await ports.allocate({ subnet: LOOPBACK })).ip_address, '127.64.0.3')
    })

    await t.test('IPv6: skips the subnet-router address and the gateway; requested addresses are stored canonically', async () => {
      assert.equal((await ports.allocate({ subnet: V6 })).ip_address, '2001:db8::2')
      assert.equal((await ports.allocate({ subnet: V6, ip_address: '2001:DB8:0:0::00A0' })).ip_address, '2001:db8::a0')
      await assert.rejects(ports.allocate({ subnet: V6, ip_address: '2001:db8::a0' }),
        (error: unknown) => error instanceof DuplicateEntry && error.constraint === 'uq_ports_subnet_id_ip_address')
      await assert.rejects(ports.allocate({ subnet: V6, ip_address: '2001:db8::' }), InvalidAddress)
      await assert.rejects(ports.allocate({ subnet: V6, ip_address: '2001:db8::1' }), InvalidAddress)
      await assert.rejects(ports.allocate({ subnet: V6, ip_address: '2001:db9::5' }), InvalidAddress)
      await assert.rejects(ports.allocate({ subnet: V6, ip_address: 'not-an-ip' }), InvalidAddress)
    })

    await t.test('a small subnet runs out, a released address is handed out again, and allocation goes on after the last one', async () => {
      const got = []
      for (let i = 0; i < 5; i++) got.push(await ports.allocate({ subnet: TINY, device_id: 'amp-1' }))
      assert.deepEqual(got.map((p) => p.ip_address), ['192.0.2.2', '192.0.2.3', '192.0.2.4', '192.0.2.5', '192.0.2.6'])
      await assert.rejects(ports.allocate({ subnet: TINY }), AddressExhausted)
      await assert.rejects(ports.allocate({ subnet: TINY, ip_address: '192.0.2.7' }), InvalidAddress)
      assert.equal(await ports.release(got[2]!.id), true)
      assert.equal(await ports.release(got[2]!.id), false)
      assert.equal((await ports.allocate({ subnet: TINY })).ip_address, '192.0.2.4')
      assert.equal(await ports.releaseByDevice('amp-1'), 4)
      // The search goes on after the last allocation: freed addresses come back last.
      assert.equal((await ports.allocate({ subnet: TINY })).ip_address, '192.0.2.5')
    })

    await t.test('allocation pools limit automatic allocation, not requested addresses', async () => {
      const pooled: AllocationSubnet = { id: 'subnet-pooled', network_id: 'net-d', cidr: '198.51.100.0/24',
        allocation_pools: [{ start: '198.51.100.200', end: '198.51.100.201' }] }
      assert.equal((await ports.allocate({ subnet: pooled })).ip_address, '198.51.100.200')
      assert.equal((await ports.allocate({ subnet: pooled, ip_address: '198.51.100.7' })).ip_address, '198.51.100.7')
      assert.equal((await ports.allocate({ subnet: pooled })).ip_address, '198.51.100.201')
      await assert.rejects(ports.allocate({ subnet: pooled }), AddressExhausted)
    })

    await t.test('50 concurrent allocations get 50 distinct addresses', async () => {
      const subnet: AllocationSubnet = { id: 'subnet-race', network_id: 'net-e', cidr: '10.0.0.0/24' }
      const allocated = await Promise.all(Array.from({ length: 50 }, (_, i) => ports.allocate({ subnet, device_id: `d-${i}` })))
      const addresses = allocated.map((p) => p.ip_address)
      assert.equal(new Set(addresses).size, 50)
      const stored = await ports.list({ subnet_id: 'subnet-race' })
      assert.equal(stored.length, 50)
      assert.deepEqual(new Set(stored.map((p) => p.ip_address)), new Set(Array.from({ length: 50 }, (_, i) => `10.0.0.${i + 1}`)))
    })

    await t.test('a taken address does not abort the caller transaction, which commits or rolls back as a whole', async () => {
      const subnet: AllocationSubnet = { id: 'subnet-trx', network_id: 'net-f', cidr: '10.1.0.0/24' }
      await ports.allocate({ subnet, ip_address: '10.1.0.1' })
      const port = await db.transaction(async (trx) => {
        // On PostgreSQL a raised unique violation would poison the transaction; we must be able to go on.
        await assert.rejects(ports.allocate({ subnet, ip_address: '10.1.0.1' }, trx), DuplicateEntry)
        return ports.allocate({ subnet }, trx)
      })
      assert.equal(port.ip_address, '10.1.0.2')
      await assert.rejects(db.transaction(async (trx) => {
        await ports.allocate({ subnet }, trx)
        throw new Error('roll back')
      }), /roll back/)
      assert.deepEqual((await ports.list({ subnet_id: 'subnet-trx' })).map((p) => p.ip_address).sort(), ['10.1.0.1', '10.1.0.2'])
    })

    await t.test('an allocator that loses a race to another (another API process) takes the next address, then walks elsewhere', async () => {
      const subnet: AllocationSubnet = { id: 'subnet-apart', network_id: 'net-h', cidr: '10.2.0.0/16' }
      const other = new PortRepository(db, clock)
      // The other allocator pauses after its SELECT of taken addresses until this one has taken
      // 10.2.0.1 (on MySQL and PostgreSQL two API processes' transactions interleave like this).
      let selected = () => {}
      const selectedNow = new Promise<void>((resolve) => { selected = resolve })
      let resume = () => {}
      const resumed = new Promise<void>((resolve) => { resume = resolve })
      // Its SELECTs resolve only once resumed, after their connection is free again.
      const pausing = <B extends object>(builder: B): B => new Proxy(builder, {
        get(target, name) {
          const value: unknown = Reflect.get(target, name)
          if (typeof value !== 'function') return value
          if (name === 'execute') {
            return async (...args: unknown[]) => {
              const rows: unknown = await value.apply(target, args)
              selected()
              await resumed
              return rows
            }
          }
          return (...args: unknown[]) => {
            const next: unknown = value.apply(target, args)
            return typeof next === 'object' && next !== null && 'execute' in next ? pausing(next) : next
          }
        },
      })
      const paused = new Proxy(db.kysely, {
        get(target, name) {
          if (name === 'selectFrom') return (...args: Parameters<typeof target.selectFrom>) => pausing(target.selectFrom(...args))
          const value: unknown = Reflect.get(target, name)
          return typeof value === 'function' ? value.bind(target) : value
        },
      })
      const second = other.allocate({ subnet }, paused)
      await selectedNow
      assert.equal((await ports.allocate({ subnet })).ip_address, '10.2.0.1')
      resume()
      assert.equal((await second).ip_address, '10.2.0.2')
      // Having lost a race, it goes on from a random address of the subnet, not from the one the
      // first allocator wants next (one chance in 65,534 to land there all the same).
      assert.notEqual((await other.allocate({ subnet })).ip_address, '10.2.0.3')
      assert.equal((await ports.allocate({ subnet })).ip_address, '10.2.0.3')
    })

    await t.test('an address whose transaction rolled back is handed out before the subnet counts as full', async () => {
      const subnet: AllocationSubnet = { id: 'subnet-rollback', network_id: 'net-g', cidr: '192.0.2.8/30' }
      await assert.rejects(db.transaction(async (trx) => {
        assert.equal((await ports.allocate({ subnet }, trx)).ip_address, '192.0.2.9')
        throw new Error('roll back')
      }), /roll back/)
      // 192.0.2.9 is this allocator's latest address (left to the end of the search), yet free.
      assert.equal((await ports.allocate({ subnet })).ip_address, '192.0.2.10')
      assert.equal((await ports.allocate({ subnet })).ip_address, '192.0.2.9')
      await assert.rejects(ports.allocate({ subnet }), AddressExhausted)
    })
  })
}
