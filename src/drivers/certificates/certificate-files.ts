import { X509Certificate } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'

// PEM files on disk: written whole (temporary file then rename, so a reader never sees half a
// key), private keys readable by their owner only.

export function writePemFile(path: string, text: string, mode: 0o600 | 0o644): void {
  mkdirSync(dirname(path), { recursive: true })
  const temporary = `${path}.tmp-${process.pid}`
  writeFileSync(temporary, text.endsWith('\n') ? text : `${text}\n`, { mode })
  renameSync(temporary, path)
}

export function readPemFile(path: string): string | null {
  return existsSync(path) ? readFileSync(path, 'utf8') : null
}

/** When the first certificate in a PEM text expires. */
export function certificateExpiry(pem: string): Date {
  return new Date(new X509Certificate(pem).validTo)
}

/** Whether the first certificate in `pem` was signed by the CA certificate `caPem`. */
export function isIssuedBy(pem: string, caPem: string): boolean {
  try {
    const ca = new X509Certificate(caPem)
    const cert = new X509Certificate(pem)
    return cert.checkIssued(ca) && cert.verify(ca.publicKey)
  } catch {
    // Unreadable PEM: not ours, so it gets replaced.
    return false
  }
}
