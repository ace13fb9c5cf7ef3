import type { Logger } from '../common/logger.ts'
import { startMetricsServer } from '../common/metrics.ts'
import type { Registry } from 'prom-client'
import { CommandFailed } from './exit-codes.ts'
import type { Stoppable } from './run-until-signal.ts'

/** A service's Prometheus endpoint as a part of a long-running command; a taken port is a one-line CommandFailed. */
export async function startMetricsPart(registry: Pick<Registry, 'metrics' | 'contentType'>, address: string, port: number, log: Logger): Promise<Stoppable> {
  const server = await startMetricsServer(registry, address, port).catch((err: NodeJS.ErrnoException) => {
    throw new CommandFailed(`cannot listen on ${address}:${port} for metrics: ${err.code ?? err.message}`)
  })
  log.info({ url: server.url }, 'metrics listening')
  return { name: 'metrics', stop: () => server.close() }
}
