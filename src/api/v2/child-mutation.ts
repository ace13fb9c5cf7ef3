import { Immutable, NotFound } from '../../common/errors.ts'
import type { Transaction } from '../../db/database.ts'
import type { Job, JsonValue } from '../../db/repositories/job-repository.ts'
import type { Schema } from '../../db/schema.ts'
import { L7PolicyRepository, type L7Policy } from '../../db/repositories/l7policy-repository.ts'
import { ListenerRepository } from '../../db/repositories/listener-repository.ts'
import { PoolRepository, type Pool } from '../../db/repositories/pool-repository.ts'
import type { ApiDeps } from './api-deps.ts'

/**
 * The test-and-set every child create/update/delete does under the LB's row lock
 * (spec/api-v2.md §6.3): the LB must be ACTIVE, else 409; it then goes PENDING_UPDATE in the
 * caller's transaction, so no other change can start until the worker is done.
 */
export async function lockLoadBalancerForChild(deps: ApiDeps, trx: Transaction<Schema>, loadBalancerId: string): Promise<void> {
  const row = await deps.loadBalancers.lockForUpdate(trx, loadBalancerId)
  if (!row) throw new NotFound('Load Balancer', loadBalancerId)
  if (row.provisioning_status !== 'ACTIVE') throw new Immutable(`Load Balancer ${loadBalancerId} is immutable and cannot be updated.`)
  await deps.loadBalancers.setProvisioningStatus(loadBalancerId, 'PENDING_UPDATE', {}, trx)
}

/** Queues the worker job for a child change, in the transaction that set the PENDING_* statuses. */
export async function enqueueChildJob(deps: ApiDeps, trx: Transaction<Schema>, job: {
  kind: string; target_type: string; target_id: string; load_balancer_id: string; payload?: JsonValue
}): Promise<Job> {
  return deps.jobs.enqueue(trx, job)
}

/**
 * The test-and-set of a member or health monitor change (spec/api-v2.md §6.3): the pool must be
 * ACTIVE (checked before the LB), then the LB's own test-and-set; the pool and the listeners
 * using it go PENDING_UPDATE with the LB.
 */
export async function lockPoolForChild(deps: ApiDeps, trx: Transaction<Schema>, poolId: string): Promise<Pool> {
  const pools = new PoolRepository(deps.db, deps.clock)
  const pool = await pools.get(poolId, trx)
  if (!pool?.load_balancer_id) throw new NotFound('Pool', poolId)
  if (pool.provisioning_status !== 'ACTIVE') throw new Immutable(`Pool ${poolId} is immutable and cannot be updated.`)
  await lockLoadBalancerForChild(deps, trx, pool.load_balancer_id)
  await pools.setProvisioningStatus(poolId, 'PENDING_UPDATE', {}, trx)
  await pools.setListenersProvisioningStatus(pool.listener_ids, 'PENDING_UPDATE', {}, trx)
  return pool
}

/**
 * The test-and-set of an L7 policy change (spec/api-v2.md §6.2, §6.3): the LB's own, then the
 * policy's listener goes PENDING_UPDATE with it.
 */
export async function lockListenerForChild(deps: ApiDeps, trx: Transaction<Schema>, listener: { id: string; load_balancer_id: string | null }): Promise<void> {
  if (listener.load_balancer_id === null) throw new NotFound('Listener', listener.id)
  await lockLoadBalancerForChild(deps, trx, listener.load_balancer_id)
  await new ListenerRepository(deps.db, deps.clock).setProvisioningStatus(listener.id, 'PENDING_UPDATE', {}, trx)
}

/**
 * The test-and-set of an L7 rule change (spec/api-v2.md §6.3): the policy must be ACTIVE
 * (checked before the LB), then the listener's; the policy goes PENDING_UPDATE with them.
 */
export async function lockL7PolicyForChild(deps: ApiDeps, trx: Transaction<Schema>, policyId: string): Promise<L7Policy> {
  const policies = new L7PolicyRepository(deps.db, deps.clock)
  const policy = await policies.get(policyId, trx)
  if (!policy) throw new NotFound('L7 Policy', policyId)
  if (policy.provisioning_status !== 'ACTIVE') throw new Immutable(`L7Policy ${policyId} is immutable and cannot be updated.`)
  await lockListenerForChild(deps, trx, { id: policy.listener_id, load_balancer_id: policy.load_balancer_id })
  await policies.setProvisioningStatus(policyId, 'PENDING_UPDATE', {}, trx)
  return policy
}
