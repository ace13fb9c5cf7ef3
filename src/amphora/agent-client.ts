import { Agent, request } from 'node:https'
import { setTimeout as sleep } from 'node:timers/promises'

// The controller's side of the host agent's API (docs/agent-api.md), over mutual TLS: the
// controller presents its client certificate and checks that the agent's certificate chains
// to server_ca and names the agent. Retries follow spec/amphora-agent.md §5.1: connection
// errors and non-JSON 404s (an agent not up yet) are retried, every other answer is final.

export interface AgentClientOptions {
  /** The agent's address and port (agents table). */
  address: string
  port: number
  /** The agent's name, which its server certificate carries (checked instead of the address). */
  name: string
  tls: { key: string; cert: string; ca: string }
  /** [haproxy_amphora] connection_max_retries / connection_retry_interval (seconds). */
  max_retries: number
  retry_interval: number
  /** [haproxy_amphora] rest_request_conn_timeout / rest_request_read_timeout (seconds). */
  conn_timeout: number
  read_timeout: number
}

/** What the agent says about one amphora. */
export interface AgentAmphora {
  id: string
  load_balancer_id: string | null
  desired: 'running' | 'stopped'
  running: boolean
  pid: number | null
  config_etag: string | null
  restarts: number
}

export interface AgentDetails {
  hostname: string
  name: string
  haproxy_version: string
  api_version: string
  capacity: number
  amphora_count: number
  haproxy_count: number
  cpu_count: number
  max_connections: number
  ping_wrapper: string
  /** The serial number (hex) and expiry (ISO 8601) of the certificate the agent serves. */
  cert_serial: string
  cert_expiration: string
  amphorae: AgentAmphora[]
}

/** An answer of the agent that is not a success: its status and the agent's message and details. */
export class AgentRequestFailed extends Error {
  constructor(readonly status: number, readonly agentMessage: string, readonly details: string | null) {
    super(`agent answered ${status}: ${agentMessage}${details ? `: ${details}` : ''}`)
  }
}

/** The agent could not be reached within the retries. */
export class AgentUnreachable extends Error {}

interface Answer {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: Buffer
}

export class AgentClient {
  readonly #agent: Agent

  constructor(private readonly options: AgentClientOptions) {
    this.#agent = new Agent({ keepAlive: true, maxSockets: 4, ...options.tls, servername: options.name })
  }

  close(): void {
    this.#agent.destroy()
  }

  async apiVersion(): Promise<string> {
    return (await this.#json<{ api_version: string }>('GET', '/')).api_version
  }

  info(): Promise<{ hostname: string; name: string; haproxy_version: string; api_version: string }> {
    return this.#json('GET', '/1.0/info')
  }

  details(): Promise<AgentDetails> {
    return this.#json('GET', '/1.0/details')
  }

  listAmphorae(): Promise<AgentAmphora[]> {
    return this.#json('GET', '/1.0/amphorae')
  }

  /** Creates the amphora on the agent; creating it again for the same load balancer is a no-op. */
  createAmphora(id: string, loadBalancerId: string | null): Promise<AgentAmphora> {
    return this.#json('PUT', `/1.0/amphorae/${encodeURIComponent(id)}`, JSON.stringify({ load_balancer_id: loadBalancerId }))
  }

  getAmphora(id: string): Promise<AgentAmphora> {
    return this.#json('GET', `/1.0/amphorae/${encodeURIComponent(id)}`)
  }

  async deleteAmphora(id: string): Promise<void> {
    await this.#json('DELETE', `/1.0/amphorae/${encodeURIComponent(id)}`)
  }

  /** Uploads a configuration (checked by the agent with `haproxy -c`; 400 with its output otherwise); returns its MD5. */
  async uploadConfig(id: string, config: string): Promise<string> {
    const answer = await this.#call('PUT', `/1.0/amphorae/${encodeURIComponent(id)}/haproxy`, config)
    return String(answer.headers.etag ?? '')
  }

  async getConfig(id: string): Promise<string | null> {
    const answer = await this.#send('GET', `/1.0/amphorae/${encodeURIComponent(id)}/haproxy`)
    if (answer.status === 404) return null
    if (answer.status >= 400) throw failure(answer)
    return answer.body.toString('utf8')
  }

  start(id: string): Promise<AgentAmphora> {
    return this.#action(id, 'start')
  }

  stop(id: string): Promise<AgentAmphora> {
    return this.#action(id, 'stop')
  }

  /** Hitless reload with the uploaded configuration (starts a stopped amphora). */
  reload(id: string): Promise<AgentAmphora> {
    return this.#action(id, 'reload')
  }

  /**
   * Upload and reload in one request: how every change reaches an amphora (400 when haproxy
   * refuses the configuration, the previous one staying active). An agent without that request
   * (older) gets the upload, then the reload.
   */
  async configure(id: string, config: string): Promise<AgentAmphora> {
    const answer = await this.#send('PUT', `/1.0/amphorae/${encodeURIComponent(id)}/configure`, config)
    if (answer.status < 400) return (JSON.parse(answer.body.toString('utf8')) as { amphora: AgentAmphora }).amphora
    const failed = failure(answer)
    if (failed.status !== 400 || failed.details !== 'Unknown action: configure') throw failed
    await this.uploadConfig(id, config)
    return this.reload(id)
  }

  /**
   * Gives the agent a new server certificate (PEM: certificate, then its private key); the agent
   * checks it (400 otherwise), stores it and serves it on new connections. Resolves its serial and expiry.
   */
  replaceServerCertificate(pem: string): Promise<{ serial: string; cert_expiration: string }> {
    return this.#json('PUT', '/1.0/certificate', pem)
  }

  async #action(id: string, action: 'start' | 'stop' | 'reload'): Promise<AgentAmphora> {
    return (await this.#json<{ amphora: AgentAmphora }>('PUT', `/1.0/amphorae/${encodeURIComponent(id)}/${action}`)).amphora
  }

  async #json<T>(method: string, path: string, body?: string): Promise<T> {
    return JSON.parse((await this.#call(method, path, body)).body.toString('utf8')) as T
  }

  async #call(method: string, path: string, body?: string): Promise<Answer> {
    const answer = await this.#send(method, path, body)
    if (answer.status >= 400) throw failure(answer)
    return answer
  }

  /** One request with the retry rules; any answer but a non-JSON 404 is returned as it is. */
  async #send(method: string, path: string, body?: string): Promise<Answer> {
    let lastError: unknown
    for (let attempt = 1; attempt <= this.options.max_retries; attempt++) {
      try {
        const answer = await this.#once(method, path, body)
        const json = String(answer.headers['content-type'] ?? '').startsWith('application/json')
        if (answer.status !== 404 || json) return answer
        lastError = new Error('agent not ready (404 without JSON)')
      } catch (err) {
        lastError = err
      }
      if (attempt < this.options.max_retries) await sleep(this.options.retry_interval * 1000)
    }
    throw new AgentUnreachable(`agent ${this.options.name} at ${this.options.address}:${this.options.port} unreachable: ${String(lastError)}`)
  }

  #once(method: string, path: string, body?: string): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const req = request({
        host: this.options.address, port: this.options.port, method, path, agent: this.#agent,
        headers: { 'user-agent': 'Octavia Agent Client/1.0', ...(body !== undefined ? { 'content-length': Buffer.byteLength(body) } : {}) },
        timeout: this.options.conn_timeout * 1000,
      }, (res) => {
        const chunks: Buffer[] = []
        res.setTimeout(this.options.read_timeout * 1000, () => res.destroy(new Error('read timeout')))
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }))
        res.on('error', reject)
      })
      req.on('timeout', () => req.destroy(new Error('connect timeout')))
      req.on('error', reject)
      req.end(body)
    })
  }
}

function failure(answer: Answer): AgentRequestFailed {
  try {
    const body = JSON.parse(answer.body.toString('utf8')) as { message?: string; error?: string; details?: string | null }
    return new AgentRequestFailed(answer.status, body.message ?? body.error ?? 'error', body.details ?? null)
  } catch {
    return new AgentRequestFailed(answer.status, answer.body.toString('utf8').slice(0, 200), null)
  }
}
