import type { FastifyInstance } from 'fastify'

// The one part of Keystone's API clients ask at our own endpoint: python-openstackclient, run with
// `--os-auth-type none --os-endpoint <ours>`, looks a project argument up as GET /projects/<arg>,
// /projects?name=<arg> and /projects (e.g. `openstack loadbalancer quota set <project>`). We keep
// no projects, so we refuse as Keystone refuses a caller who may not read projects; the client
// then uses the argument as the project id, as it does against a real Keystone.

function forbidden(action: string) {
  return { error: { code: 403, title: 'Forbidden', message: `You are not authorized to perform the requested action: identity:${action}.` } }
}

export function registerKeystoneRoutes(app: FastifyInstance): void {
  app.get('/projects', async (_req, reply) => reply.code(403).send(forbidden('list_projects')))
  app.get('/projects/:id', async (_req, reply) => reply.code(403).send(forbidden('get_project')))
}
