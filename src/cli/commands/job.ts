import type { Command } from 'commander'
import { systemClock } from '../../common/clock.ts'
import { createLogger } from '../../common/logger.ts'
import type { Job, JobFilter, JobRepository } from '../../db/repositories/job-repository.ts'
import { JOB_STATES, type JobState } from '../../db/schema.ts'
import type { CliContext } from '../cli-context.ts'
import { CommandFailed, EXIT } from '../exit-codes.ts'
import { loadCliConfig } from '../load-cli-config.ts'
import { renderTable } from '../render-table.ts'

const FORMATS = ['table', 'json'] as const

function format(value: string): (typeof FORMATS)[number] {
  if (!(FORMATS as readonly string[]).includes(value)) throw new CommandFailed(`--format must be table or json, not "${value}"`, EXIT.config)
  return value as (typeof FORMATS)[number]
}

const iso = (d: Date | null) => (d === null ? '' : d.toISOString())

/** One line of `job list`: what an operator scans for (state, where it is, how often it was tried, why it failed). */
function summary(job: Job) {
  return {
    id: job.id, kind: job.kind, target_id: job.target_id, state: job.state, current_task: job.current_step ?? '',
    failed_task: job.failed_step ?? '', attempts: job.attempts, last_error: (job.last_error ?? '').slice(0, 80), updated_at: iso(job.updated_at ?? job.created_at),
  }
}

export function registerJobCommands(program: Command, cli: CliContext): void {
  const job = program.command('job').description('the controller worker\'s jobs (flow runs) and their journals, from the database')
  job.command('list')
    .description('list jobs, newest first: state, current task, attempts, last error')
    .option('--state <state>', `only jobs in this state (${JOB_STATES.join(', ')})`)
    .option('--loadbalancer <id>', 'only jobs of this load balancer')
    .option('--kind <kind>', 'only jobs of this kind, e.g. loadbalancer.create')
    .option('--limit <n>', 'at most this many', '50')
    .option('-f, --format <format>', 'table or json', 'table')
    .action(async (options: { state?: string; loadbalancer?: string; kind?: string; limit: string; format: string }) => {
      const out = format(options.format)
      if (options.state !== undefined && !(JOB_STATES as readonly string[]).includes(options.state)) {
        throw new CommandFailed(`--state must be one of ${JOB_STATES.join(', ')}, not "${options.state}"`, EXIT.config)
      }
      const limit = Number(options.limit)
      if (!Number.isSafeInteger(limit) || limit < 1) throw new CommandFailed(`--limit must be a positive integer, not "${options.limit}"`, EXIT.config)
      const filter: JobFilter = {
        limit, ...(options.state ? { state: options.state as JobState } : {}),
        ...(options.loadbalancer ? { load_balancer_id: options.loadbalancer } : {}), ...(options.kind ? { kind: options.kind } : {}),
      }
      const jobs = await withJobs(cli, (repository) => repository.list(filter))
      process.stdout.write(out === 'json' ? `${JSON.stringify(jobs, null, 2)}\n` : renderTable(jobs.map(summary)))
    })
  job.command('show')
    .description('show one job and its journal: each task done, with its result and when it was reverted')
    .argument('<id>', 'job id')
    .option('-f, --format <format>', 'table or json', 'table')
    .action(async (id: string, options: { format: string }) => {
      const out = format(options.format)
      const found = await withJobs(cli, async (repository) => {
        const one = await repository.get(id)
        return one && { job: one, journal: await repository.steps(id) }
      })
      if (!found) throw new CommandFailed(`job ${id} not found`)
      if (out === 'json') {
        process.stdout.write(`${JSON.stringify(found, null, 2)}\n`)
        return
      }
      const { job: j, journal } = found
      const fields = {
        id: j.id, kind: j.kind, target: `${j.target_type} ${j.target_id}`, load_balancer_id: j.load_balancer_id ?? '', state: j.state,
        current_task: j.current_step ?? '', failed_task: j.failed_step ?? '', attempts: j.attempts, last_error: j.last_error ?? '',
        lease_owner: j.lease_owner ?? '', lease_expires_at: iso(j.lease_expires_at), run_after: iso(j.run_after),
        created_at: iso(j.created_at), updated_at: iso(j.updated_at), payload: JSON.stringify(j.payload),
      }
      process.stdout.write(renderTable(Object.entries(fields).map(([field, value]) => ({ field, value }))))
      process.stdout.write(renderTable(journal.map((s) => ({
        '#': s.step_index, task: s.step_name, completed_at: iso(s.completed_at), reverted_at: iso(s.reverted_at), result: JSON.stringify(s.result),
      }))))
    })
}

async function withJobs<T>(cli: CliContext, fn: (jobs: JobRepository) => Promise<T>): Promise<T> {
  const config = loadCliConfig(cli.globals())
  // The database code is loaded only when a command runs, not for `octavia --help`.
  const [{ openDatabase }, { JobRepository }] = await Promise.all([import('../database.ts'), import('../../db/repositories/job-repository.ts')])
  const db = await openDatabase(config, createLogger())
  try {
    return await fn(new JobRepository(db, systemClock))
  } finally {
    await db.close()
  }
}
