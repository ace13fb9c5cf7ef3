import { haproxyWord, isSafeRedirectTarget, isToken } from './haproxy-word.ts'
import type { L7PolicyNode, L7RuleNode, PoolNode } from './load-balancer-graph.ts'

// spec/haproxy-mapping.md §5: one ACL per enabled rule (named by the rule's id), one action per
// policy conditioned on all its rules. HAProxy runs `http-request deny` before `redirect` before
// `use_backend` whatever their order in the file; writing them in that order keeps `haproxy -c`
// free of warnings, and within each kind position order decides.

const MATCH: Record<string, string> = { REGEX: '-m reg', STARTS_WITH: '-m beg', ENDS_WITH: '-m end', CONTAINS: '-m sub', EQUAL_TO: '-m str' }
const REDIRECT_CODES = new Set([301, 302, 303, 307, 308])

export interface L7Lines {
  acls: string[]
  denies: string[]
  redirects: string[]
  useBackends: string[]
}

/**
 * The frontend lines of a listener's L7 policies. `usablePool` says whether a pool has a backend
 * behind this listener (enabled and not being deleted); `backend` names it.
 */
export function renderL7Policies(
  policies: readonly L7PolicyNode[],
  usablePool: (poolId: string) => PoolNode | null,
  backend: (poolId: string) => string,
): L7Lines {
  const out: L7Lines = { acls: [], denies: [], redirects: [], useBackends: [] }
  const ordered = [...policies].sort((a, b) => a.position - b.position)
  for (const policy of ordered) {
    if (!policy.enabled || policy.provisioning_status === 'PENDING_DELETE') continue
    const rules = policy.rules.filter((r) => r.enabled && r.provisioning_status !== 'PENDING_DELETE')
    if (rules.length === 0) continue
    const acls = rules.map(aclLine)
    // A rule we cannot express would widen the policy's condition: leave the whole policy out.
    if (acls.some((acl) => acl === null)) continue
    const condition = `if ${rules.map((r) => (r.invert ? `!${r.id}` : r.id)).join(' ')}`
    const action = actionLine(policy, usablePool, backend)
    if (action === null) continue
    out.acls.push(...(acls as string[]))
    out[action.kind].push(`${action.line} ${condition}`)
  }
  return out
}

function actionLine(
  policy: L7PolicyNode,
  usablePool: (poolId: string) => PoolNode | null,
  backend: (poolId: string) => string,
): { kind: 'denies' | 'redirects' | 'useBackends'; line: string } | null {
  const code = policy.redirect_http_code !== null && REDIRECT_CODES.has(policy.redirect_http_code) ? ` code ${policy.redirect_http_code}` : ''
  switch (policy.action) {
    case 'REJECT':
      return { kind: 'denies', line: 'http-request deny' }
    case 'REDIRECT_TO_URL':
      return isSafeRedirectTarget(policy.redirect_url) ? { kind: 'redirects', line: `redirect location ${haproxyWord(policy.redirect_url)}${code}` } : null
    case 'REDIRECT_PREFIX':
      return isSafeRedirectTarget(policy.redirect_prefix) ? { kind: 'redirects', line: `redirect prefix ${haproxyWord(policy.redirect_prefix)}${code}` } : null
    case 'REDIRECT_TO_POOL':
      return policy.redirect_pool_id !== null && usablePool(policy.redirect_pool_id) !== null
        ? { kind: 'useBackends', line: `use_backend ${backend(policy.redirect_pool_id)}` }
        : null
    default:
      return null
  }
}

function aclLine(rule: L7RuleNode): string | null {
  const match = MATCH[rule.compare_type]
  const value = haproxyWord(rule.value)
  const acl = (criterion: string) => `acl ${rule.id} ${criterion}`
  switch (rule.type) {
    case 'HOST_NAME':
      return match ? acl(`req.hdr(host) -i ${match} ${value}`) : null
    case 'PATH':
      return match ? acl(`path ${match} ${value}`) : null
    case 'FILE_TYPE':
      if (rule.compare_type === 'EQUAL_TO') return acl(`path_end ${value}`)
      return match ? acl(`path_end ${match} ${value}`) : null
    case 'HEADER':
      return match && isToken(rule.key) ? acl(`req.hdr(${rule.key}) ${match} ${value}`) : null
    case 'COOKIE':
      return match && isToken(rule.key) ? acl(`req.cook(${rule.key}) ${match} ${value}`) : null
    case 'SSL_CONN_HAS_CERT':
      return acl('ssl_c_used')
    case 'SSL_VERIFY_RESULT':
      return /^\d+$/.test(rule.value) ? acl(`ssl_c_verify ${rule.value}`) : null
    case 'SSL_DN_FIELD':
      return match && isToken(rule.key) ? acl(`ssl_c_s_dn(${rule.key}) ${match} ${value}`) : null
    default:
      return null
  }
}
