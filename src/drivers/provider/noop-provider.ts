import type { ProviderDriver } from './provider-driver.ts'

/**
 * The test provider: accepts everything. Unlike upstream's, whose objects stay PENDING_* for ever,
 * its jobs complete through the same worker path the amphora provider uses.
 */
export const noopProvider: ProviderDriver = {
  driver: 'noop_driver',
  checkPoolAlgorithm: () => {},
}
