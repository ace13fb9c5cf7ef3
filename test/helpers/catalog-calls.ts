import assert from 'node:assert/strict'
import type { ApiHarness } from './api-harness.ts'

// Calls and checks the catalogue tests (providers, flavors, availability zones) share.

/** The default providers (amphora, its alias octavia) and noop_driver; amphora the default. */
export const WITH_NOOP = [
  'octavia.api_settings.enabled_provider_drivers={amphora: "The Octavia Amphora driver.", octavia: "Deprecated alias of the Octavia Amphora driver.", noop_driver: "The noop driver."}',
]

export type Json = Record<string, unknown>

export interface Answer {
  status: number
  body: Json
}

/** One request; an empty body reads as {}. */
export async function call(api: ApiHarness, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown): Promise<Answer> {
  const res = await api.app.inject({ method, url, ...(payload !== undefined && { payload: payload as object }) })
  return { status: res.statusCode, body: res.body === '' ? {} : res.json() as Json }
}

/** A call that must succeed with `status`; resolves the object under `key`. */
export async function ok(api: ApiHarness, method: 'GET' | 'POST' | 'PUT', url: string, key: string, payload?: unknown, status = method === 'POST' ? 201 : 200): Promise<Json> {
  const answer = await call(api, method, url, payload)
  assert.equal(answer.status, status, JSON.stringify(answer.body))
  return answer.body[key] as Json
}

/**
 * Every row of the catalogue tables and the load balancers' references to them: equal before
 * and after a refused call means the call changed nothing.
 */
export async function catalogSnapshot(api: ApiHarness): Promise<string> {
  const db = api.deps.db.kysely
  const [profiles, flavors, zoneProfiles, zones, lbs] = await Promise.all([
    db.selectFrom('flavor_profile').selectAll().orderBy('id').execute(),
    db.selectFrom('flavor').selectAll().orderBy('id').execute(),
    db.selectFrom('availability_zone_profile').selectAll().orderBy('id').execute(),
    db.selectFrom('availability_zone').selectAll().orderBy('name').execute(),
    db.selectFrom('load_balancer').select(['id', 'flavor_id', 'availability_zone', 'provider', 'topology']).orderBy('id').execute(),
  ])
  return JSON.stringify({ profiles, flavors, zoneProfiles, zones, lbs })
}

/** A refused call: its status and faultstring, checked to have changed nothing. */
export async function refused(api: ApiHarness, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown): Promise<[number, string]> {
  const before = await catalogSnapshot(api)
  const answer = await call(api, method, url, payload)
  assert.equal(await catalogSnapshot(api), before, `${method} ${url} changed the catalogue`)
  return [answer.status, String(answer.body.faultstring)]
}
