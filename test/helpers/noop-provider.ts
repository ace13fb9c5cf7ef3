// Config overrides for tests of objects the amphora provider refuses until its data plane can build
// them (ACTIVE_STANDBY, TERMINATED_HTTPS, UDP, SCTP): the noop provider, which accepts everything,
// enabled next to amphora and made the default provider of new load balancers.
export const NOOP_DEFAULT_PROVIDER = [
  'octavia.api_settings.enabled_provider_drivers={amphora: "The Octavia Amphora driver.", noop_driver: "The noop driver."}',
  'octavia.api_settings.default_provider_driver=noop_driver',
]
