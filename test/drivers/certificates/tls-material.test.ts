import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer, request } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig } from '../../../src/config/load-config.ts'
import { agentTlsMaterial, controllerTlsMaterial, type TlsMaterial } from '../../../src/drivers/certificates/tls-material.ts'
import { TestClock } from '../../helpers/test-clock.ts'

function scratch(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'octavia-tls-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

async function handshake(t: { after(fn: () => void): void }, server: TlsMaterial, client: TlsMaterial, name: string): Promise<number> {
  const https = createServer({ key: server.key, cert: server.cert, ca: server.ca, requestCert: true, rejectUnauthorized: true }, (_req, res) => res.end('ok'))
  await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve))
  t.after(() => https.close())
  const port = (https.address() as { port: number }).port
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path: '/', key: client.key, cert: client.cert, ca: client.ca, servername: name }, (res) => {
      res.resume()
      resolve(res.statusCode ?? 0)
    }).on('error', reject).end()
  })
}

test('with nothing configured, the local CA gives the agent and the controller certificates that trust each other', async (t) => {
  const dir = scratch(t)
  const clock = new TestClock(new Date())
  const { config } = loadConfig({ env: {}, sets: [`octavia.agent.state_dir=${join(dir, 'agent')}`, 'octavia.agent.name=agent-x'] })
  const agent = await agentTlsMaterial(config, clock, join(dir, 'certs'))
  const controller = await controllerTlsMaterial(config, clock, join(dir, 'certs'))
  assert.ok(existsSync(join(dir, 'agent/tls/server.pem')))
  assert.ok(existsSync(join(dir, 'certs/controller.key')))
  assert.equal(await handshake(t, agent, controller, 'agent-x'), 200)
  // Kept while current.
  assert.equal((await controllerTlsMaterial(config, clock, join(dir, 'certs'))).cert, controller.cert)
  assert.equal((await agentTlsMaterial(config, clock, join(dir, 'certs'))).cert, agent.cert)
})

test("the controller's certificate goes to the configured haproxy_amphora paths, and is read from them", async (t) => {
  const dir = scratch(t)
  const clock = new TestClock(new Date())
  const paths = { cert: join(dir, 'op/client.pem'), key: join(dir, 'op/client.key'), all: join(dir, 'op/client-all.pem'), ca: join(dir, 'op/server_ca.pem') }
  const { config } = loadConfig({
    env: {},
    sets: [
      `octavia.agent.state_dir=${join(dir, 'agent')}`, `octavia.haproxy_amphora.client_cert=${paths.cert}`,
      `octavia.haproxy_amphora.client_cert_key=${paths.key}`, `octavia.haproxy_amphora.client_cert_all=${paths.all}`,
      `octavia.haproxy_amphora.server_ca=${paths.ca}`,
    ],
  })
  const issued = await controllerTlsMaterial(config, clock, join(dir, 'certs'))
  assert.match(readFileSync(paths.all, 'utf8'), /BEGIN CERTIFICATE[\s\S]*PRIVATE KEY/)
  assert.equal(readFileSync(paths.key, 'utf8'), issued.key)
  const read = await controllerTlsMaterial(config, clock, join(dir, 'other-ca'))
  assert.deepEqual(read, issued)
})
