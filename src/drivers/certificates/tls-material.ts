import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Clock } from '../../common/clock.ts'
import { isWildcard, parseIp } from '../../config/ip-address.ts'
import type { OctaviaConfig } from '../../config/schema.ts'
import { certificateExpiry } from './certificate-files.ts'
import type { CertificateSubject } from './certificate-generator.ts'
import { ensureCertificateFiles } from './ensure-certificate-files.ts'
import { GENERATED_CA_DIR, openCertificateAuthority } from './open-certificate-authority.ts'

/** One side's TLS material for the controller ⇄ agent mutual TLS, as PEM text. */
export interface TlsMaterial {
  key: string
  cert: string
  /** The CA the peer's certificate must chain to. */
  ca: string
  /** When `cert` expires. */
  expires_at: Date
}

/** The agent's material, with the file that keeps its server certificate (certificate then key). */
export interface AgentTlsMaterial extends TlsMaterial {
  file: string
}

// Octavia's default paths: left at them with nothing there, the local CA provides instead.
const DEFAULT_CLIENT_CERT = '/etc/octavia/certs/client.pem'

/**
 * The agent's server certificate: the amphora_agent section's files when they exist
 * (operator-provisioned), otherwise one for agent.name signed by the local CA and kept under
 * agent.state_dir/tls, renewed within house_keeping.cert_expiry_buffer of its expiry.
 */
export async function agentTlsMaterial(config: OctaviaConfig, clock: Clock, caDir = GENERATED_CA_DIR): Promise<AgentTlsMaterial> {
  const { agent_server_cert, agent_server_ca } = config.amphora_agent
  if (existsSync(agent_server_cert) && existsSync(agent_server_ca)) {
    const pem = readFileSync(agent_server_cert, 'utf8')
    return { key: pem, cert: pem, ca: readFileSync(agent_server_ca, 'utf8'), expires_at: certificateExpiry(pem), file: agent_server_cert }
  }
  const ca = await openCertificateAuthority(config.certificates, clock, caDir)
  const dir = join(config.agent.state_dir, 'tls')
  const files = { cert: join(dir, 'server.pem'), key: null, all: null, ca: join(dir, 'client_ca.pem') }
  const { expires_at } = await ensureCertificateFiles(files, ca, () => ca.issueServerCertificate(agentCertificateSubject(config.agent.name, config.agent.bind.address)),
    { now: clock.now(), renew_before_seconds: config.house_keeping.cert_expiry_buffer })
  const pem = readFileSync(files.cert, 'utf8')
  return { key: pem, cert: pem, ca: ca.ca_certificate, expires_at, file: files.cert }
}

/**
 * Who an agent's server certificate is for: its name (what the controller checks), and the
 * address it listens on unless that is a wildcard. The agent at start and the controller's
 * rotation (agent-certificate-rotator.ts) issue the same.
 */
export function agentCertificateSubject(name: string, address: string): CertificateSubject {
  const parsed = parseIp(address)
  return { common_name: name, dns_names: [name], ip_addresses: parsed !== null && !isWildcard(parsed) ? [address] : [] }
}

/**
 * The controller's client certificate (haproxy_amphora: client_cert, client_cert_key,
 * client_cert_all, server_ca): the operator's files when client_cert exists; otherwise the
 * local CA signs one, written to the configured paths, or under the CA's directory when those
 * are Octavia's defaults.
 */
export async function controllerTlsMaterial(config: OctaviaConfig, clock: Clock, caDir = GENERATED_CA_DIR): Promise<TlsMaterial> {
  const ha = config.haproxy_amphora
  if (existsSync(ha.client_cert) && existsSync(ha.server_ca)) {
    const cert = readFileSync(ha.client_cert, 'utf8')
    const key = ha.client_cert_key !== null && existsSync(ha.client_cert_key) ? readFileSync(ha.client_cert_key, 'utf8') : cert
    return { key, cert, ca: readFileSync(ha.server_ca, 'utf8'), expires_at: certificateExpiry(cert) }
  }
  const ca = await openCertificateAuthority(config.certificates, clock, caDir)
  const local = ha.client_cert === DEFAULT_CLIENT_CERT
  const files = local
    ? { cert: join(caDir, 'controller.pem'), key: join(caDir, 'controller.key'), all: null, ca: null }
    : { cert: ha.client_cert, key: ha.client_cert_key, all: ha.client_cert_all, ca: ha.server_ca }
  const { expires_at } = await ensureCertificateFiles(files, ca, () => ca.issueClientCertificate({ common_name: 'octavia-controller' }),
    { now: clock.now(), renew_before_seconds: config.house_keeping.cert_expiry_buffer })
  const cert = readFileSync(files.cert, 'utf8')
  return { key: files.key === null ? cert : readFileSync(files.key, 'utf8'), cert, ca: ca.ca_certificate, expires_at }
}
