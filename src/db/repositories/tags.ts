import type { Executor } from '../database.ts'

// Tags of any resource (LB, listener, pool, member, health monitor, L7 policy, L7 rule).
// The tags table has no foreign key (one table for seven resources), so whoever deletes a
// resource row deletes its tags with these helpers in the same transaction.

/** Tags per resource id, each list sorted; ids without tags map to []. */
export async function readTags(executor: Executor, resourceIds: readonly string[]): Promise<Map<string, string[]>> {
  const byId = new Map<string, string[]>(resourceIds.map((id) => [id, []]))
  if (resourceIds.length === 0) return byId
  const rows = await executor.selectFrom('tags').select(['resource_id', 'tag']).where('resource_id', 'in', [...resourceIds])
    .orderBy('resource_id').orderBy('tag').execute()
  for (const row of rows) byId.get(row.resource_id)?.push(row.tag)
  return byId
}

/** Makes `tags` (duplicates dropped) the resource's tags. Run it inside a transaction. */
export async function replaceTags(executor: Executor, resourceId: string, tags: readonly string[]): Promise<void> {
  await executor.deleteFrom('tags').where('resource_id', '=', resourceId).execute()
  const unique = [...new Set(tags)]
  if (unique.length > 0) {
    await executor.insertInto('tags').values(unique.map((tag) => ({ resource_id: resourceId, tag }))).execute()
  }
}

export async function deleteTags(executor: Executor, resourceIds: readonly string[]): Promise<void> {
  if (resourceIds.length === 0) return
  await executor.deleteFrom('tags').where('resource_id', 'in', [...resourceIds]).execute()
}
