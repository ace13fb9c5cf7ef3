import type { FastifyRequest } from 'fastify'

/** Who is calling, as the identity engine established it (rbac.md). */
export interface RequestContext {
  /** The caller's project; null when the request names none and no default is configured. */
  projectId: string | null
  userId: string | null
  roles: string[]
  isAdmin: boolean
}

function header(req: FastifyRequest, name: string): string | undefined {
  const value = req.headers[name]
  const text = (Array.isArray(value) ? value[0] : value)?.trim()
  return text === '' ? undefined : text
}

/**
 * The noauth engine (rbac.md §6): every caller is an administrator; the project comes from
 * X-Project-Id (alias X-Tenant-Id) or, our convenience, the configured default project, so the
 * openstack client works without extra flags ('' configures none: Octavia's 400 then applies).
 */
export function noauthContext(req: FastifyRequest, defaultProjectId: string): RequestContext {
  const roles = header(req, 'x-roles')
  return {
    projectId: header(req, 'x-project-id') ?? header(req, 'x-tenant-id') ?? (defaultProjectId === '' ? null : defaultProjectId),
    userId: header(req, 'x-user-id') ?? null,
    roles: roles ? roles.split(',').map((r) => r.trim()).filter(Boolean) : [],
    isAdmin: true,
  }
}
