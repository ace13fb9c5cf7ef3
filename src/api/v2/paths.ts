// spec/api-v2.md §1.1: /v2 and /v2.0 are the same tree, and every LBaaS resource is reachable
// with and without the /lbaas segment.
const PREFIXES = ['/v2/lbaas', '/v2.0/lbaas', '/v2', '/v2.0'] as const

/** Every URL a route answers on, for a path below the LBaaS root (e.g. '/loadbalancers/:id'). */
export function lbaasPaths(path: string): string[] {
  return PREFIXES.map((prefix) => `${prefix}${path}`)
}

// spec/api-v2.md §1.1: the amphora admin API lives only under /v2/octavia and /v2.0/octavia.
const OCTAVIA_PREFIXES = ['/v2/octavia', '/v2.0/octavia'] as const

/** Every URL an amphora admin route answers on, for a path below the octavia root (e.g. '/amphorae/:id'). */
export function octaviaPaths(path: string): string[] {
  return OCTAVIA_PREFIXES.map((prefix) => `${prefix}${path}`)
}
