// Keystone's standard implied roles (rbac.md §1): a token's roles include the roles its roles imply.
const IMPLIES: Readonly<Record<string, readonly string[]>> = {
  admin: ['member'],
  member: ['reader'],
}

/** The roles, lower case, each once, with every role they imply (admin ⇒ member ⇒ reader). */
export function withImpliedRoles(roles: readonly string[]): string[] {
  const out = new Set<string>()
  const add = (role: string): void => {
    if (out.has(role)) return
    out.add(role)
    for (const implied of IMPLIES[role] ?? []) add(implied)
  }
  for (const role of roles) add(role.trim().toLowerCase())
  out.delete('')
  return [...out]
}
