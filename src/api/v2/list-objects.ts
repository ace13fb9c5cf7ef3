import type { FastifyRequest } from 'fastify'
import type { TableName } from '../../db/schema.ts'
import { listResponse } from '../list/list-response.ts'
import type { ListSpec } from '../list/list-spec.ts'
import { parseListQuery } from '../list/parse-list-query.ts'
import { runListKeys, type RunListOptions } from '../list/run-list.ts'
import { selectFields } from '../list/select-fields.ts'
import { listBaseUrl, rawQuery } from '../request-url.ts'
import type { ApiDeps } from './api-deps.ts'

/**
 * A collection GET of one resource (spec/api-v2.md §5): parse the query (400), scope it by
 * project when the spec says so (rbac.md §4: 403, or the project the caller may see), page the
 * keys with one SELECT, load those objects (by their key) in a fixed number of queries, render
 * them and keep the fields asked for. `where` narrows a nested list to its parent (its route
 * checked the policy).
 */
export async function listObjects<T extends TableName, J extends TableName, O>(
  req: FastifyRequest, deps: ApiDeps, spec: ListSpec<T, J>,
  load: (keys: string[]) => Promise<O[]>, render: (object: O) => object, where?: RunListOptions<T>['where'],
): Promise<Record<string, unknown>> {
  const raw = rawQuery(req)
  // A generic spec is not assignable to the engine's widened parameter type; the value is the same.
  const query = parseListQuery(raw, spec as unknown as ListSpec, deps.config.api_settings)
  let projectId: string | undefined
  if (spec.scope) {
    // An explicit ?project_id= always filters, also when filtering is disabled (upstream's _auth_get_all).
    const asked = new URLSearchParams(raw).get('project_id') ?? undefined
    projectId = deps.access.listScope(req, spec.scope, asked) ?? asked
  }
  // Keys only: `load` reads the objects (the key is `id`, except for availability zones' `name`).
  const page = await runListKeys(deps.db, spec, query, {
    baseUrl: listBaseUrl(req), ...(where ? { where } : {}), ...(projectId !== undefined ? { projectId } : {}),
  })
  const objects = await load(page.keys)
  return listResponse(spec, selectFields(objects.map(render), query.fields), page.links)
}
