import type { PolicyAction } from './access.ts'

/** Every per-call policy name starts with this (rbac.md §3). */
export const POLICY_PREFIX = 'os_load-balancer_api:'

const READ = 'rule:load-balancer:read'
const READ_GLOBAL = 'rule:load-balancer:read-global'
const WRITE = 'rule:load-balancer:write'
const ADMIN = 'rule:load-balancer:admin'
const READ_QUOTA = 'rule:load-balancer:read-quota'
const READ_QUOTA_GLOBAL = 'rule:load-balancer:read-quota-global'
const WRITE_QUOTA = 'rule:load-balancer:write-quota'

/** show / create / update / delete of an owned object. */
const CRUD = { get_one: READ, post: WRITE, put: WRITE, delete: WRITE } as const
/** An owned resource listed at the top level: own project or, with the global rule, every project (rbac.md §4). */
const LISTED = { get_all: READ, 'get_all-global': READ_GLOBAL } as const
/** Admin-only catalogue calls. */
const ADMIN_CRUD = { get_all: ADMIN, get_one: ADMIN, post: ADMIN, put: ADMIN, delete: ADMIN } as const

const RESOURCES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  'loadbalancer': {
    ...LISTED, ...CRUD,
    'post:vip_sg_ids': WRITE, 'put:vip_sg_ids': WRITE,
    get_stats: READ, get_status: READ, put_failover: ADMIN,
  },
  'listener': { ...LISTED, ...CRUD, get_stats: READ },
  'pool': { ...LISTED, ...CRUD },
  'member': { ...CRUD, get_all: `${READ} or rule:service` },
  'healthmonitor': { ...LISTED, ...CRUD },
  'l7policy': { ...LISTED, ...CRUD },
  'l7rule': { ...CRUD, get_all: READ },
  'quota': {
    get_all: READ_QUOTA, 'get_all-global': READ_QUOTA_GLOBAL,
    get_one: READ_QUOTA, get_defaults: READ_QUOTA, put: WRITE_QUOTA, delete: WRITE_QUOTA,
  },
  'provider': { get_all: READ },
  'provider-flavor': { get_all: ADMIN },
  'provider-availability-zone': { get_all: ADMIN },
  'flavor': { get_all: READ, get_one: READ, post: ADMIN, put: ADMIN, delete: ADMIN },
  'flavor-profile': ADMIN_CRUD,
  'availability-zone': { get_all: READ, get_one: READ, post: ADMIN, put: ADMIN, delete: ADMIN },
  'availability-zone-profile': ADMIN_CRUD,
  'amphora': { get_all: ADMIN, get_one: ADMIN, delete: ADMIN, get_stats: ADMIN, put_config: ADMIN, put_failover: ADMIN },
}

/**
 * rbac.md §3: every per-call policy (name without POLICY_PREFIX) and its default check. Operators
 * override them by full name in the policy file; test/fixtures/rbac-policy-table.md is the
 * spec's table this must match.
 */
export const POLICIES: ReadonlyMap<PolicyAction, string> = new Map(Object.entries(RESOURCES).flatMap(
  ([resource, actions]) => Object.entries(actions).map(([action, check]) => [`${resource}:${action}` as PolicyAction, check] as const),
))
