import { createPrivateKey, randomBytes, type KeyObject, type webcrypto } from 'node:crypto'
import { join } from 'node:path'
import * as x509 from '@peculiar/x509'
import type { Clock } from '../../common/clock.ts'
import type { CertificateGenerator, CertificateSubject, IssuedCertificate } from './certificate-generator.ts'
import { certificateExpiry, readPemFile, writePemFile } from './certificate-files.ts'

x509.cryptoProvider.set(globalThis.crypto)

type CryptoKey = webcrypto.CryptoKey
type Algorithm = webcrypto.Algorithm
const SUBTLE = globalThis.crypto.subtle
const HASH = { sha1: 'SHA-1', sha224: 'SHA-224', sha256: 'SHA-256', sha384: 'SHA-384', sha512: 'SHA-512' } as const
/** Keys we generate: P-256 signs and handshakes fast and every TLS stack here speaks it. */
const LEAF_KEY = { name: 'ECDSA', namedCurve: 'P-256' } as const
/** A CA generated here lives ten years; what it signs lives cert_validity_time. */
const GENERATED_CA_SECONDS = 10 * 365 * 24 * 3600

export interface LocalCertificateAuthorityOptions {
  /** Where a generated CA is kept (ca.pem, ca.key); ./var/certs by default. */
  dir: string
  /** The operator's CA (config section certificates); null = generate one under `dir` on first use. */
  ca_certificate: string | null
  ca_private_key: string | null
  ca_private_key_passphrase: string | null
  signing_digest: keyof typeof HASH
  /** Seconds a signed certificate is valid (certificates.cert_validity_time). */
  cert_validity_time: number
  clock: Clock
}

/** Octavia's local_cert_generator: a CA whose key is on this host signs the mTLS certificates. */
export class LocalCertificateAuthority implements CertificateGenerator {
  private constructor(
    readonly ca_certificate: string,
    private readonly caCert: x509.X509Certificate,
    private readonly caKey: CryptoKey,
    private readonly signingAlgorithm: Algorithm,
    private readonly options: LocalCertificateAuthorityOptions,
  ) {}

  /** Loads the operator's CA, or the one generated earlier under `dir`, or generates it. */
  static async open(options: LocalCertificateAuthorityOptions): Promise<LocalCertificateAuthority> {
    const hash = HASH[options.signing_digest]
    const certPath = options.ca_certificate ?? join(options.dir, 'ca.pem')
    const keyPath = options.ca_private_key ?? join(options.dir, 'ca.key')
    let certPem = readPemFile(certPath)
    let keyPem = readPemFile(keyPath)
    if (certPem === null || keyPem === null) {
      if (options.ca_certificate !== null) throw new Error(`certificates: the CA certificate ${certPath} or its key ${keyPath} cannot be read`)
      ;({ certPem, keyPem } = await generateCa(options.clock, hash))
      writePemFile(keyPath, keyPem, 0o600)
      writePemFile(certPath, certPem, 0o644)
    }
    const keyObject = createPrivateKey({ key: keyPem, ...(options.ca_private_key_passphrase ? { passphrase: options.ca_private_key_passphrase } : {}) })
    const algorithm = signingAlgorithmOf(keyObject, hash)
    const der = keyObject.export({ type: 'pkcs8', format: 'der' })
    const caKey = await SUBTLE.importKey('pkcs8', der, algorithm, false, ['sign'])
    if (!certPem.endsWith('\n')) certPem += '\n'
    return new LocalCertificateAuthority(certPem, new x509.X509Certificate(certPem), caKey, algorithm, options)
  }

  issueServerCertificate(subject: CertificateSubject): Promise<IssuedCertificate> {
    return this.issue(subject, x509.ExtendedKeyUsage.serverAuth)
  }

  issueClientCertificate(subject: CertificateSubject): Promise<IssuedCertificate> {
    return this.issue(subject, x509.ExtendedKeyUsage.clientAuth)
  }

  private async issue(subject: CertificateSubject, usage: x509.ExtendedKeyUsage): Promise<IssuedCertificate> {
    const keys = await SUBTLE.generateKey(LEAF_KEY, true, ['sign', 'verify'])
    const now = this.options.clock.now()
    const notAfter = new Date(now.getTime() + this.options.cert_validity_time * 1000)
    const names = [
      ...(subject.dns_names ?? []).map((value) => ({ type: 'dns' as const, value })),
      ...(subject.ip_addresses ?? []).map((value) => ({ type: 'ip' as const, value })),
    ]
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serialNumber(),
      subject: [{ CN: [subject.common_name] }],
      issuer: this.caCert.subject,
      // A minute of slack for clocks a little behind ours.
      notBefore: new Date(now.getTime() - 60_000),
      notAfter,
      signingAlgorithm: this.signingAlgorithm,
      publicKey: keys.publicKey,
      signingKey: this.caKey,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
        new x509.ExtendedKeyUsageExtension([usage]),
        ...(names.length > 0 ? [new x509.SubjectAlternativeNameExtension(names)] : []),
        await x509.AuthorityKeyIdentifierExtension.create(this.caCert),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    })
    const certificate = cert.toString('pem')
    return { certificate, private_key: await privateKeyPem(keys.privateKey), expires_at: certificateExpiry(certificate) }
  }
}

async function generateCa(clock: Clock, hash: string): Promise<{ certPem: string; keyPem: string }> {
  const algorithm = { ...LEAF_KEY, hash }
  const keys = await SUBTLE.generateKey(algorithm, true, ['sign', 'verify'])
  const now = clock.now()
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: [{ CN: ['Octavia local CA'] }, { O: ['octavia'] }],
    notBefore: new Date(now.getTime() - 60_000),
    notAfter: new Date(now.getTime() + GENERATED_CA_SECONDS * 1000),
    signingAlgorithm: algorithm,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  })
  return { certPem: cert.toString('pem'), keyPem: await privateKeyPem(keys.privateKey) }
}

/** The WebCrypto signing algorithm for a CA key (RSA or EC, the two kinds operators' CAs use). */
function signingAlgorithmOf(key: KeyObject, hash: string): Algorithm {
  if (key.asymmetricKeyType === 'rsa') return { name: 'RSASSA-PKCS1-v1_5', hash } as Algorithm
  if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve
    const namedCurve = ({ prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' } as Record<string, string>)[curve ?? '']
    if (namedCurve) return { name: 'ECDSA', namedCurve, hash } as Algorithm
  }
  throw new Error(`certificates: a CA key of type ${key.asymmetricKeyType ?? 'unknown'} cannot sign here (RSA or EC P-256/384/521)`)
}

async function privateKeyPem(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await SUBTLE.exportKey('pkcs8', key))
  const body = der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '')
  return `-----BEGIN PRIVATE KEY-----\n${body}\n-----END PRIVATE KEY-----\n`
}

/** 16 random bytes, positive (RFC 5280 §4.1.2.2). */
function serialNumber(): string {
  const bytes = randomBytes(16)
  bytes[0] = bytes[0]! & 0x7f
  return bytes.toString('hex')
}
