import { X509Certificate } from 'node:crypto'
import { createServer, type Server } from 'node:https'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Logger } from '../common/logger.ts'
import { writePemFile } from '../drivers/certificates/certificate-files.ts'
import { AgentError, InvalidRequest } from './agent-errors.ts'
import type { AmphoraSupervisor } from './amphora-supervisor.ts'
import type { HostFacts } from './host-facts.ts'
import { checkServerCertificate } from './server-certificate.ts'

// The agent's REST API (docs/agent-api.md): version 1.0, over mutual TLS only. A client must
// present a certificate that chains to the configured CA, or the handshake fails.

export const AGENT_API_VERSION = '1.0'
const MAX_BODY_BYTES = 16 * 1024 * 1024

export interface AgentServerOptions {
  /** This agent's id (agent.name); its server certificate carries it. */
  name: string
  address: string
  port: number
  tls: AgentTls
  capacity: number
  supervisor: AmphoraSupervisor
  facts: () => HostFacts
  /** Absolute path of the PING monitor script on this host (renderer setting ping_wrapper). */
  ping_wrapper: string
  log: Logger
}

/**
 * The agent's TLS: its server certificate and key, the CA that client certificates (and a new
 * server certificate) must chain to, and the file that keeps the server certificate (certificate
 * then key), which PUT /1.0/certificate replaces.
 */
export interface AgentTls {
  key: string
  cert: string
  ca: string
  min_version: 'TLSv1.2' | 'TLSv1.3'
  file: string
}

/** What changes while the server runs: the certificate it presents. */
interface Live {
  server: Server
  serial: string
  expires_at: Date
}

interface Request {
  method: string
  parts: string[]
  body: () => Promise<Buffer>
}

interface Reply {
  status: number
  json?: unknown
  text?: string
  etag?: string
}

type Handler = (req: Request, options: AgentServerOptions, live: Live) => Promise<Reply> | Reply

const OK = { message: 'OK' }

/** [method, path pattern with {params}, handler]; params arrive in order. */
const ROUTES: [string, string, (params: string[]) => Handler][] = [
  ['GET', '/', () => () => ({ status: 200, json: { api_version: AGENT_API_VERSION } })],
  ['GET', '/1.0/info', () => (_req, o) => ({ status: 200, json: info(o) })],
  ['GET', '/1.0/details', () => (_req, o, live) => ({ status: 200, json: details(o, live) })],
  ['PUT', '/1.0/certificate', () => async (req, o, live) => {
    const next = checkServerCertificate((await req.body()).toString('utf8'), { name: o.name, ca: o.tls.ca, now: new Date() })
    // Stored first (whole, by rename), so a restarted agent serves what the controller now expects.
    writePemFile(o.tls.file, next.pem, 0o600)
    // New handshakes get the new certificate; connections already open keep theirs.
    live.server.setSecureContext({ key: next.key, cert: next.cert, ca: o.tls.ca, minVersion: o.tls.min_version })
    o.log.info({ serial: next.serial, expires_at: next.expires_at, previous_serial: live.serial }, 'agent server certificate replaced')
    live.serial = next.serial
    live.expires_at = next.expires_at
    return { status: 202, json: { message: 'OK', serial: next.serial, cert_expiration: next.expires_at.toISOString() } }
  }],
  ['GET', '/1.0/amphorae', () => (_req, o) => ({ status: 200, json: o.supervisor.list() })],
  ['PUT', '/1.0/amphorae/{amp}', ([id]) => async (req, o) => {
    const body = parseJson(await req.body()) as { load_balancer_id?: unknown }
    const lb = body.load_balancer_id ?? null
    if (lb !== null && typeof lb !== 'string') throw new InvalidRequest('Invalid request', 'load_balancer_id must be a string or null')
    const { created, amphora } = o.supervisor.create(id!, lb)
    return { status: created ? 201 : 200, json: amphora }
  }],
  ['GET', '/1.0/amphorae/{amp}', ([id]) => (_req, o) => ({ status: 200, json: o.supervisor.get(id!) })],
  ['DELETE', '/1.0/amphorae/{amp}', ([id]) => async (_req, o) => {
    await o.supervisor.delete(id!)
    return { status: 200, json: OK }
  }],
  ['PUT', '/1.0/amphorae/{amp}/haproxy', ([id]) => async (req, o) => {
    const { etag } = await o.supervisor.putConfig(id!, (await req.body()).toString('utf8'))
    return { status: 202, json: OK, etag }
  }],
  ['GET', '/1.0/amphorae/{amp}/haproxy', ([id]) => (_req, o) => {
    const config = o.supervisor.getConfig(id!)
    if (config === null) return { status: 404, json: { message: 'Configuration Not Found', details: `No configuration for amphora ${id}` } }
    return { status: 200, text: config.text, etag: config.etag }
  }],
  ['PUT', '/1.0/amphorae/{amp}/configure', ([id]) => async (req, o) => {
    const amphora = await o.supervisor.apply(id!, (await req.body()).toString('utf8'))
    return { status: 202, json: { message: 'OK', details: `Amphora ${id} configured`, amphora }, ...(amphora.config_etag ? { etag: amphora.config_etag } : {}) }
  }],
  ['PUT', '/1.0/amphorae/{amp}/{action}', ([id, action]) => async (_req, o) => {
    const verb = action!.toLowerCase()
    if (verb !== 'start' && verb !== 'stop' && verb !== 'reload') throw new InvalidRequest('Invalid Request', `Unknown action: ${action}`)
    const amphora = await o.supervisor[verb](id!)
    return { status: 202, json: { message: 'OK', details: `Amphora ${id} ${verb === 'stop' ? 'stopp' : verb}ed`, amphora } }
  }],
  ['PUT', '/1.0/amphorae/{amp}/certificates/{file}', ([id, file]) => async (req, o) => {
    const { etag } = o.supervisor.putCertificate(id!, file!, (await req.body()).toString('utf8'))
    return { status: 200, json: OK, etag }
  }],
  ['GET', '/1.0/amphorae/{amp}/certificates/{file}', ([id, file]) => (_req, o) => {
    const found = o.supervisor.getCertificate(id!, file!)
    if (found === null) return { status: 404, json: { message: 'Certificate Not Found', details: `No certificate with filename: ${file}` } }
    return { status: 200, json: found, etag: found.md5sum }
  }],
  ['DELETE', '/1.0/amphorae/{amp}/certificates/{file}', ([id, file]) => (_req, o) => {
    o.supervisor.deleteCertificate(id!, file!)
    return { status: 200, json: OK }
  }],
]

function info(o: AgentServerOptions) {
  const facts = o.facts()
  return { hostname: facts.hostname, name: o.name, haproxy_version: facts.haproxy_version, api_version: AGENT_API_VERSION }
}

function details(o: AgentServerOptions, live: Live) {
  const facts = o.facts()
  const amphorae = o.supervisor.list()
  return {
    ...info(o),
    active: true,
    cert_serial: live.serial,
    cert_expiration: live.expires_at.toISOString(),
    capacity: o.capacity,
    amphora_count: amphorae.length,
    haproxy_count: amphorae.filter((a) => a.running).length,
    cpu_count: facts.cpu_count,
    memory: facts.memory,
    load: facts.load,
    max_connections: facts.max_connections,
    ping_wrapper: o.ping_wrapper,
    amphorae,
  }
}

/** Starts the agent's HTTPS server; resolves once it listens. */
export async function startAgentServer(options: AgentServerOptions): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  const server = createServer({
    key: options.tls.key,
    cert: options.tls.cert,
    ca: options.tls.ca,
    requestCert: true,
    rejectUnauthorized: true,
    minVersion: options.tls.min_version,
  }, (req, res) => void handle(req, res, options, live))
  const current = new X509Certificate(options.tls.cert)
  const live: Live = { server, serial: current.serialNumber, expires_at: new Date(current.validTo) }
  server.on('tlsClientError', (err) => options.log.info({ err: err.message }, 'agent refused a TLS client'))
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port, options.address, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const port = (server.address() as AddressInfo).port
  return {
    server,
    port,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve())
      server.closeAllConnections()
    }),
  }
}

async function handle(req: IncomingMessage, res: ServerResponse, options: AgentServerOptions, live: Live): Promise<void> {
  const method = req.method ?? 'GET'
  // Octavia's controller asks for "//" (spec/amphora-agent.md §3.1).
  const path = (req.url ?? '/').split('?')[0]!.replace(/^\/+/, '/')
  let reply: Reply
  try {
    const parts = path.split('/').filter((p) => p !== '').map(decodeURIComponent)
    const match = route(method, parts)
    if (match === null) reply = { status: 404, json: { error: `404 Not Found: ${method} ${path}`, http_code: 404 } }
    else if (match === 'method') reply = { status: 405, json: { error: `405 Method Not Allowed: ${method} ${path}`, http_code: 405 } }
    else reply = await match({ method, parts, body: () => readBody(req) }, options, live)
  } catch (err) {
    if (err instanceof URIError) reply = { status: 404, json: { error: `404 Not Found: ${method} ${path}`, http_code: 404 } }
    else if (err instanceof AgentError) reply = { status: err.status, json: { message: err.message, details: err.details } }
    else {
      options.log.error({ err, method, path }, 'agent request failed')
      reply = { status: 500, json: { message: 'Internal Server Error', details: null } }
    }
  }
  const body = reply.text ?? JSON.stringify(reply.json)
  const headers: Record<string, string> = { 'content-type': reply.text !== undefined ? 'text/plain; charset=utf-8' : 'application/json' }
  if (reply.etag) headers.etag = reply.etag
  res.writeHead(reply.status, headers).end(body)
}

function route(method: string, parts: string[]): Handler | 'method' | null {
  let pathMatched = false
  for (const [verb, pattern, make] of ROUTES) {
    const want = pattern.split('/').filter((p) => p !== '')
    if (want.length !== parts.length) continue
    const params: string[] = []
    if (!want.every((w, i) => (w.startsWith('{') ? (params.push(parts[i]!), true) : w === parts[i]))) continue
    pathMatched = true
    if (verb === method) return make(params)
  }
  return pathMatched ? 'method' : null
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > MAX_BODY_BYTES) throw new InvalidRequest('Invalid request', `body larger than ${MAX_BODY_BYTES} bytes`)
    chunks.push(chunk)
  }
  return Buffer.concat(chunks)
}

function parseJson(body: Buffer): Record<string, unknown> {
  if (body.length === 0) return {}
  try {
    const value: unknown = JSON.parse(body.toString('utf8'))
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>
  } catch {
    // Fall through to the refusal below.
  }
  throw new InvalidRequest('Invalid request', 'the body must be a JSON object')
}
