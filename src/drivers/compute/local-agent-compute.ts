import { AgentClient, type AgentClientOptions } from '../../amphora/agent-client.ts'
import type { Executor } from '../../db/database.ts'
import type { Agent, AgentRepository } from '../../db/repositories/agent-repository.ts'
import type { AmphoraRepository } from '../../db/repositories/amphora-repository.ts'

/** The compute driver: where amphorae run and how to reach the host that runs one. */
export interface ComputeDriver {
  /**
   * The host for a new amphora; throws NoHostAvailable when every host is full or disabled. Hosts
   * in `avoid` (a failover's old host) are taken only when no other has room.
   */
  schedule(executor?: Executor, options?: { avoid?: readonly string[] }): Promise<Agent>
  /**
   * The API client of a registered host's agent (kept per host); throws UnknownHost for an unknown
   * one. `quick`: a single attempt (taking amphorae off a host that may be gone).
   */
  clientFor(agentId: string, options?: { quick?: boolean; executor?: Executor }): Promise<AgentClient>
  close(): void
}

export class NoHostAvailable extends Error {
  constructor() {
    super('no enabled host agent has room for another amphora')
  }
}

export class UnknownHost extends Error {
  constructor(agentId: string) {
    super(`host agent ${agentId} is not registered`)
  }
}

/** TLS material that changes while the process runs (ControllerCertificate). */
export interface RenewedTls {
  readonly tls: AgentClientOptions['tls']
  stop(): void
}

function isRenewed(tls: AgentClientOptions['tls'] | RenewedTls): tls is RenewedTls {
  return 'stop' in tls
}

export interface LocalAgentComputeOptions {
  agents: AgentRepository
  amphorae: AmphoraRepository
  /**
   * The controller's client certificate and the CA agents' certificates chain to: fixed, or kept
   * current by a ControllerCertificate, asked again for each new client so that a renewed
   * certificate is used from then on (and stopped with the driver).
   */
  tls: AgentClientOptions['tls'] | RenewedTls
  /** [haproxy_amphora] connection_max_retries, connection_retry_interval, rest_request_conn_timeout, rest_request_read_timeout. */
  retries: Pick<AgentClientOptions, 'max_retries' | 'retry_interval' | 'conn_timeout' | 'read_timeout'>
}

/**
 * Where a new amphora goes among the registered host agents (agents table): the enabled agent
 * with the most room left (capacity minus the amphorae it runs). Needs only the database, so
 * housekeeping schedules spares with it without the controller's agent credentials.
 */
export class AgentScheduler implements Pick<ComputeDriver, 'schedule'> {
  constructor(private readonly options: Pick<LocalAgentComputeOptions, 'agents' | 'amphorae'>) {}

  async schedule(executor?: Executor, options: { avoid?: readonly string[] } = {}): Promise<Agent> {
    const avoid = new Set(options.avoid ?? [])
    let best: { agent: Agent; room: number; avoided: boolean } | null = null
    for (const agent of await this.options.agents.list({ enabled: true }, executor)) {
      const running = (await this.options.amphorae.list({ compute_id: agent.id }, executor)).length
      const room = agent.capacity === null ? Number.MAX_SAFE_INTEGER - running : agent.capacity - running
      if (room <= 0) continue
      const candidate = { agent, room, avoided: avoid.has(agent.id) }
      // An avoided host loses to any other; otherwise the most room wins.
      if (best === null || (best.avoided && !candidate.avoided) || (best.avoided === candidate.avoided && room > best.room)) best = candidate
    }
    if (best === null) throw new NoHostAvailable()
    return best.agent
  }
}

/** How long clients made with a replaced certificate are kept for requests still under way (ms). */
const RETIRED_CLIENT_GRACE_MS = 10 * 60 * 1000

/**
 * Amphorae on the registered host agents (agents table), scheduled by AgentScheduler; an
 * amphora's compute_id names its agent.
 */
export class LocalAgentCompute implements ComputeDriver {
  #clients = new Map<string, AgentClient>()
  /** The TLS material the clients in #clients were made with. */
  #clientsTls: AgentClientOptions['tls'] | undefined
  /** Clients made with replaced material, each group with the timer that closes it. */
  readonly #retired = new Map<NodeJS.Timeout, AgentClient[]>()
  readonly #scheduler: AgentScheduler

  constructor(private readonly options: LocalAgentComputeOptions) {
    this.#scheduler = new AgentScheduler(options)
  }

  schedule(executor?: Executor, options: { avoid?: readonly string[] } = {}): Promise<Agent> {
    return this.#scheduler.schedule(executor, options)
  }

  async clientFor(agentId: string, options: { quick?: boolean; executor?: Executor } = {}): Promise<AgentClient> {
    const agent = await this.options.agents.get(agentId, options.executor)
    if (agent === undefined) throw new UnknownHost(agentId)
    const quick = options.quick === true
    const tls = isRenewed(this.options.tls) ? this.options.tls.tls : this.options.tls
    if (tls !== this.#clientsTls) this.#retireClients(tls)
    const key = `${agent.id}@${agent.address}:${agent.port}${quick ? '/quick' : ''}`
    let client = this.#clients.get(key)
    if (client === undefined) {
      const retries = quick ? { ...this.options.retries, max_retries: 1 } : this.options.retries
      client = new AgentClient({ address: agent.address, port: agent.port, name: agent.name, tls, ...retries })
      this.#clients.set(key, client)
    }
    return client
  }

  /** New material: new clients from now on; the old ones are closed once requests they carry have had time to end. */
  #retireClients(tls: AgentClientOptions['tls']): void {
    const old = [...this.#clients.values()]
    this.#clients = new Map()
    this.#clientsTls = tls
    if (old.length === 0) return
    const timer = setTimeout(() => {
      this.#retired.delete(timer)
      for (const client of old) client.close()
    }, RETIRED_CLIENT_GRACE_MS)
    timer.unref()
    this.#retired.set(timer, old)
  }

  close(): void {
    if (isRenewed(this.options.tls)) this.options.tls.stop()
    for (const client of this.#clients.values()) client.close()
    this.#clients.clear()
    for (const [timer, clients] of this.#retired) {
      clearTimeout(timer)
      for (const client of clients) client.close()
    }
    this.#retired.clear()
  }
}
