import type { Command } from 'commander'
import type { CliContext } from '../cli-context.ts'

// The long-running commands. Each one's code (the API, the worker, the agent...) is loaded when
// it runs, not for every `octavia` command: `--help` or `octavia config check` need none of it.

export function registerServiceCommands(program: Command, cli: CliContext): void {
  program
    .command('up')
    .description('run the all-in-one service: API, worker, health manager, housekeeping and a local host agent with its HAProxy amphorae, in one process; migrates the database first')
    .action(async () => cli.exit(await (await import('./serve.ts')).serve(cli.globals(), 'up')))
  program
    .command('api')
    .description('run the Octavia v2 API service; jobs it queues are run by `octavia worker` processes (the database schema must be at head: see `octavia db upgrade`)')
    .action(async () => cli.exit(await (await import('./serve.ts')).serve(cli.globals(), 'api')))
  program
    .command('worker')
    .description('run the controller worker: claims jobs from the database (announced over message_queue) and runs their flows; '
      + 'SIGTERM hands running jobs back at their next task; the database schema must be at head')
    .action(async () => cli.exit(await (await import('./worker.ts')).runWorker(cli.globals())))
  program
    .command('health-manager')
    .description('run the health manager: receives amphora heartbeats (UDP), derives operating statuses and statistics, fails over amphorae that stop reporting')
    .action(async () => cli.exit(await (await import('./health-manager.ts')).runHealthManager(cli.globals())))
  program
    .command('housekeeping')
    .description('run housekeeping: purges DELETED load balancers and amphorae past their expiry age, keeps the spare amphora pool, rotates amphora certificates')
    .action(async () => cli.exit(await (await import('./housekeeping.ts')).runHousekeeping(cli.globals())))
  program
    .command('agent')
    .description('run the host agent: the mTLS REST API that runs this host\'s HAProxy amphorae (they keep running when it stops)')
    .action(async () => cli.exit(await (await import('./agent.ts')).runAgent(cli.globals())))
}
