import type { Task } from './task.ts'

/** A flow: the ordered tasks of one kind of job. The engine journals, resumes and reverts them. */
export interface Flow {
  /** The job kind the API queues, e.g. loadbalancer.create. */
  readonly kind: string
  readonly tasks: readonly Task[]
}

export function flow(kind: string, tasks: readonly Task[]): Flow {
  const names = new Set<string>()
  for (const task of tasks) {
    // Task names are the journal's keys within a job.
    if (names.has(task.name)) throw new Error(`flow ${kind} has two tasks named ${task.name}`)
    names.add(task.name)
  }
  return { kind, tasks }
}
