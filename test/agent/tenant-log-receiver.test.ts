import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { RotatingLogFile } from '../../src/agent/rotating-log-file.ts'
import { TenantLogReceiver } from '../../src/agent/tenant-log-receiver.ts'
import { createLogger } from '../../src/common/logger.ts'

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'octavia-logs-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

test('a log file rotates by size and keeps the newest files', async (t) => {
  const path = join(tempDir(t), 'lb.log')
  const file = new RotatingLogFile(path, { max_bytes: 100, keep: 2 })
  for (let i = 0; i < 5; i++) {
    file.appendLines(Buffer.from(`${String(i).repeat(59)}\n`))
    await file.flush()
  }
  assert.equal(readFileSync(path, 'utf8'), `${'4'.repeat(59)}\n`)
  assert.equal(readFileSync(`${path}.1`, 'utf8'), `${'3'.repeat(59)}\n`)
  assert.equal(readFileSync(`${path}.2`, 'utf8'), `${'2'.repeat(59)}\n`)
  assert.equal(existsSync(`${path}.3`), false)
})

test('lines from an amphora, in any chunking, reach its load balancer file whole; unknown amphorae are dropped', async (t) => {
  const dir = tempDir(t)
  const receiver = await TenantLogReceiver.start({
    port: 0,
    fileFor: (id) => (id === 'amp-1' ? join(dir, 'lb-1.log') : null),
    rotation: { max_bytes: 1 << 20, keep: 1 },
    log: createLogger({ level: 'silent' }),
    flush_interval_ms: 20,
  })
  t.after(() => receiver.close())
  const lines = Array.from({ length: 50 }, (_, i) => `<134>Nov 29 07:27:21 localhost amp-1[42]: project lb request ${i}\n`).join('')
  const send = (text: string) => new Promise<void>((resolve, reject) => {
    const socket = connect(receiver.port, '127.0.0.1', async () => {
      // Cut in odd places, a line split across writes.
      for (let at = 0; at < text.length; at += 37) {
        socket.write(text.slice(at, at + 37))
        await sleep(1)
      }
      socket.end(resolve)
    })
    socket.on('error', reject)
  })
  await send(lines)
  await send('<134>Nov 29 07:27:21 localhost amp-2[43]: not ours\n')
  const deadline = Date.now() + 5000
  while ((existsSync(join(dir, 'lb-1.log')) ? readFileSync(join(dir, 'lb-1.log'), 'utf8') : '') !== lines) {
    assert.ok(Date.now() < deadline, 'lines not written in time')
    await sleep(20)
  }
  await receiver.flush()
  assert.equal(readFileSync(join(dir, 'lb-1.log'), 'utf8'), lines)
})
