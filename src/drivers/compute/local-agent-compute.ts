import { AgentClient, type AgentClientOptions } from '../../amphora/agent-client.ts'
import type { Executor } from '../../db/database.ts'
import type { Agent, AgentRepository } from '../../db/repositories/agent-repository.ts'
import type { AmphoraRepository } from '../../db/repositories/amphora-repository.ts'

/** The compute driver: where amphorae run and how to reach the host that runs one. */
export interface ComputeDriver {
  /** The host for a new amphora; throws NoHostAvailable when every host is full or disabled. */
  schedule(executor?: Executor): Promise<Agent>
  /** The API client of a registered host's agent (one per host, kept); throws UnknownHost for an unknown one. */
  clientFor(agentId: string, executor?: Executor): Promise<AgentClient>
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

export interface LocalAgentComputeOptions {
  agents: AgentRepository
  amphorae: AmphoraRepository
  /** The controller's client certificate and the CA agents' certificates chain to. */
  tls: AgentClientOptions['tls']
  /** [haproxy_amphora] connection_max_retries, connection_retry_interval, rest_request_conn_timeout, rest_request_read_timeout. */
  retries: Pick<AgentClientOptions, 'max_retries' | 'retry_interval' | 'conn_timeout' | 'read_timeout'>
}

/**
 * Amphorae on the registered host agents (agents table): a new one goes to the enabled agent
 * with the most room left (capacity minus the amphorae it runs); an amphora's compute_id names
 * its agent.
 */
export class LocalAgentCompute implements ComputeDriver {
  #clients = new Map<string, AgentClient>()

  constructor(private readonly options: LocalAgentComputeOptions) {}

  async schedule(executor?: Executor): Promise<Agent> {
    let best: { agent: Agent; room: number } | null = null
    for (const agent of await this.options.agents.list({ enabled: true }, executor)) {
      const running = (await this.options.amphorae.list({ compute_id: agent.id }, executor)).length
      const room = agent.capacity === null ? Number.MAX_SAFE_INTEGER - running : agent.capacity - running
      if (room > 0 && (best === null || room > best.room)) best = { agent, room }
    }
    if (best === null) throw new NoHostAvailable()
    return best.agent
  }

  async clientFor(agentId: string, executor?: Executor): Promise<AgentClient> {
    const agent = await this.options.agents.get(agentId, executor)
    if (agent === undefined) throw new UnknownHost(agentId)
    const key = `${agent.id}@${agent.address}:${agent.port}`
    let client = this.#clients.get(key)
    if (client === undefined) {
      client = new AgentClient({ address: agent.address, port: agent.port, name: agent.name, tls: this.options.tls, ...this.options.retries })
      this.#clients.set(key, client)
    }
    return client
  }

  close(): void {
    for (const client of this.#clients.values()) client.close()
    this.#clients.clear()
  }
}
