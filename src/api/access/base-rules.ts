// The rules the per-call policies of policy-table.ts are written in (rbac.md §2).

const OWNER = 'rule:load-balancer:owner'

/** rbac.md §2.1: the secure-RBAC defaults (oslo.policy `enforce_new_defaults = true`). */
export const SECURE_RULES: Readonly<Record<string, string>> = {
  'context_is_admin': 'role:admin',
  'load-balancer:owner': 'project_id:%(project_id)s',
  'project-member': 'role:member and project_id:%(project_id)s',
  'project-reader': 'role:reader and project_id:%(project_id)s',
  'service': 'role:service',
  'load-balancer:admin': 'is_admin:True or role:admin',
  'load-balancer:global_observer': 'role:admin',
  'load-balancer:member_and_owner': 'rule:project-member',
  'load-balancer:observer_and_owner': 'rule:project-reader',
  'load-balancer:quota-admin': 'role:admin',
  'load-balancer:read': 'rule:load-balancer:observer_and_owner or rule:load-balancer:global_observer'
    + ' or rule:load-balancer:member_and_owner or rule:load-balancer:admin',
  'load-balancer:read-global': 'rule:load-balancer:global_observer or rule:load-balancer:admin',
  'load-balancer:write': 'rule:load-balancer:member_and_owner or rule:load-balancer:admin',
  'load-balancer:read-quota': 'rule:load-balancer:observer_and_owner or rule:load-balancer:global_observer'
    + ' or rule:load-balancer:member_and_owner or rule:load-balancer:quota-admin or rule:load-balancer:admin',
  'load-balancer:read-quota-global': 'rule:load-balancer:global_observer or rule:load-balancer:quota-admin or rule:load-balancer:admin',
  'load-balancer:write-quota': 'rule:load-balancer:quota-admin or rule:load-balancer:admin',
}

/**
 * rbac.md §2.2: the legacy "advanced RBAC" definitions Octavia registers as deprecated
 * alternatives; without `enforce_new_defaults` each passes when either it or the new check does.
 */
export const LEGACY_ALTERNATIVES: Readonly<Record<string, string>> = {
  'context_is_admin': 'role:admin or role:load-balancer_admin',
  'load-balancer:admin': 'is_admin:True or role:admin or role:load-balancer_admin',
  'load-balancer:global_observer': 'role:load-balancer_global_observer',
  'load-balancer:member_and_owner': `role:load-balancer_member and ${OWNER}`,
  'load-balancer:observer_and_owner': `role:load-balancer_observer and ${OWNER}`,
  'load-balancer:quota-admin': 'role:load-balancer_quota_admin',
}

/** The base rules in force: §2.1, with §2.2's alternatives OR-ed in unless new defaults are enforced. */
export function baseRules(enforceNewDefaults: boolean): Record<string, string> {
  if (enforceNewDefaults) return { ...SECURE_RULES }
  return Object.fromEntries(Object.entries(SECURE_RULES).map(([name, check]) => {
    const legacy = LEGACY_ALTERNATIVES[name]
    return [name, legacy === undefined ? check : `(${check}) or (${legacy})`]
  }))
}
