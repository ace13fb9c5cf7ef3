import { sql } from 'kysely'
import type { Database, Executor } from '../../src/db/database.ts'
import { flow, type Flow } from '../../src/controller/flow.ts'
import { batchUpdateMembers } from '../../src/controller/flows/member-flows.ts'
import { createLoadBalancer, deleteLoadBalancer } from '../../src/controller/flows/load-balancer-flows.ts'
import { databaseTask, externalTask, type Task } from '../../src/controller/task.ts'

// The flows of the crash tests: the real LB create, member batch update and LB delete, with
// every database task recording each execution in test_task_log (in its own transaction, so the
// record commits only with the task), and one external task that allocates an address in its own
// transaction, as a driver would, and records each execution too.

export const CRASH_FLOWS_BASE = [createLoadBalancer, batchUpdateMembers, deleteLoadBalancer] as const

export async function createTaskLog(db: Database): Promise<void> {
  await db.kysely.schema.createTable('test_task_log')
    .addColumn('job_id', 'varchar(36)', (c) => c.notNull())
    .addColumn('task', 'varchar(64)', (c) => c.notNull())
    .execute()
}

export async function taskLog(db: Database, jobId: string): Promise<string[]> {
  const { rows } = await sql<{ task: string }>`select task from test_task_log where job_id = ${jobId} order by task`.execute(db.kysely)
  return rows.map((r) => r.task)
}

async function record(executor: Executor, jobId: string, task: string): Promise<void> {
  await sql`insert into test_task_log (job_id, task) values (${jobId}, ${task})`.execute(executor)
}

function recorded(task: Task): Task {
  if (task.effect === 'external') return task
  return databaseTask(task.name, async (trx, run) => {
    await record(trx, run.job.id, task.name)
    return task.execute(trx, run)
  }, task.revert)
}

/** The device id of the address the external test task allocates for a job. */
export const testDevice = (jobId: string) => `crash-test-${jobId}`

/**
 * Allocates one address for the job (idempotent: finds the one it made before a crash). With
 * `freeze`, stops for ever right after its allocation committed and before the engine journals
 * it: a crash there is the one that makes an external task run twice.
 */
function allocateTestAddress(freeze?: () => Promise<void>): Task {
  return externalTask('test.allocate-address', async ({ ctx, job }) => {
    const port = await ctx.db.transaction(async (trx) => {
      await record(trx, job.id, 'test.allocate-address')
      const [existing] = await ctx.ports.list({ device_id: testDevice(job.id) }, trx)
      return existing ?? ctx.ports.allocate({ subnet: ctx.subnets[0]!, device_id: testDevice(job.id), device_owner: 'test' }, trx)
    })
    await freeze?.()
    return { port_id: port.id }
  }, async ({ ctx, job }) => void (await ctx.ports.releaseByDevice(testDevice(job.id))))
}

/** The crash flows: each real flow's tasks recorded, the external task third (after the VIP allocation of a create). */
export function crashFlows(options: { freezeInExternal?: () => Promise<void> } = {}): Flow[] {
  return CRASH_FLOWS_BASE.map((f) => {
    const tasks = f.tasks.map(recorded)
    return flow(f.kind, [...tasks.slice(0, 2), allocateTestAddress(options.freezeInExternal), ...tasks.slice(2)])
  })
}
