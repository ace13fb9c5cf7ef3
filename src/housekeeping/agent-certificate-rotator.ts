import type { Logger } from '../common/logger.ts'
import type { AgentRepository } from '../db/repositories/agent-repository.ts'
import type { Amphora, AmphoraRepository } from '../db/repositories/amphora-repository.ts'
import type { CertificateGenerator } from '../drivers/certificates/certificate-generator.ts'
import { agentCertificateSubject } from '../drivers/certificates/tls-material.ts'
import { UnknownHost, type ComputeDriver } from '../drivers/compute/local-agent-compute.ts'
import type { AmphoraCertificateRotator } from './certificate-rotation.ts'

export interface AgentCertificateRotatorOptions {
  agents: AgentRepository
  amphorae: AmphoraRepository
  compute: Pick<ComputeDriver, 'clientFor'>
  /** The local CA (certificates section) that the agents' certificates chain to. */
  ca: CertificateGenerator
  log: Logger
}

/**
 * Certificate rotation for amphorae on host agents (spec/flows.md §7.2, per host): an amphora is
 * reached through its agent's server certificate, so rotating it means the local CA signs the
 * agent a new one (same subject as the agent issues itself at start), which is pushed with
 * PUT /1.0/certificate (the agent swaps it in for new connections; haproxy is not touched), and
 * the new expiry is recorded on the agent and on all its amphorae, so that the agent's other
 * amphorae are not rotated again. Amphorae of one agent claimed at the same time share one rotation.
 */
export class AgentCertificateRotator implements AmphoraCertificateRotator {
  readonly #inFlight = new Map<string, Promise<Date>>()

  constructor(private readonly options: AgentCertificateRotatorOptions) {}

  rotate(amphora: Amphora): Promise<Date> {
    const agentId = amphora.compute_id
    if (agentId === null) return Promise.reject(new Error(`amphora ${amphora.id} runs on no host agent`))
    let rotation = this.#inFlight.get(agentId)
    if (rotation === undefined) {
      rotation = this.#rotateAgent(agentId, amphora).finally(() => this.#inFlight.delete(agentId))
      this.#inFlight.set(agentId, rotation)
    }
    return rotation
  }

  /**
   * Agents registered without a known certificate expiry (`octavia host register`) are asked for
   * it (GET /1.0/details, one attempt); amphorae allocated before it was known get it too.
   */
  async learnExpiries(): Promise<void> {
    const { agents, compute, log } = this.options
    for (const agent of await agents.withUnknownCertificateExpiry()) {
      try {
        const expiresAt = agent.cert_expiration ?? new Date((await (await compute.clientFor(agent.id, { quick: true })).details()).cert_expiration)
        if (Number.isNaN(expiresAt.getTime())) throw new Error('the agent does not report its certificate expiry')
        await agents.recordCertificate(agent.id, expiresAt)
        log.info({ agent_id: agent.id, name: agent.name, expires_at: expiresAt }, 'host agent certificate expiry recorded')
      } catch (err) {
        log.warn({ err, agent_id: agent.id, name: agent.name }, 'host agent certificate expiry unknown; its amphorae are not rotated')
      }
    }
  }

  async #rotateAgent(agentId: string, claimed: Amphora): Promise<Date> {
    const { agents, amphorae, compute, ca, log } = this.options
    // Another rotation of this agent recorded its new expiry on the amphora after the claim read it.
    const current = (await amphorae.get(claimed.id))?.cert_expiration ?? null
    if (current !== null && claimed.cert_expiration !== null && current.getTime() !== claimed.cert_expiration.getTime()) return current
    const agent = await agents.get(agentId)
    if (agent === undefined) throw new UnknownHost(agentId)
    const issued = await ca.issueServerCertificate(agentCertificateSubject(agent.name, agent.address))
    const client = await compute.clientFor(agent.id)
    const answer = await client.replaceServerCertificate(`${issued.certificate.trimEnd()}\n${issued.private_key}`)
    await agents.recordCertificate(agent.id, issued.expires_at)
    log.info({ agent_id: agent.id, name: agent.name, serial: answer.serial, expires_at: issued.expires_at }, 'host agent certificate rotated')
    return issued.expires_at
  }
}
