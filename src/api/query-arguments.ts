import type { FastifyInstance, FastifyRequest } from 'fastify'
import { InvalidInput } from '../common/errors.ts'
import { rawQuery } from './request-url.ts'

// spec/api-v2.md §17: list GETs and single-object GETs ignore (or filter by) any query parameter;
// every other call — POST, PUT, DELETE, /stats, /status — refuses an undeclared one with
// 400 `Unknown argument: "<name>"`. The declared ones, by the route's last path words and method:
const DECLARED: ReadonlyArray<{ method: string; suffix: string; names: readonly string[] }> = [
  { method: 'DELETE', suffix: '/loadbalancers/:id', names: ['cascade'] },
  { method: 'PUT', suffix: '/members', names: ['additive_only'] },
]

/**
 * Whether a GET route is one that treats query parameters as filters or `fields` (not stats,
 * status, nor quota show and quota default, which take none).
 */
function isPlainGet(url: string): boolean {
  return !/\/(stats|status|statuses)$/.test(url) && !/\/quotas\/:project_id(\/default)?$/.test(url)
}

function declaredFor(req: FastifyRequest, url: string): readonly string[] {
  return DECLARED.find((d) => d.method === req.method && url.endsWith(d.suffix))?.names ?? []
}

/** Installs the check on every Octavia v2 route (not on `/`, `/healthcheck` or the Neutron subset). */
export function rejectUndeclaredQueryArguments(app: FastifyInstance): void {
  app.addHook('preValidation', async (req) => {
    const url = req.routeOptions.url
    if (url === undefined || !url.startsWith('/v2')) return
    if ((req.method === 'GET' || req.method === 'HEAD') && isPlainGet(url)) return
    const declared = declaredFor(req, url)
    for (const name of new URLSearchParams(rawQuery(req)).keys()) {
      if (!declared.includes(name)) throw new InvalidInput(`Unknown argument: "${name}"`)
    }
  })
}
