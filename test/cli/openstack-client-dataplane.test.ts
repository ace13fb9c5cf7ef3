import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes, X509Certificate } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { createServer as createHttpsServer, request as httpsRequest } from 'node:https'
import { connect, createServer as createTcpServer, type AddressInfo, type Server, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TLSSocket } from 'node:tls'
import { systemClock } from '../../src/common/clock.ts'
import { LocalCertificateAuthority } from '../../src/drivers/certificates/local-certificate-authority.ts'
import { echoBackend, get, httpBackend } from '../agent/agent-harness.ts'
import { startUpWithDataPlane } from '../helpers/data-plane-up.ts'
import { openstack, openstackJson } from '../helpers/openstack-client.ts'
import { until } from '../helpers/wait.ts'

/** How long and how often the waits below probe. */
const WAIT = { timeoutMs: 60_000, intervalMs: 100, ignoreErrors: true }

// A tenant's view of the data plane: the real `openstack loadbalancer` client builds load
// balancers on `octavia up`, and the traffic through their VIPs is real (haproxy amphorae run by
// `octavia up`'s own agent, backends on loopback addresses). Each client call costs 1-2 CPU
// seconds of Python start-up and `--wait` sleeps 3 s between looks, so only the first tree is
// built with `--wait`; later changes are awaited by polling the API, and two load balancers are
// built side by side.

type Json = Record<string, unknown>

interface Reply {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

/** One HTTP request over a new connection (from `localAddress` when given). */
function fetchOnce(url: string, options: { localAddress?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    httpRequest(url, { agent: false, headers: { connection: 'close' }, ...options }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (body += chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
      res.on('error', reject)
    }).on('error', reject).end()
  })
}

/**
 * Writes `payload` over a new TCP connection from `localAddress` and half-closes it; resolves with
 * everything that came back before the other side closed, and whether it closed with an error.
 */
function exchange(host: string, port: number, payload: Buffer, localAddress?: string): Promise<{ data: Buffer; error: string | null }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    let error: string | null = null
    const socket = connect({ host, port, ...(localAddress ? { localAddress } : {}) })
    socket.on('data', (chunk: Buffer) => chunks.push(chunk))
    socket.on('error', (err: NodeJS.ErrnoException) => (error = err.code ?? err.message))
    socket.on('close', () => resolve({ data: Buffer.concat(chunks), error }))
    socket.end(payload)
  })
}

/** Polls `probe` (every 100 ms, up to a generous bound) until it returns a value. */

/**
 * A TCP backend for PROXY-protocol pools: it reads what HAProxy sends before the client's bytes
 * (a PROXY v1 line or a v2 binary header), answers with it decoded as JSON, and closes.
 */
async function proxyProtocolBackend(t: TestContext, address: string): Promise<number> {
  const sockets = new Set<Socket>()
  const server: Server = createTcpServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    let buffered: Buffer | null = Buffer.alloc(0)
    socket.on('data', (chunk: Buffer) => {
      if (buffered === null) return // answered; the client's own bytes that follow do not matter
      buffered = Buffer.concat([buffered, chunk])
      const header = decodeProxyHeader(buffered)
      if (header === null) return
      buffered = null
      socket.end(JSON.stringify(header))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, address, resolve))
  t.after(() => new Promise<void>((resolve) => {
    for (const s of sockets) s.destroy()
    server.close(() => resolve())
  }))
  return (server.address() as AddressInfo).port
}

const PROXY_V2_SIGNATURE = Buffer.from('0d0a0d0a000d0a515549540a', 'hex')

interface ProxyHeader {
  version: 1 | 2
  source: string
  destination: string
  sourcePort: number
  destinationPort: number
}

/** The PROXY header at the start of `data` (TCP over IPv4), or null while it is incomplete. */
function decodeProxyHeader(data: Buffer): ProxyHeader | null {
  if (data.subarray(0, 12).equals(PROXY_V2_SIGNATURE)) {
    if (data.length < 16) return null
    const length = data.readUInt16BE(14)
    if (data.length < 16 + length) return null
    assert.equal(data[12], 0x21, 'PROXY v2, command PROXY')
    assert.equal(data[13], 0x11, 'TCP over IPv4')
    const ip = (offset: number) => [...data.subarray(offset, offset + 4)].join('.')
    return { version: 2, source: ip(16), destination: ip(20), sourcePort: data.readUInt16BE(24), destinationPort: data.readUInt16BE(26) }
  }
  const end = data.indexOf('\r\n')
  if (end < 0) return null
  const [word, family, source, destination, sourcePort, destinationPort] = data.subarray(0, end).toString('latin1').split(' ')
  assert.deepEqual([word, family], ['PROXY', 'TCP4'])
  return { version: 1, source: source!, destination: destination!, sourcePort: Number(sourcePort), destinationPort: Number(destinationPort) }
}

/** A server certificate for `ip`, signed by a CA generated for this test. */
async function serverCertificate(t: TestContext, ip: string): Promise<{ key: string; cert: string; ca: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'octavia-tls-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const ca = await LocalCertificateAuthority.open({
    dir, ca_certificate: null, ca_private_key: null, ca_private_key_passphrase: null,
    signing_digest: 'sha256', cert_validity_time: 3600, clock: systemClock,
  })
  const issued = await ca.issueServerCertificate({ common_name: 'backend.test', ip_addresses: [ip] })
  return { key: issued.private_key, cert: issued.certificate, ca: ca.ca_certificate }
}

test('the openstack client builds load balancers on `octavia up` whose VIPs carry real traffic', { concurrency: 2 }, async (t) => {
  const up = await startUpWithDataPlane(t, { sets: ['octavia.health_manager.heartbeat_interval=1'] })
  const { endpoint } = up
  const cli = (args: string[]) => openstackJson(endpoint, ['loadbalancer', ...args])
  /** A command that prints nothing (set, unset); fails with the client's stderr. */
  const run = async (args: string[]) => {
    const res = await openstack(endpoint, ['loadbalancer', ...args])
    assert.equal(res.code, 0, `openstack loadbalancer ${args.join(' ')}: ${res.stderr}`)
  }
  const show = async (path: string): Promise<Json> => {
    const res = await fetch(`${endpoint}/v2/lbaas/${path}`)
    assert.equal(res.status, 200, `GET ${path}: ${await res.clone().text()}`)
    return Object.values(await res.json() as Record<string, Json>)[0]!
  }
  /** The load balancer settled after a change made without --wait (ERROR fails at once). */
  const settled = async (lbId: string) => {
    const lb = await until(`load balancer ${lbId} settled`, async () => {
      const lb = await show(`loadbalancers/${lbId}`)
      return String(lb.provisioning_status).startsWith('PENDING_') ? undefined : lb
    }, WAIT)
    assert.equal(lb.provisioning_status, 'ACTIVE')
  }

  const web = t.test('HTTP: round robin, a disabled member, a dead backend taken out by its health monitor, L7 policies', async (t) => {
    const a = await httpBackend(t, '127.0.0.2', 'a')
    const b = await httpBackend(t, '127.0.0.3', 'b')
    const c = await httpBackend(t, '127.0.0.4', 'c')

    const lb = await cli(['create', '--name', 'web', '--vip-subnet-id', 'local', '--wait'])
    assert.equal(lb.provisioning_status, 'ACTIVE')
    const lbId = String(lb.id)
    const vip = String(lb.vip_address)
    const listener = await cli(['listener', 'create', '--name', 'http', '--protocol', 'HTTP', '--protocol-port', '8080', 'web', '--wait'])
    assert.equal(listener.provisioning_status, 'ACTIVE')
    const pool = await cli(['pool', 'create', '--name', 'app', '--listener', 'http', '--protocol', 'HTTP', '--lb-algorithm', 'ROUND_ROBIN', '--wait'])
    assert.equal(pool.provisioning_status, 'ACTIVE')
    const memberA = await cli(['member', 'create', '--name', 'a', '--address', '127.0.0.2', '--protocol-port', String(a.port), 'app', '--wait'])
    const memberB = await cli(['member', 'create', '--name', 'b', '--address', '127.0.0.3', '--protocol-port', String(b.port), 'app', '--wait'])
    assert.deepEqual([memberA.provisioning_status, memberB.provisioning_status], ['ACTIVE', 'ACTIVE'])
    const hm = await cli(['healthmonitor', 'create', '--delay', '1', '--timeout', '1', '--max-retries', '1', '--max-retries-down', '1',
      '--type', 'HTTP', '--url-path', '/', 'app', '--wait'])
    assert.equal(hm.provisioning_status, 'ACTIVE')

    // Round robin over both members: each answers every other request.
    const url = `http://${vip}:8080/`
    const answers = async (n: number) => {
      const out: string[] = []
      for (let i = 0; i < n; i++) out.push(await get(url))
      return out
    }
    const six = await answers(6)
    assert.deepEqual(six.filter((x) => x === 'a').length, 3, six.join(','))
    assert.deepEqual(six.filter((x) => x === 'b').length, 3, six.join(','))
    for (let i = 1; i < six.length; i++) assert.notEqual(six[i], six[i - 1], `round robin alternates: ${six.join(',')}`)

    // A disabled member gets no traffic.
    await run(['member', 'set', '--disable', 'app', 'a'])
    await settled(lbId)
    assert.deepEqual(await answers(6), ['b', 'b', 'b', 'b', 'b', 'b'])
    await run(['member', 'set', '--enable', 'app', 'a'])
    await settled(lbId)
    await until('member a back in rotation', async () => ((await answers(2)).includes('a') ? true : undefined), WAIT)

    // A backend that dies: its health check takes it out, the other one answers everything, and
    // the heartbeats carry its state to the member's operating status.
    await new Promise<void>((resolve) => {
      b.server.close(() => resolve())
      b.server.closeAllConnections()
    })
    await until('only a answering', async () => ((await answers(4)).every((x) => x === 'a') ? true : undefined), WAIT)
    assert.deepEqual(await answers(6), ['a', 'a', 'a', 'a', 'a', 'a'])
    await until('member b ERROR', async () =>
      ((await show(`pools/${String(pool.id)}/members/${String(memberB.id)}`)).operating_status === 'ERROR' ? true : undefined), WAIT)
    const members = await openstackJson<Json[]>(endpoint, ['loadbalancer', 'member', 'list', 'app'])
    assert.deepEqual(members.map((m) => [m.name, m.operating_status]).sort(), [['a', 'ONLINE'], ['b', 'ERROR']])

    // L7 policies, each with one PATH rule. (The client's `l7rule create --wait` reads the rule
    // back with the ids swapped, so rules are awaited through the API.)
    const api = await cli(['pool', 'create', '--name', 'api', '--loadbalancer', 'web', '--protocol', 'HTTP', '--lb-algorithm', 'ROUND_ROBIN'])
    await settled(lbId)
    await cli(['member', 'create', '--address', '127.0.0.4', '--protocol-port', String(c.port), String(api.id)])
    await settled(lbId)
    const policies: Array<{ name: string; action: string[]; path: string }> = [
      { name: 'moved', action: ['--action', 'REDIRECT_TO_URL', '--redirect-url', 'http://example.com/new'], path: '/old' },
      { name: 'private', action: ['--action', 'REJECT'], path: '/admin' },
      { name: 'to-api', action: ['--action', 'REDIRECT_TO_POOL', '--redirect-pool', 'api'], path: '/api' },
    ]
    for (const policy of policies) {
      await cli(['l7policy', 'create', '--name', policy.name, ...policy.action, 'http'])
      await settled(lbId)
      await cli(['l7rule', 'create', '--type', 'PATH', '--compare-type', 'STARTS_WITH', '--value', policy.path, policy.name])
      await settled(lbId)
    }
    const moved = await fetchOnce(`http://${vip}:8080/old/page`)
    assert.deepEqual([moved.status, moved.headers.location], [302, 'http://example.com/new'])
    const denied = await fetchOnce(`http://${vip}:8080/admin/users`)
    assert.equal(denied.status, 403)
    const routed = await fetchOnce(`http://${vip}:8080/api/v1`)
    assert.deepEqual([routed.status, routed.body], [200, 'c'])
    const rest = await fetchOnce(`http://${vip}:8080/other`)
    assert.deepEqual([rest.status, rest.body], [200, 'a'])
  })

  const raw = t.test('TCP, HTTPS passthrough, PROXY and PROXY v2 pools, allowed CIDRs', async (t) => {
    const lb = await cli(['create', '--name', 'raw', '--vip-subnet-id', 'local', '--wait'])
    assert.equal(lb.provisioning_status, 'ACTIVE')
    const lbId = String(lb.id)
    const vip = String(lb.vip_address)
    /** A listener on `port`, its default pool and one member, each awaited through the API. */
    const tree = async (name: string, listenerProtocol: string, port: number, poolProtocol: string, member: { address: string; port: number }) => {
      await cli(['listener', 'create', '--name', name, '--protocol', listenerProtocol, '--protocol-port', String(port), 'raw'])
      await settled(lbId)
      const pool = await cli(['pool', 'create', '--name', `${name}-pool`, '--listener', name, '--protocol', poolProtocol, '--lb-algorithm', 'ROUND_ROBIN'])
      await settled(lbId)
      await cli(['member', 'create', '--address', member.address, '--protocol-port', String(member.port), String(pool.id)])
      await settled(lbId)
    }

    // TCP: random bytes come back intact from an echo backend.
    await tree('echo', 'TCP', 9000, 'TCP', { address: '127.0.0.5', port: await echoBackend(t, '127.0.0.5') })
    const payload = randomBytes(256 * 1024)
    const echoed = await exchange(vip, 9000, payload)
    assert.equal(echoed.error, null)
    assert.ok(echoed.data.equals(payload), `${echoed.data.length} of ${payload.length} bytes came back intact`)

    // HTTPS passthrough: the client's TLS session ends at the backend, whose certificate it sees.
    const tls = await serverCertificate(t, vip)
    const httpsServer = createHttpsServer({ key: tls.key, cert: tls.cert }, (req, res) => {
      let body = ''
      req.setEncoding('utf8')
      req.on('data', (chunk: string) => (body += chunk))
      req.on('end', () => res.end(`${req.method ?? ''} ${req.url ?? ''} ${body}`))
    })
    await new Promise<void>((resolve) => httpsServer.listen(0, '127.0.0.8', resolve))
    t.after(() => new Promise<void>((resolve) => {
      httpsServer.close(() => resolve())
      httpsServer.closeAllConnections()
    }))
    await tree('tls', 'HTTPS', 9443, 'HTTPS', { address: '127.0.0.8', port: (httpsServer.address() as AddressInfo).port })
    const secure = await new Promise<{ body: string; fingerprint: string }>((resolve, reject) => {
      const req = httpsRequest(`https://${vip}:9443/upload?x=1`, { method: 'POST', ca: tls.ca, agent: false }, (res) => {
        const fingerprint = (res.socket as TLSSocket).getPeerCertificate().fingerprint256
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => (body += chunk))
        res.on('end', () => resolve({ body, fingerprint }))
      })
      req.on('error', reject)
      req.end('the request body')
    })
    assert.equal(secure.body, 'POST /upload?x=1 the request body')
    assert.equal(secure.fingerprint, new X509Certificate(tls.cert).fingerprint256)

    // PROXY protocol v1 and v2: the backend learns the client's own address and port.
    await tree('proxy', 'TCP', 9100, 'PROXY', { address: '127.0.0.9', port: await proxyProtocolBackend(t, '127.0.0.9') })
    await tree('proxy2', 'TCP', 9200, 'PROXYV2', { address: '127.0.0.10', port: await proxyProtocolBackend(t, '127.0.0.10') })
    for (const [port, version] of [[9100, 1], [9200, 2]] as const) {
      const sourcePorts: number[] = []
      const socket = connect({ host: vip, port, localAddress: '127.0.0.7' })
      socket.on('connect', () => sourcePorts.push(socket.localPort!))
      const reply = await new Promise<string>((resolve, reject) => {
        let text = ''
        socket.setEncoding('utf8')
        socket.on('data', (chunk: string) => (text += chunk))
        socket.on('end', () => resolve(text))
        socket.on('error', reject)
        socket.write('hello')
      })
      socket.destroy()
      assert.deepEqual(JSON.parse(reply), { version, source: '127.0.0.7', destination: vip, sourcePort: sourcePorts[0], destinationPort: port })
    }

    // allowed_cidrs: only 127.0.0.5/32 may connect to the echo listener.
    await run(['listener', 'set', '--allowed-cidr', '127.0.0.5/32', 'echo'])
    await settled(lbId)
    const allowed = await exchange(vip, 9000, Buffer.from('let me in'), '127.0.0.5')
    assert.deepEqual([allowed.data.toString(), allowed.error], ['let me in', null])
    const refused = await exchange(vip, 9000, Buffer.from('let me in'), '127.0.0.6')
    assert.equal(refused.data.length, 0, 'nothing comes back to a source outside the allowed CIDRs')
  })

  await Promise.all([web, raw])
})
