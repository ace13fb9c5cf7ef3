import { InvalidInput } from '../../common/errors.ts'
import type { GraphL7Policy, GraphListener, GraphPool } from './full-graph-schema.ts'
import type { LB_ALGORITHMS, POOL_PROTOCOLS } from './pool-rules.ts'

// Which pools a full-graph create defines and which it only references (spec/api-v2.md §8.3).

/** A pool the graph creates: named, with its protocol and algorithm. */
export type PoolDefinition = GraphPool & {
  name: string
  protocol: (typeof POOL_PROTOCOLS)[number]
  lb_algorithm: (typeof LB_ALGORITHMS)[number]
}

export interface PlannedL7Policy {
  policy: GraphL7Policy
  /** The name of the pool it redirects to (defined in the graph), if it names one. */
  redirectPool: string | null
}

export interface PlannedListener {
  listener: GraphListener
  /** The name of its default pool (defined in the graph), if it has one. */
  defaultPool: string | null
  /** Its L7 policies in request order. */
  l7policies: PlannedL7Policy[]
}

export interface GraphPlan {
  /** In creation order: the top-level pools, then the definitions listeners carried inline. */
  pools: PoolDefinition[]
  listeners: PlannedListener[]
}

/**
 * Keys a pool object has without saying anything: its name, and the two fields upstream fills
 * with defaults (admin_state_up, tls_enabled). A pool with any other key is a full definition.
 */
const REFERENCE_KEYS: ReadonlySet<string> = new Set(['name', 'admin_state_up', 'tls_enabled'])

const validation = (detail: string) => new InvalidInput(`Validation failure: ${detail}`)
const MUST_BE_NAMED = 'Pools must be named when creating a fully populated loadbalancer.'

/**
 * spec/api-v2.md §8.3, in upstream's order: every pool a listener names (its default pool, then
 * its L7 policies' redirect pools) is named; one with more than a name is moved to the
 * definitions, one with only a name is a reference; definitions are named and unique; every
 * reference has a definition; every definition has a protocol and an algorithm. All failures
 * are 400 V: and come before anything is created.
 */
export function planFullGraph(listeners: readonly GraphListener[], pools: readonly GraphPool[]): GraphPlan {
  const definitions: GraphPool[] = [...pools]
  const references: string[] = []
  /** The name a listener or policy uses for an inline pool object, recording it as definition or reference. */
  const named = (pool: GraphPool | null | undefined): string | null => {
    if (pool === undefined || pool === null) return null
    if (!pool.name) throw validation(MUST_BE_NAMED)
    if (Object.keys(pool).some((key) => !REFERENCE_KEYS.has(key))) definitions.push(pool)
    else references.push(pool.name)
    return pool.name
  }
  const planned = listeners.map((listener): PlannedListener => {
    const defaultPool = named(listener.default_pool)
    const l7policies = (listener.l7policies ?? []).map((policy) => ({ policy, redirectPool: named(policy.redirect_pool) }))
    return { listener, defaultPool, l7policies }
  })

  const names = new Set<string>()
  for (const pool of definitions) {
    if (!pool.name) throw validation(MUST_BE_NAMED)
    if (names.has(pool.name)) throw validation('Pool names must be unique when creating a fully populated loadbalancer.')
    names.add(pool.name)
  }
  for (const name of references) {
    if (!names.has(name)) throw validation(`Pool '${name}' was referenced but no full definition was found.`)
  }
  const complete = definitions.map((pool): PoolDefinition => {
    const { name, protocol, lb_algorithm: algorithm } = pool
    if (!name) throw validation(MUST_BE_NAMED)
    if (!protocol) throw validation(`Pool definition for '${name}' missing required attribute: protocol`)
    if (!algorithm) throw validation(`Pool definition for '${name}' missing required attribute: lb_algorithm`)
    return { ...pool, name, protocol, lb_algorithm: algorithm }
  })
  return { pools: complete, listeners: planned }
}
