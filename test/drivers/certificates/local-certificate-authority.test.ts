import { test } from 'node:test'
import assert from 'node:assert/strict'
import { generateKeyPairSync, X509Certificate } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createServer, connect, type TLSSocket } from 'node:tls'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as x509 from '@peculiar/x509'
import { certificateExpiry, isIssuedBy } from '../../../src/drivers/certificates/certificate-files.ts'
import { ensureCertificateFiles } from '../../../src/drivers/certificates/ensure-certificate-files.ts'
import { LocalCertificateAuthority, type LocalCertificateAuthorityOptions } from '../../../src/drivers/certificates/local-certificate-authority.ts'
import { TestClock } from '../../helpers/test-clock.ts'

const DAY = 24 * 3600

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'octavia-ca-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

function options(dir: string, clock: TestClock, more: Partial<LocalCertificateAuthorityOptions> = {}): LocalCertificateAuthorityOptions {
  return { dir, ca_certificate: null, ca_private_key: null, ca_private_key_passphrase: null, signing_digest: 'sha256', cert_validity_time: 30 * DAY, clock, ...more }
}

test('a CA is generated on first use under its directory and reused afterwards', async (t) => {
  const dir = tempDir(t)
  const clock = new TestClock(new Date())
  const ca = await LocalCertificateAuthority.open(options(dir, clock))
  assert.equal(readFileSync(join(dir, 'ca.pem'), 'utf8').trim(), ca.ca_certificate.trim())
  assert.equal(statSync(join(dir, 'ca.key')).mode & 0o777, 0o600)
  const caCert = new X509Certificate(ca.ca_certificate)
  assert.equal(caCert.ca, true)
  const again = await LocalCertificateAuthority.open(options(dir, clock))
  assert.equal(again.ca_certificate, ca.ca_certificate)
})

test('server and client certificates carry their names, usage and expiry, and chain to the CA', async (t) => {
  const clock = new TestClock(new Date())
  const ca = await LocalCertificateAuthority.open(options(tempDir(t), clock, { cert_validity_time: 7 * DAY }))
  const server = await ca.issueServerCertificate({ common_name: 'agent-1', dns_names: ['agent-1'], ip_addresses: ['127.0.0.1'] })
  const cert = new X509Certificate(server.certificate)
  assert.equal(cert.subject, 'CN=agent-1')
  assert.match(cert.subjectAltName ?? '', /DNS:agent-1/)
  assert.match(cert.subjectAltName ?? '', /IP Address:127.0.0.1/)
  assert.equal(cert.ca, false)
  assert.ok(isIssuedBy(server.certificate, ca.ca_certificate))
  assert.deepEqual([...new x509.X509Certificate(server.certificate).getExtension(x509.ExtendedKeyUsageExtension)?.usages ?? []], [x509.ExtendedKeyUsage.serverAuth])
  // Expiry is cert_validity_time from the clock, to the second, and readable from the PEM.
  assert.equal(server.expires_at.getTime() / 1000, Math.floor(clock.now().getTime() / 1000) + 7 * DAY)
  assert.deepEqual(certificateExpiry(server.certificate), server.expires_at)
  const client = await ca.issueClientCertificate({ common_name: 'octavia-controller' })
  assert.deepEqual([...new x509.X509Certificate(client.certificate).getExtension(x509.ExtendedKeyUsageExtension)?.usages ?? []], [x509.ExtendedKeyUsage.clientAuth])

  // They work for mutual TLS, and a certificate from another CA does not.
  const foreign = await LocalCertificateAuthority.open(options(tempDir(t), clock))
  const stranger = await foreign.issueClientCertificate({ common_name: 'stranger' })
  const tlsServer = createServer({ key: server.private_key, cert: server.certificate, ca: ca.ca_certificate, requestCert: true, rejectUnauthorized: true },
    (socket) => socket.end('hello'))
  await new Promise<void>((done) => tlsServer.listen(0, '127.0.0.1', done))
  t.after(() => tlsServer.close())
  const port = (tlsServer.address() as { port: number }).port
  const talk = (key: string, certificate: string) => new Promise<string>((done, fail) => {
    const socket: TLSSocket = connect({ host: '127.0.0.1', port, servername: 'agent-1', key, cert: certificate, ca: ca.ca_certificate })
    let data = ''
    socket.on('data', (chunk) => (data += chunk))
    socket.on('end', () => done(data))
    socket.on('error', fail)
  })
  assert.equal(await talk(client.private_key, client.certificate), 'hello')
  // TLS 1.3 refuses a client after its handshake: an error or an empty end, never the greeting.
  assert.notEqual(await talk(stranger.private_key, stranger.certificate).catch(() => 'refused'), 'hello')
})

test("the operator's CA from the certificates section signs, RSA key with a passphrase", async (t) => {
  const dir = tempDir(t)
  const clock = new TestClock(new Date())
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const pkcs8 = privateKey.export({ type: 'pkcs8', format: 'der' })
  const rsa = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }
  const caPrivate = await crypto.subtle.importKey('pkcs8', pkcs8, rsa, true, ['sign'])
  const jwk = await crypto.subtle.exportKey('jwk', caPrivate)
  const caPublic = await crypto.subtle.importKey('jwk', { kty: jwk.kty, n: jwk.n, e: jwk.e }, rsa, true, ['verify'])
  const caCert = await x509.X509CertificateGenerator.createSelfSigned({
    name: 'CN=Operator CA', keys: { privateKey: caPrivate, publicKey: caPublic }, signingAlgorithm: rsa,
    extensions: [new x509.BasicConstraintsExtension(true, 0, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true)],
  })
  writeFileSync(join(dir, 'operator-ca.pem'), caCert.toString('pem'))
  writeFileSync(join(dir, 'operator-ca.key'), privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'secret' }))
  const ca = await LocalCertificateAuthority.open(options(join(dir, 'unused'), clock, {
    ca_certificate: join(dir, 'operator-ca.pem'), ca_private_key: join(dir, 'operator-ca.key'), ca_private_key_passphrase: 'secret',
  }))
  const server = await ca.issueServerCertificate({ common_name: 'agent-2', dns_names: ['agent-2'] })
  assert.ok(isIssuedBy(server.certificate, caCert.toString('pem')))
  await assert.rejects(LocalCertificateAuthority.open(options(dir, clock, { ca_certificate: join(dir, 'missing.pem'), ca_private_key: join(dir, 'missing.key') })))
})

test('certificate files are kept while current and replaced when foreign or expiring', async (t) => {
  const dir = tempDir(t)
  const clock = new TestClock(new Date())
  const ca = await LocalCertificateAuthority.open(options(join(dir, 'ca'), clock, { cert_validity_time: 30 * DAY }))
  const files = { cert: join(dir, 'client.pem'), key: join(dir, 'client.key'), all: join(dir, 'client-all.pem'), ca: join(dir, 'server_ca.pem') }
  const issue = () => ca.issueClientCertificate({ common_name: 'octavia-controller' })
  const ensure = () => ensureCertificateFiles(files, ca, issue, { now: clock.now(), renew_before_seconds: 14 * DAY })

  const first = await ensure()
  assert.equal(first.issued, true)
  assert.equal(readFileSync(files.ca, 'utf8').trim(), ca.ca_certificate.trim())
  assert.match(readFileSync(files.all, 'utf8'), /BEGIN CERTIFICATE[\s\S]*BEGIN PRIVATE KEY/)
  assert.equal(statSync(files.key).mode & 0o777, 0o600)
  assert.deepEqual(await ensure(), { expires_at: first.expires_at, issued: false })

  clock.advance(20 * DAY * 1000)
  const renewed = await ensure()
  assert.equal(renewed.issued, true)
  assert.ok(renewed.expires_at > first.expires_at)

  // One file holding certificate and key (Octavia's agent_server_cert form); a foreign one is replaced.
  const single = { cert: join(dir, 'server.pem'), key: null, all: null, ca: null }
  const foreign = await (await LocalCertificateAuthority.open(options(join(dir, 'other'), clock))).issueServerCertificate({ common_name: 'x' })
  writeFileSync(single.cert, `${foreign.certificate}${foreign.private_key}`)
  const replaced = await ensureCertificateFiles(single, ca, () => ca.issueServerCertificate({ common_name: 'agent' }), { now: clock.now(), renew_before_seconds: 0 })
  assert.equal(replaced.issued, true)
  assert.ok(isIssuedBy(readFileSync(single.cert, 'utf8'), ca.ca_certificate))
  assert.match(readFileSync(single.cert, 'utf8'), /BEGIN PRIVATE KEY/)
})
