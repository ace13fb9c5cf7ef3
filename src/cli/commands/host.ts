import type { Command } from 'commander'
import { systemClock } from '../../common/clock.ts'
import { createLogger } from '../../common/logger.ts'
import { parseHostPort, parseIp } from '../../config/ip-address.ts'
import type { Agent, AgentRepository } from '../../db/repositories/agent-repository.ts'
import type { AmphoraRepository } from '../../db/repositories/amphora-repository.ts'
import type { CliContext } from '../cli-context.ts'
import { CommandFailed, EXIT } from '../exit-codes.ts'
import { loadCliConfig } from '../load-cli-config.ts'
import { renderTable } from '../render-table.ts'

// `octavia host ...`: the host agents amphorae are scheduled onto (agents table). `octavia up`
// registers its own agent; an agent on another machine is registered here by the operator.

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/

function formatOption(value: string): 'table' | 'json' {
  if (value !== 'table' && value !== 'json') throw new CommandFailed(`--format must be table or json, not "${value}"`, EXIT.config)
  return value
}

const iso = (d: Date | null) => (d === null ? '' : d.toISOString())

async function withHosts<T>(cli: CliContext, work: (agents: AgentRepository, amphorae: AmphoraRepository) => Promise<T>): Promise<T> {
  const config = loadCliConfig(cli.globals())
  // The database code is loaded only when a command runs, not for `octavia --help`.
  const [{ openDatabase }, { AgentRepository }, { AmphoraRepository }] = await Promise.all([
    import('../database.ts'), import('../../db/repositories/agent-repository.ts'), import('../../db/repositories/amphora-repository.ts'),
  ])
  const db = await openDatabase(config, createLogger({ level: 'warn' }))
  try {
    return await work(new AgentRepository(db, systemClock), new AmphoraRepository(db, systemClock))
  } finally {
    await db.close()
  }
}

async function byName(agents: AgentRepository, name: string): Promise<Agent> {
  const agent = await agents.getByName(name)
  if (agent === undefined) throw new CommandFailed(`no host agent is registered as "${name}"`, EXIT.config)
  return agent
}

export function registerHostCommands(program: Command, cli: CliContext): void {
  const host = program.command('host').description('the host agents that run amphorae: list, register, enable, disable, remove')
  host.command('list')
    .description('list registered host agents with their address, capacity and amphorae')
    .option('-f, --format <format>', 'table or json', 'table')
    .action(async (options: { format: string }) => {
      const out = formatOption(options.format)
      const rows = await withHosts(cli, async (agents, amphorae) => Promise.all((await agents.list()).map(async (agent) => ({
        id: agent.id, name: agent.name, address: agent.address, port: agent.port, enabled: agent.enabled,
        capacity: agent.capacity ?? '', amphorae: (await amphorae.list({ compute_id: agent.id })).length,
        cert_expiration: iso(agent.cert_expiration), last_seen: iso(agent.last_seen),
      }))))
      process.stdout.write(out === 'json' ? `${JSON.stringify(rows, null, 2)}\n` : renderTable(rows))
    })
  host.command('register')
    .description('register a host agent (or update the address, port and capacity of the one with this name)')
    .argument('<name>', 'the agent\'s name (agent.name on that host; its server certificate carries it)')
    .argument('<address:port>', 'where its mTLS REST API listens (agent.bind)')
    .option('--capacity <n>', 'most amphorae it runs (agent.capacity)', '100')
    .action(async (name: string, where: string, options: { capacity: string }) => {
      if (!NAME.test(name)) throw new CommandFailed(`host name "${name}" must be letters, digits, ".", "_" or "-"`, EXIT.config)
      const parsed = parseHostPort(where)
      if (parsed === null || parseIp(parsed.host) === null || parsed.port < 1) {
        throw new CommandFailed(`"${where}" is not an address:port such as 192.0.2.21:9443`, EXIT.config)
      }
      const capacity = Number(options.capacity)
      if (!Number.isSafeInteger(capacity) || capacity < 1) throw new CommandFailed(`--capacity must be a positive integer, not "${options.capacity}"`, EXIT.config)
      const agent = await withHosts(cli, (agents) => agents.register({ name, address: parsed.host, port: parsed.port, capacity }))
      process.stdout.write(`${agent.name} registered as ${agent.id} at ${agent.address}:${agent.port}\n`)
    })
  for (const [command, enabled] of [['enable', true], ['disable', false]] as const) {
    host.command(command)
      .description(enabled ? 'schedule new amphorae onto this host again' : 'schedule no new amphorae onto this host (its amphorae keep running)')
      .argument('<name>', 'the agent\'s name')
      .action(async (name: string) => {
        await withHosts(cli, async (agents) => agents.setEnabled((await byName(agents, name)).id, enabled))
        process.stdout.write(`${name} ${enabled ? 'enabled' : 'disabled'}\n`)
      })
  }
  host.command('remove')
    .description('forget a host agent that runs no amphorae')
    .argument('<name>', 'the agent\'s name')
    .action(async (name: string) => {
      await withHosts(cli, async (agents, amphorae) => {
        const agent = await byName(agents, name)
        const running = (await amphorae.list({ compute_id: agent.id })).length
        if (running > 0) throw new CommandFailed(`${name} still runs ${running} amphorae; fail them over first (openstack loadbalancer amphora failover)`, EXIT.config)
        await agents.delete(agent.id)
      })
      process.stdout.write(`${name} removed\n`)
    })
}
