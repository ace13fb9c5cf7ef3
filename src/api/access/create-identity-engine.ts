import { ServiceUnavailable } from '../../common/errors.ts'
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

/** The identity engine `identity.engine` names; one not wired yet answers every request 503. */
export function createIdentityEngine(config: OctaviaConfig, policy: PolicyEnforcer): IdentityEngine {
  const name = config.identity.engine
  const build = ENGINES[name]
  if (build) return build(config, policy)
  return { name, authenticate: async () => { throw new ServiceUnavailable(`the ${name} identity engine is not available yet`) } }
}
