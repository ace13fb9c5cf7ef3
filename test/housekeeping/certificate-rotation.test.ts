import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createLogger } from '../../src/common/logger.ts'
import { AmphoraRepository, type Amphora } from '../../src/db/repositories/amphora-repository.ts'
import { CertificateRotation } from '../../src/housekeeping/certificate-rotation.ts'
import { TestClock } from '../helpers/test-clock.ts'
import { ENGINES, withTestDatabase } from '../helpers/test-database.ts'

// spec/operations.md §1.2: amphorae whose certificate expires within cert_expiry_buffer are
// rotated once each; a failed rotation leaves the amphora ERROR and cert_busy set.

const DAY = 86_400_000
const log = createLogger({ level: 'silent' })

for (const engine of ENGINES) {
  test(`amphora certificates near expiry are rotated, a failure is not retried (${engine})`, async (t) => {
    const db = await withTestDatabase(t, engine)
    const clock = new TestClock('2024-05-01T00:00:00.000Z')
    const amphorae = new AmphoraRepository(db, clock)
    const at = (days: number) => new Date(clock.now().getTime() + days * DAY)
    const soon = await amphorae.create({ status: 'ALLOCATED', cert_expiration: at(3) })
    const sooner = await amphorae.create({ status: 'READY', cert_expiration: at(1) })
    const broken = await amphorae.create({ status: 'ALLOCATED', cert_expiration: at(2) })
    const later = await amphorae.create({ status: 'ALLOCATED', cert_expiration: at(20) })
    const deleting = await amphorae.create({ status: 'PENDING_DELETE', cert_expiration: at(1) })
    const unknown = await amphorae.create({ status: 'ALLOCATED' })

    const seen: string[] = []
    const rotator = {
      rotate: async (amphora: Amphora) => {
        seen.push(amphora.id)
        assert.equal(amphora.cert_busy, true)
        if (amphora.id === broken.id) throw new Error('agent refused the certificate')
        return at(30)
      },
    }
    const rotation = new CertificateRotation({ db, clock, log, expiryBuffer: 14 * 86_400, threads: 2, rotator })
    const result = await rotation.run()
    assert.deepEqual(result.rotated.sort(), [soon.id, sooner.id].sort())
    assert.deepEqual(result.failed, [broken.id])
    assert.deepEqual(seen.sort(), [soon.id, sooner.id, broken.id].sort())
    for (const id of [soon.id, sooner.id]) {
      const row = await amphorae.get(id)
      assert.deepEqual([row?.cert_expiration, row?.cert_busy], [at(30), false])
    }
    assert.equal((await amphorae.get(sooner.id))?.status, 'READY')
    const failed = await amphorae.get(broken.id)
    assert.deepEqual([failed?.status, failed?.cert_busy, failed?.cert_expiration], ['ERROR', true, at(2)])
    for (const id of [later.id, deleting.id, unknown.id]) assert.equal((await amphorae.get(id))?.cert_busy, false)

    // Nothing is due now; the failed one is not retried.
    assert.deepEqual(await rotation.run(), { rotated: [], failed: [] })
    // Without a rotator (no agent support) nothing is claimed.
    clock.advance(10 * DAY)
    assert.deepEqual(await new CertificateRotation({ db, clock, log, expiryBuffer: 14 * 86_400, threads: 2 }).run(), { rotated: [], failed: [] })
    assert.equal((await amphorae.get(later.id))?.cert_busy, false)
  })
}
