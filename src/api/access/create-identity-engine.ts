import type { OctaviaConfig } from '../../config/schema.ts'
import { HeadersIdentity } from './headers-identity.ts'
import type { IdentityEngine } from './identity-engine.ts'
import { NoauthIdentity } from './noauth-identity.ts'
import type { PolicyEnforcer } from './policy-enforcer.ts'

type EngineName = IdentityEngine['name']

/** One line per engine: how it is built from the configuration and the policy (for `is_admin`). */
const ENGINES: Record<EngineName, ((config: OctaviaConfig, policy: PolicyEnforcer) => IdentityEngine) | null> = {
  noauth: (config) => new NoauthIdentity(config.identity.default_project_id),
  headers: (_config, policy) => new HeadersIdentity(policy),
  keystone: null,
}

/** The identity engine `identity.engine` names. */
export function createIdentityEngine(config: OctaviaConfig, policy: PolicyEnforcer): IdentityEngine {
  const build = ENGINES[config.identity.engine]
  if (!build) throw new Error(`the ${config.identity.engine} identity engine is not available yet`)
  return build(config, policy)
}
