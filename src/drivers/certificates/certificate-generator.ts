/** Who a certificate is for: its common name and the names a peer checks it against. */
export interface CertificateSubject {
  common_name: string
  dns_names?: readonly string[]
  ip_addresses?: readonly string[]
}

/** A signed certificate with its new private key, both PEM, and when it expires. */
export interface IssuedCertificate {
  certificate: string
  private_key: string
  expires_at: Date
}

/**
 * The certificates driver (Octavia's cert_generator): signs the host agents' server
 * certificates and the controller's client certificate for the mutual TLS between them.
 */
export interface CertificateGenerator {
  /** The CA certificate (PEM) both sides trust. */
  readonly ca_certificate: string
  /** A TLS server certificate (agents): extended key usage serverAuth. */
  issueServerCertificate(subject: CertificateSubject): Promise<IssuedCertificate>
  /** A TLS client certificate (the controller): extended key usage clientAuth. */
  issueClientCertificate(subject: CertificateSubject): Promise<IssuedCertificate>
}
