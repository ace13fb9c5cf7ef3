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
 * A collection GET of one resource (spec/api-v2.md §5): parse the query, page the ids with one
 * SELECT, load those objects (by their key) in a fixed number of queries, render them and keep the fields asked
 * for. noauth: every caller is an administrator, so lists span every project (rbac.md §6);
 * `where` narrows a nested list to its parent.
 */
export async function listObjects<T extends TableName, J extends TableName, O>(
  req: FastifyRequest, deps: ApiDeps, spec: ListSpec<T, J>,
  load: (keys: string[]) => Promise<O[]>, render: (object: O) => object, where?: RunListOptions<T>['where'],
): Promise<Record<string, unknown>> {
  // A generic spec is not assignable to the engine's widened parameter type; the value is the same.
  const query = parseListQuery(rawQuery(req), spec as unknown as ListSpec, deps.config.api_settings)
  // Keys only: `load` reads the objects (the key is `id`, except for availability zones' `name`).
  const page = await runListKeys(deps.db, spec, query, { baseUrl: listBaseUrl(req), ...(where ? { where } : {}) })
  const objects = await load(page.keys)
  return listResponse(spec, selectFields(objects.map(render), query.fields), page.links)
}
