import { InvalidInput } from '../../common/errors.ts'
import { TLS_VERSIONS, type OctaviaConfig } from '../../config/schema.ts'

// The rules a listener and a pool both apply: which pool protocols a listener sends traffic to
// (spec/api-v2.md §9.2) and the TLS option checks of §9.3 items 9 and 14, which §10.3/§10.4
// reuse for pools.

type Settings = OctaviaConfig['api_settings']

/** spec/api-v2.md §9.2: the pool protocols a listener of each protocol may use (PROMETHEUS takes no pool). */
export const POOL_PROTOCOLS_BY_LISTENER_PROTOCOL: Readonly<Record<string, readonly string[]>> = {
  HTTP: ['HTTP', 'PROXY', 'PROXYV2'],
  HTTPS: ['HTTPS', 'PROXY', 'PROXYV2', 'TCP'],
  TCP: ['HTTP', 'HTTPS', 'PROXY', 'PROXYV2', 'TCP'],
  TERMINATED_HTTPS: ['HTTP', 'PROXY', 'PROXYV2'],
  UDP: ['UDP'],
  SCTP: ['SCTP'],
  PROMETHEUS: [],
}

const CIPHER_CHARACTERS = /^[A-Za-z0-9\-+!:@=_.]*$/

const validation = (detail: string) => new InvalidInput(`Validation failure: ${detail}`)

/** A PROMETHEUS listener has no default pool, L7 policy or pool naming it (spec/api-v2.md §9.2). */
export function checkListenerTakesChildren(listenerProtocol: string): void {
  if (listenerProtocol === 'PROMETHEUS') throw new InvalidInput('Protocol PROMETHEUS listeners cannot have child objects.')
}

/** spec/api-v2.md §9.2: the pool's protocol must be one the listener's protocol sends traffic to. */
export function checkPoolProtocolForListener(listenerProtocol: string, poolProtocol: string): void {
  if (!(POOL_PROTOCOLS_BY_LISTENER_PROTOCOL[listenerProtocol] ?? []).includes(poolProtocol)) {
    throw validation(`The pool protocol '${poolProtocol}' is invalid while the listener protocol is '${listenerProtocol}'.`)
  }
}

/** spec/api-v2.md §9.3 item 9: allowed characters, then the operator's prohibit list. Empty or absent passes. */
export function checkCiphers(ciphers: string | null | undefined, settings: Settings): void {
  if (!ciphers) return
  if (!CIPHER_CHARACTERS.test(ciphers)) {
    throw validation('Invalid characters in cipher string. Only alphanumeric, -, +, !, :, @, =, _, and . are allowed.')
  }
  const prohibited = new Set(settings.tls_cipher_prohibit_list.split(':').filter((c) => c !== ''))
  const rejected = ciphers.split(':').filter((c) => prohibited.has(c))
  if (rejected.length > 0) throw validation(`The following ciphers have been prohibited by an administrator: ${rejected.join(', ')}`)
}

/** spec/api-v2.md §9.3 item 14: non-empty, known versions, none below the configured minimum. */
export function checkTlsVersions(versions: readonly string[], settings: Settings): void {
  if (versions.length === 0) {
    throw validation('Empty TLS version list. Either specify at least one TLS version or remove this parameter to use the default.')
  }
  const known: readonly string[] = TLS_VERSIONS
  const invalid = versions.filter((v) => !known.includes(v))
  if (invalid.length > 0) throw validation(`Invalid TLS versions: ${invalid.join(', ')}`)
  const minimum = settings.minimum_tls_version
  if (minimum) {
    const below = versions.filter((v) => known.indexOf(v) < known.indexOf(minimum))
    if (below.length > 0) throw validation(`Requested TLS versions are less than the minimum: ${below.join(', ')} < ${minimum}`)
  }
}

/** spec/api-v2.md §9.3 item 14. Values are checked by their type; the amphora provider's own ALPN set (§7) is the same. */
export function checkAlpnProtocols(protocols: readonly string[]): void {
  if (protocols.length === 0) {
    throw validation('Empty ALPN protocol list. Either specify at least one ALPN protocol or remove this parameter to use the default.')
  }
}
