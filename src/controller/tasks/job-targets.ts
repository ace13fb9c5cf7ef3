import type { Job } from '../../db/repositories/job-repository.ts'
import { PermanentError } from '../permanent-error.ts'

// What a job names besides its target: the API fills these in when it queues the job.

/** The load balancer the job's objects belong to (the target itself for load-balancer jobs). */
export function loadBalancerIdOf(job: Job): string {
  if (job.load_balancer_id === null) throw new PermanentError(`job ${job.id} (${job.kind}) names no load balancer`)
  return job.load_balancer_id
}

/** A string the API put in the job's payload (`pool_id`, `listener_id`, `l7policy_id`). */
export function payloadId(job: Job, key: string): string {
  const payload = job.payload
  const value = payload !== null && typeof payload === 'object' && !Array.isArray(payload) ? payload[key] : undefined
  if (typeof value !== 'string') throw new PermanentError(`job ${job.id} (${job.kind}) has no ${key} in its payload`)
  return value
}

/** The pool of a member or health monitor job. */
export function poolIdOf(job: Job): string {
  return payloadId(job, 'pool_id')
}
