import type { Clock } from '../../common/clock.ts'
import type { Logger } from '../../common/logger.ts'
import type { OctaviaConfig } from '../../config/schema.ts'
import { HeadersIdentity } from './headers-identity.ts'
import type { IdentityEngine } from './identity-engine.ts'
import { createKeystoneIdentity } from './keystone-identity.ts'
import { NoauthIdentity } from './noauth-identity.ts'
import type { PolicyEnforcer } from './policy-enforcer.ts'

type EngineName = IdentityEngine['name']

/** What engines that talk to a service (keystone) need besides the configuration. */
export interface IdentityDeps {
  clock: Clock
  log: Logger
}

/** One line per engine: how it is built from the configuration and the policy (for `is_admin`). */
const ENGINES: Record<EngineName, (config: OctaviaConfig, policy: PolicyEnforcer, deps: IdentityDeps) => IdentityEngine> = {
  noauth: (config) => new NoauthIdentity(config.identity.default_project_id),
  headers: (_config, policy) => new HeadersIdentity(policy),
  keystone: (config, policy, deps) => createKeystoneIdentity(config.identity, {
    ...deps, isAdmin: (caller) => policy.isAdmin({ roles: caller.roles, project_id: caller.projectId, user_id: caller.userId }),
  }),
}

/** The identity engine `identity.engine` names. */
export function createIdentityEngine(config: OctaviaConfig, policy: PolicyEnforcer, deps: IdentityDeps): IdentityEngine {
  return ENGINES[config.identity.engine](config, policy, deps)
}
