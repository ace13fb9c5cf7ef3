import { ProviderError } from '../../common/errors.ts'
import type { ProviderDriver } from './provider-driver.ts'

/**
 * The amphora provider's API-time restrictions (spec/api-v2.md §7). Its data-plane flows arrive
 * with the amphora provider issue; until then its jobs complete as the noop provider's do.
 */
export const amphoraProvider: ProviderDriver = {
  driver: 'amphora',
  checkPoolAlgorithm: (algorithm) => {
    if (algorithm === 'SOURCE_IP_PORT') {
      throw new ProviderError("Provider 'amphora' does not support a requested option: Amphora provider does not support SOURCE_IP_PORT algorithm.", 501)
    }
  },
}
