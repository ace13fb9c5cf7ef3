import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto'
import { createSecureContext } from 'node:tls'
import { InvalidRequest } from './agent-errors.ts'

// PUT /1.0/certificate (docs/agent-api.md): the controller hands the agent a new server
// certificate. Everything is checked before anything changes, because a wrong certificate
// would lock the controller out of this host: the controller checks the agent's certificate
// against its CA and the agent's name.

const SERVER_AUTH = '1.3.6.1.5.5.7.3.1'
/** Longest chain of intermediates from the bundle followed towards the CA. */
const MAX_CHAIN = 4

/** An accepted server certificate: the PEM to store, the pair to serve, and what identifies it. */
export interface ServerCertificate {
  /** Certificate(s) followed by the private key: what the agent stores (Octavia's form). */
  pem: string
  cert: string
  key: string
  serial: string
  expires_at: Date
}

function refused(details: string): InvalidRequest {
  return new InvalidRequest('Invalid request', details)
}

function pemBlocks(text: string): Array<{ label: string; pem: string }> {
  return [...text.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----[\s\S]+?-----END \1-----/g)].map((m) => ({ label: m[1]!, pem: `${m[0]}\n` }))
}

/** The certificates of a PEM text (a CA bundle may hold several); unreadable blocks are left out. */
function certificatesOf(text: string): X509Certificate[] {
  return pemBlocks(text).filter((b) => b.label === 'CERTIFICATE').flatMap((b) => {
    try {
      return [new X509Certificate(b.pem)]
    } catch {
      return []
    }
  })
}

function signs(issuer: X509Certificate, cert: X509Certificate): boolean {
  return cert.checkIssued(issuer) && cert.verify(issuer.publicKey)
}

/**
 * Checks an uploaded bundle (the server certificate, any intermediates, its unencrypted private
 * key) for the agent `name` whose CA is `ca`: one key that matches the first certificate, which
 * chains to the CA (directly or through the bundle's intermediates), is valid at `now`, is for
 * TLS servers and names the agent. Throws InvalidRequest (400) saying what is wrong.
 */
export function checkServerCertificate(body: string, { name, ca, now }: { name: string; ca: string; now: Date }): ServerCertificate {
  const blocks = pemBlocks(body)
  const certBlocks = blocks.filter((b) => b.label === 'CERTIFICATE')
  const keyBlocks = blocks.filter((b) => b.label.endsWith('PRIVATE KEY'))
  if (certBlocks.length === 0 || keyBlocks.length !== 1) {
    throw refused('the body must be a PEM certificate followed by its private key (one key)')
  }
  if (keyBlocks[0]!.label === 'ENCRYPTED PRIVATE KEY') throw refused('the private key must not be encrypted')
  let chain: X509Certificate[]
  let key: KeyObject
  try {
    chain = certBlocks.map((b) => new X509Certificate(b.pem))
  } catch (err) {
    throw refused(`the certificate cannot be read: ${(err as Error).message}`)
  }
  try {
    key = createPrivateKey(keyBlocks[0]!.pem)
  } catch (err) {
    throw refused(`the private key cannot be read: ${(err as Error).message}`)
  }
  const leaf = chain[0]!
  if (!leaf.checkPrivateKey(key)) throw refused('the private key does not match the certificate')
  if (!chainsTo(leaf, chain.slice(1), certificatesOf(ca))) throw refused("the certificate is not signed by this agent's CA")
  if (new Date(leaf.validFrom) > now) throw refused(`the certificate is not valid before ${new Date(leaf.validFrom).toISOString()}`)
  const expires_at = new Date(leaf.validTo)
  if (expires_at <= now) throw refused(`the certificate expired at ${expires_at.toISOString()}`)
  if (leaf.keyUsage !== undefined && !leaf.keyUsage.includes(SERVER_AUTH)) throw refused('the certificate is not for TLS servers (extended key usage)')
  if (leaf.checkHost(name) === undefined) throw refused(`the certificate does not name this agent (${name})`)
  const cert = certBlocks.map((b) => b.pem).join('')
  const keyPem = keyBlocks[0]!.pem
  try {
    // What the TLS server will be given must load as it is.
    createSecureContext({ cert, key: keyPem })
  } catch (err) {
    throw refused(`the certificate and key cannot serve TLS: ${(err as Error).message}`)
  }
  return { pem: `${cert}${keyPem}`, cert, key: keyPem, serial: leaf.serialNumber, expires_at }
}

/** Whether `leaf` is signed by one of `roots`, directly or through CA certificates of `intermediates`. */
function chainsTo(leaf: X509Certificate, intermediates: X509Certificate[], roots: X509Certificate[]): boolean {
  let current = leaf
  for (let depth = 0; depth <= MAX_CHAIN; depth++) {
    if (roots.some((root) => signs(root, current))) return true
    const next = intermediates.find((candidate) => candidate.ca && candidate !== current && signs(candidate, current))
    if (next === undefined) return false
    current = next
  }
  return false
}
