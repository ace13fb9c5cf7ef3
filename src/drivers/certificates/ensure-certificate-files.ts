import type { CertificateGenerator, IssuedCertificate } from './certificate-generator.ts'
import { certificateExpiry, isIssuedBy, readPemFile, writePemFile } from './certificate-files.ts'

/** Where one party's TLS material lives (the pillar's file options). */
export interface CertificateFiles {
  /** The certificate; when `key` is null, followed by its private key in the same file (Octavia's form). */
  cert: string
  key: string | null
  /** Certificate and key together once more (the samples' client_cert_all), or null. */
  all: string | null
  /** Where the CA certificate goes that the peer's certificate must chain to, or null. */
  ca: string | null
}

/**
 * Keeps a certificate file current: one signed by this CA that expires more than
 * `renew_before_seconds` from `now` is kept; anything else (missing, foreign, expiring) is
 * replaced by a new certificate from `issue`. The CA file is always rewritten.
 */
export async function ensureCertificateFiles(
  files: CertificateFiles,
  ca: CertificateGenerator,
  issue: () => Promise<IssuedCertificate>,
  { now, renew_before_seconds }: { now: Date; renew_before_seconds: number },
): Promise<{ expires_at: Date; issued: boolean }> {
  if (files.ca !== null) writePemFile(files.ca, ca.ca_certificate, 0o644)
  const current = readPemFile(files.cert)
  const key = files.key === null ? current : readPemFile(files.key)
  if (current !== null && key !== null && /PRIVATE KEY-----/.test(key) && isIssuedBy(current, ca.ca_certificate)) {
    const expires_at = certificateExpiry(current)
    if (expires_at.getTime() - now.getTime() > renew_before_seconds * 1000) return { expires_at, issued: false }
  }
  const issued = await issue()
  const both = `${issued.certificate.trimEnd()}\n${issued.private_key}`
  if (files.key !== null) writePemFile(files.key, issued.private_key, 0o600)
  writePemFile(files.cert, files.key === null ? both : issued.certificate, files.key === null ? 0o600 : 0o644)
  if (files.all !== null) writePemFile(files.all, both, 0o600)
  return { expires_at: issued.expires_at, issued: true }
}
