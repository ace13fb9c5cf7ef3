import type { Command } from 'commander'
import { createLogger } from '../../common/logger.ts'
import { parseIp } from '../../config/ip-address.ts'
import type { NetworkConfig } from '../../config/schema.ts'
import { systemClock } from '../../common/clock.ts'
import type { CliContext } from '../cli-context.ts'
import { loadCliConfig } from '../load-cli-config.ts'
import { renderTable } from '../render-table.ts'

export function registerNetworkCommands(program: Command, cli: CliContext): void {
  const network = program.command('network').description('the declared subnets VIPs and members are placed on')
  network.command('list')
    .description('list the subnets of the configuration with their used and free addresses')
    .option('-f, --format <format>', 'table or json', 'table')
    .action(async (options: { format: string }) => {
      const config = loadCliConfig(cli.globals())
      // The database code is loaded only when the command runs, not for `octavia --help`.
      const [{ openDatabase }, { PortRepository }] = await Promise.all([import('../database.ts'), import('../../db/repositories/port-repository.ts')])
      const db = await openDatabase(config, createLogger())
      try {
        const ports = await new PortRepository(db, systemClock).list()
        const rows = config.networks.map((subnet) => {
          const used = ports.filter((p) => p.subnet_id === subnet.id).length
          return {
            id: subnet.id, name: subnet.name, cidr: subnet.cidr, kind: subnet.kind, network_id: subnet.network_id,
            used, free: (poolSize(subnet) - BigInt(used)).toString(),
          }
        })
        process.stdout.write(options.format === 'json' ? `${JSON.stringify(rows, null, 2)}\n` : renderTable(rows))
      } finally {
        await db.close()
      }
    })
}

/** How many addresses the subnet's allocation pools hold (an IPv6 /64 exceeds any JS number). */
function poolSize(subnet: NetworkConfig): bigint {
  return subnet.allocation_pools.reduce((total, pool) => {
    const start = parseIp(pool.start)
    const end = parseIp(pool.end)
    return start && end ? total + end.value - start.value + 1n : total
  }, 0n)
}
