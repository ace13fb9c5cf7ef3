import type { Executor } from '../database.ts'

/**
 * The listeners that use a pool (spec/api-v2.md §6.2 note 1): those whose default_pool_id is
 * the pool, plus those with an enabled L7 policy that has at least one rule and redirects to it.
 * Their statuses follow every change of the pool, its members and its health monitor.
 */
export async function listenersUsingPool(executor: Executor, poolId: string): Promise<string[]> {
  const rows = await executor.selectFrom('listener').select('listener.id')
    .where((eb) => eb.or([
      eb('listener.default_pool_id', '=', poolId),
      eb.exists(eb.selectFrom('l7policy').select('l7policy.id')
        .whereRef('l7policy.listener_id', '=', 'listener.id')
        .where('l7policy.redirect_pool_id', '=', poolId)
        .where('l7policy.enabled', '=', true)
        .where((inner) => inner.exists(inner.selectFrom('l7rule').select('l7rule.id').whereRef('l7rule.l7policy_id', '=', 'l7policy.id')))),
    ]))
    .orderBy('listener.created_at').orderBy('listener.id').execute()
  return rows.map((r) => r.id)
}
