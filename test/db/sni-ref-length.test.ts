import { test } from 'node:test'
import assert from 'node:assert/strict'
import { systemClock } from '../../src/common/clock.ts'
import { ListenerRepository } from '../../src/db/repositories/listener-repository.ts'
import { LoadBalancerRepository } from '../../src/db/repositories/load-balancer-repository.ts'
import { ENGINES, withTestDatabase } from '../helpers/test-database.ts'

for (const engine of ENGINES) {
  test(`an SNI certificate ref of 255 characters is stored whole on ${engine}`, async (t) => {
    const db = await withTestDatabase(t, engine)
    const lb = await new LoadBalancerRepository(db, systemClock).create({ project_id: 'p', vip: { ip_address: '127.64.0.5' } })
    const listeners = new ListenerRepository(db, systemClock)
    const ref = `https://secrets.example.test/v1/containers/${'a'.repeat(255 - 43)}`
    assert.equal(ref.length, 255)
    const created = await listeners.create({ load_balancer_id: lb.id, project_id: 'p', protocol: 'TERMINATED_HTTPS', protocol_port: 443, sni_container_refs: [ref] })
    assert.deepEqual((await listeners.get(created.id))?.sni_container_refs, [ref])
  })
}
