import { InvalidInput, ProviderError } from '../../common/errors.ts'
import { amphoraProvider } from './amphora-provider.ts'
import { noopProvider } from './noop-provider.ts'
import type { ProviderDriver } from './provider-driver.ts'

// Provider names an operator may enable, and the implementation each loads (`octavia` is
// upstream's deprecated alias of `amphora`; an LB keeps the name it was created with).
const IMPLEMENTATIONS: Record<string, ProviderDriver> = {
  amphora: amphoraProvider,
  octavia: amphoraProvider,
  noop_driver: noopProvider,
}

/**
 * The implementation (`driver`) serving a stored load balancer's provider name, whether or not
 * it is still enabled; a stored LB with no provider is the amphora provider's. Undefined for a
 * name we have no implementation of.
 */
export function providerImplementation(name: string | null | undefined): string | undefined {
  return IMPLEMENTATIONS[name ?? 'amphora']?.driver
}

/** The enabled providers of `api_settings.enabled_provider_drivers` and the default one. */
export class ProviderRegistry {
  constructor(private readonly enabled: Readonly<Record<string, string>>, readonly defaultName: string) {}

  /** Provider name → description, as configured. */
  list(): Array<{ name: string; description: string }> {
    return Object.entries(this.enabled).map(([name, description]) => ({ name, description }))
  }

  /**
   * The driver for a provider name: 400 when not enabled, 501 when enabled but unknown
   * (spec/api-v2.md §4.4). A stored LB with no provider is served by `amphora`.
   */
  load(name: string | null | undefined): ProviderDriver {
    const wanted = name ?? 'amphora'
    if (!(wanted in this.enabled)) throw new InvalidInput(`Provider '${wanted}' is not enabled.`)
    const driver = IMPLEMENTATIONS[wanted]
    if (!driver) throw new ProviderError(`Provider '${wanted}' was not found.`, 501)
    return driver
  }
}
