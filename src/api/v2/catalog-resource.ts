import type { FastifyInstance, FastifyRequest } from 'fastify'
import { Conflict, NotFound } from '../../common/errors.ts'
import type { Transaction } from '../../db/database.ts'
import type { CatalogRow, CatalogTable } from '../../db/repositories/catalog-repository.ts'
import type { Schema } from '../../db/schema.ts'
import type { ListSpec } from '../list/list-spec.ts'
import { selectFields } from '../list/select-fields.ts'
import { requestedFields } from '../request-url.ts'
import type { ApiDeps } from './api-deps.ts'
import { listObjects } from './list-objects.ts'
import { lbaasPaths } from './paths.ts'

/** spec/api-v2.md §16.2: the nil UUID names no flavor, profile or zone, whatever is stored. */
export const NIL_UUID = '00000000-0000-0000-0000-000000000000'

/** The policy prefixes of rbac.md §3 for the catalogue. */
export type CatalogPolicy = 'flavor' | 'flavor-profile' | 'availability-zone' | 'availability-zone-profile'

/**
 * One resource of the operator's catalogue (flavors, availability zones and their profiles,
 * spec/api-v2.md §16): what differs between them. The routes around it are the same for all
 * four: policy first with the caller's project as target (rbac.md §5), then lookups.
 */
export interface CatalogResource<T extends CatalogTable, C, U> {
  table: T
  /** Below the LBaaS root, e.g. '/flavors'. */
  path: string
  list: ListSpec<T>
  /** The single-object envelope, e.g. 'flavor'. */
  envelope: string
  policy: CatalogPolicy
  /** "<label> <key> not found." of show and update. */
  label: string
  /** The label of delete's not-found and of the nil UUID (upstream spells flavor profiles differently there). */
  deleteLabel: string
  render(row: CatalogRow<T>): Record<string, unknown>
  /** Body checks before the policy (spec/api-v2.md §6.6 step 1). */
  parseCreate(body: unknown): C
  /** Checks and inserts the new row in `trx`; resolves its key. */
  create(body: C, trx: Transaction<Schema>): Promise<string>
  parseUpdate(body: unknown): U
  /** Checks and writes an update of the row `key` (which may not exist: the read after it answers 404). */
  update(key: string, body: U, trx: Transaction<Schema>): Promise<void>
}

/** `<Object> <key> is in use and cannot be modified.` (409). */
export function inUse(label: string, key: string): Conflict {
  return new Conflict(`${label} ${key} is in use and cannot be modified.`)
}

/** GET (list and one), POST, PUT and DELETE of a catalogue resource at its spec paths and aliases. */
export function registerCatalogResource<T extends CatalogTable, C, U>(app: FastifyInstance, deps: ApiDeps, resource: CatalogResource<T, C, U>): void {
  const { db, catalog } = deps
  const enforce = (req: FastifyRequest, action: string) =>
    deps.access.enforce(req, `${resource.policy}:${action}`, deps.context(req).projectId)

  async function find(key: string): Promise<CatalogRow<T>> {
    const row = key === NIL_UUID ? undefined : await catalog.get(resource.table, key)
    if (!row) throw new NotFound(key === NIL_UUID ? resource.deleteLabel : resource.label, key)
    return row
  }

  for (const path of lbaasPaths(resource.path)) {
    app.get(path, async (req) => {
      enforce(req, 'get_all')
      return listObjects(req, deps, resource.list, (keys) => catalog.getMany(resource.table, keys), resource.render)
    })

    app.post(path, async (req, reply) => {
      const body = resource.parseCreate(req.body)
      enforce(req, 'post')
      const key = await db.transaction((trx) => resource.create(body, trx))
      return reply.code(201).send({ [resource.envelope]: resource.render(await find(key)) })
    })
  }

  for (const path of lbaasPaths(`${resource.path}/:key`)) {
    app.get<{ Params: { key: string } }>(path, async (req) => {
      enforce(req, 'get_one')
      return { [resource.envelope]: selectFields([resource.render(await find(req.params.key))], requestedFields(req))[0] }
    })

    app.put<{ Params: { key: string } }>(path, async (req) => {
      const body = resource.parseUpdate(req.body)
      enforce(req, 'put')
      await db.transaction((trx) => resource.update(req.params.key, body, trx))
      return { [resource.envelope]: resource.render(await find(req.params.key)) }
    })

    app.delete<{ Params: { key: string } }>(path, async (req, reply) => {
      const { key } = req.params
      enforce(req, 'delete')
      if (key === NIL_UUID) throw new NotFound(resource.deleteLabel, key)
      await db.transaction(async (trx) => {
        // Locked first, so no new user can appear between the check and the delete.
        const row = await catalog.lock(trx, resource.table, key)
        if (await catalog.inUse(resource.table, key, trx)) throw inUse(resource.deleteLabel, key)
        if (!row) throw new NotFound(resource.deleteLabel, key)
        await catalog.delete(resource.table, key, trx)
      })
      return reply.code(204).send()
    })
  }
}
