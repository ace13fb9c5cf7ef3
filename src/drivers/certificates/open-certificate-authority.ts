import type { Clock } from '../../common/clock.ts'
import type { CertificatesConfig } from '../../config/schema.ts'
import { LocalCertificateAuthority } from './local-certificate-authority.ts'

/** Where the CA lives when the operator configures none (issue 6: ./var/certs, relative to the working directory). */
export const GENERATED_CA_DIR = 'var/certs'

// Octavia's defaults for certificates.ca_certificate/ca_private_key (without OS_OCTAVIA_TLS_CA_*)
// name Debian's snakeoil certificate, which is no CA: left at them, the section is unconfigured.
const UNCONFIGURED_CA = '/etc/ssl/certs/ssl-cert-snakeoil.pem'

/** The local CA: the operator's from the certificates section when configured, else one generated under ./var/certs. */
export function openCertificateAuthority(certificates: CertificatesConfig, clock: Clock, dir = GENERATED_CA_DIR): Promise<LocalCertificateAuthority> {
  const configured = certificates.ca_certificate !== UNCONFIGURED_CA
  return LocalCertificateAuthority.open({
    dir,
    ca_certificate: configured ? certificates.ca_certificate : null,
    ca_private_key: configured ? certificates.ca_private_key : null,
    ca_private_key_passphrase: certificates.ca_private_key_passphrase,
    signing_digest: certificates.signing_digest,
    cert_validity_time: certificates.cert_validity_time,
    clock,
  })
}
