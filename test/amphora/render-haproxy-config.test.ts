import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { HaproxySettings, LoadBalancerGraph } from '../../src/amphora/load-balancer-graph.ts'
import { renderHaproxyConfig } from '../../src/amphora/render-haproxy-config.ts'
import { expectedCodes } from '../../src/amphora/health-check.ts'
import { graph, healthMonitor, listener, member, policy, pool, rule, SETTINGS } from './graph-fixtures.ts'
import { haproxyCheck } from './haproxy-check.ts'

interface Fixture {
  name: string
  graph: LoadBalancerGraph
  settings?: Partial<HaproxySettings>
  /** Lines (trimmed) that must appear, in this order. */
  lines: string[]
  /** Patterns that must not appear anywhere. */
  absent?: RegExp[]
}

const fixtures: Fixture[] = []

{
  const backendPool = pool({
    lb_algorithm: 'ROUND_ROBIN',
    session_persistence: { type: 'HTTP_COOKIE', cookie_name: null, persistence_timeout: null, persistence_granularity: null },
    healthmonitor: healthMonitor({ type: 'HTTP', delay: 7, timeout: 4, fall_threshold: 5, rise_threshold: 2, http_method: 'HEAD', url_path: '/health',
      expected_codes: '200-202,204', http_version: 1.1, domain_name: 'app.example.com' }),
    members: [
      member({ id: 'a0000000-0000-4000-8000-000000000001', ip_address: '127.0.0.2', protocol_port: 8081, weight: 3 }),
      member({ id: 'a0000000-0000-4000-8000-000000000002', ip_address: '127.0.0.3', protocol_port: 8082, weight: 0, backup: true }),
      member({ id: 'a0000000-0000-4000-8000-000000000003', ip_address: '127.0.0.4', protocol_port: 8083, enabled: false,
        monitor_address: '127.0.0.40', monitor_port: 9000 }),
      member({ id: 'a0000000-0000-4000-8000-000000000004', provisioning_status: 'PENDING_DELETE' }),
    ],
  })
  const l = listener({
    protocol: 'HTTP', protocol_port: 8080, connection_limit: 1000, default_pool_id: backendPool.id, allowed_cidrs: ['10.0.0.0/8', '2001:db8::/32'],
    insert_headers: { 'X-Forwarded-For': 'true', 'X-Forwarded-Port': 'TRUE', 'X-Forwarded-Proto': 'True' },
    timeout_client_data: 20000, timeout_member_connect: 3000, timeout_member_data: 40000, timeout_tcp_inspect: 500,
  })
  const g = graph({ loadbalancer: { project_id: 'tenant 1' }, listeners: [l], pools: [backendPool] })
  const backend = `backend ${backendPool.id}:${l.id}`
  fixtures.push({
    name: 'HTTP listener, round robin pool with an HTTP monitor, cookie persistence, headers and allowed CIDRs',
    graph: g,
    lines: [
      'maxconn 1000',
      'log global',
      `frontend ${l.id}`, 'maxconn 1000', 'bind 127.64.0.10:8080', 'mode http',
      'tcp-request connection reject if !{ src 10.0.0.0/8 2001:db8::/32 }',
      `log-format tenant\\ 1\\ ${g.loadbalancer.id}\\ %f\\ %ci\\ %cp\\ %t\\ %{+Q}r\\ %ST\\ %B\\ %U\\ %[ssl_c_verify]\\ %{+Q}[ssl_c_s_dn]\\ %b\\ %s\\ %Tt\\ %tsc`,
      'timeout client 20000', 'tcp-request inspect-delay 500', `default_backend ${backendPool.id}:${l.id}`,
      backend, 'mode http', 'balance roundrobin', 'cookie SRV insert indirect nocache', 'load-server-state-from-file global', 'timeout check 4s',
      'option httpchk', 'http-check send meth HEAD uri /health ver HTTP/1.1 hdr Host app.example.com',
      'http-check expect rstatus ^(200|201|202|204)$',
      'option forwardfor', 'http-request set-header X-Forwarded-Port %[dst_port]', 'http-request set-header X-Forwarded-Proto http',
      'fullconn 1000', 'option allbackups', 'timeout connect 3000', 'timeout server 40000',
      'server a0000000-0000-4000-8000-000000000001 127.0.0.2:8081 weight 3 check inter 7s fall 5 rise 2 cookie a0000000-0000-4000-8000-000000000001',
      'server a0000000-0000-4000-8000-000000000002 127.0.0.3:8082 weight 0 check inter 7s fall 5 rise 2 cookie a0000000-0000-4000-8000-000000000002 backup',
      'server a0000000-0000-4000-8000-000000000003 127.0.0.4:8083 weight 1 check inter 7s fall 5 rise 2 addr 127.0.0.40 port 9000 ' +
        'cookie a0000000-0000-4000-8000-000000000003 disabled',
    ],
    absent: [/a0000000-0000-4000-8000-000000000004/, /external-check/],
  })
}

{
  const tcpPool = pool({
    protocol: 'TCP', lb_algorithm: 'LEAST_CONNECTIONS', healthmonitor: healthMonitor({ type: 'TCP', delay: 2, timeout: 1 }),
    session_persistence: { type: 'SOURCE_IP', cookie_name: null, persistence_timeout: null, persistence_granularity: null },
    members: [member({ id: 'b0000000-0000-4000-8000-000000000001', ip_address: '::1', protocol_port: 2222 })],
  })
  const l = listener({ protocol: 'TCP', protocol_port: 22, default_pool_id: tcpPool.id, insert_headers: { 'X-Forwarded-For': 'true' } })
  fixtures.push({
    name: 'TCP listener, least-connections pool with source-IP persistence and a TCP monitor, IPv6 member and VIPs',
    graph: graph({ loadbalancer: { vip: { ip_address: 'fd00::10' }, additional_vips: [{ ip_address: '127.64.0.11' }] }, listeners: [l], pools: [tcpPool] }),
    settings: { haproxy_stick_size: '20k' },
    lines: [
      `frontend ${l.id}`, 'bind fd00::10:22', 'bind 127.64.0.11:22', 'mode tcp',
      // The request line and status have no meaning in TCP mode (absent below).
      'log-format project-a\\ ',
      `backend ${tcpPool.id}:${l.id}`, 'mode tcp', 'balance leastconn', 'stick-table type ipv6 size 20k', 'stick on src',
      'timeout check 1s', 'server b0000000-0000-4000-8000-000000000001 ::1:2222 weight 1 check inter 2s fall 3 rise 2',
    ],
    absent: [/httpchk/, /forwardfor/, /http-reuse/, /%\{\+Q\}r/, /%ST/],
  })
}

{
  const https = pool({
    protocol: 'HTTPS', lb_algorithm: 'SOURCE_IP',
    healthmonitor: healthMonitor({ type: 'HTTPS', url_path: '/ping', expected_codes: '200,301' }),
    members: [member({ id: 'c0000000-0000-4000-8000-000000000001', protocol_port: 8443 })],
  })
  const hello = pool({ protocol: 'HTTPS', healthmonitor: healthMonitor({ type: 'TLS-HELLO' }), members: [member({ id: 'c0000000-0000-4000-8000-000000000002' })] })
  const l1 = listener({ protocol: 'HTTPS', protocol_port: 443, default_pool_id: https.id })
  const l2 = listener({ protocol: 'HTTPS', protocol_port: 8443, default_pool_id: hello.id })
  fixtures.push({
    name: 'HTTPS passthrough listeners with HTTPS and TLS-HELLO monitors',
    graph: graph({ listeners: [l1, l2], pools: [https, hello] }),
    lines: [
      'maxconn 100000',
      `frontend ${l1.id}`, 'bind 127.64.0.10:443', 'mode tcp',
      `backend ${https.id}:${l1.id}`, 'mode tcp', 'balance source', 'option httpchk', 'http-check send meth GET uri /ping',
      'http-check expect rstatus ^(200|301)$',
      'server c0000000-0000-4000-8000-000000000001 127.0.0.2:8443 weight 1 check inter 5s fall 3 rise 2 check-ssl verify none',
      `backend ${hello.id}:${l2.id}`, 'server c0000000-0000-4000-8000-000000000002 127.0.0.2:8080 weight 1 check inter 5s fall 3 rise 2',
    ],
  })
}

{
  const proxy = pool({ protocol: 'PROXY', members: [member({ id: 'd0000000-0000-4000-8000-000000000001' })] })
  const proxyV2 = pool({
    protocol: 'PROXYV2', members: [member({ id: 'd0000000-0000-4000-8000-000000000002' })],
    session_persistence: { type: 'APP_COOKIE', cookie_name: 'JSESSIONID', persistence_timeout: null, persistence_granularity: null },
  })
  const tcp = listener({ protocol: 'TCP', protocol_port: 25, default_pool_id: proxy.id })
  const http = listener({ protocol: 'HTTP', protocol_port: 80, default_pool_id: proxyV2.id, insert_headers: { 'X-Forwarded-For': 'true', 'X-Forwarded-Proto': 'true' } })
  fixtures.push({
    name: 'PROXY pool behind a TCP listener, PROXYV2 pool with app-cookie persistence behind an HTTP listener',
    graph: graph({ listeners: [tcp, http], pools: [proxy, proxyV2] }),
    lines: [
      `backend ${proxy.id}:${tcp.id}`, 'mode tcp', 'server d0000000-0000-4000-8000-000000000001 127.0.0.2:8080 weight 1 send-proxy',
      `backend ${proxyV2.id}:${http.id}`, 'mode http', 'stick-table type string len 64 size 10k',
      'stick store-response res.cook(JSESSIONID)', 'stick match req.cook(JSESSIONID)',
      // X-Forwarded-For only for HTTP pools; the protocol header follows the listener.
      'http-request set-header X-Forwarded-Proto http',
      'server d0000000-0000-4000-8000-000000000002 127.0.0.2:8080 weight 1 send-proxy-v2',
    ],
    absent: [/forwardfor/],
  })
}

{
  const l = listener({ protocol: 'PROMETHEUS', protocol_port: 9100, allowed_cidrs: ['127.0.0.0/8'] })
  fixtures.push({
    name: 'PROMETHEUS listener serving the exporter, logging off',
    graph: graph({ listeners: [l] }),
    settings: { connection_logging: false },
    lines: ['no log', `frontend ${l.id}`, 'mode http', 'tcp-request connection reject if !{ src 127.0.0.0/8 }',
      'http-request use-service prometheus-exporter if { path /metrics }', 'http-request deny'],
    absent: [/log-format/, /backend/],
  })
}

{
  const main = pool({ members: [member()] })
  const api = pool({ members: [member({ ip_address: '127.0.0.5' })] })
  const off = pool({ enabled: false, members: [member()] })
  const [deny, url, prefix, toPool, toDisabledPool, badUrl, disabled, noRules] = [
    policy({ position: 5, action: 'REJECT', rules: [rule({ id: 'e0000000-0000-4000-8000-000000000001', type: 'PATH', compare_type: 'STARTS_WITH', value: '/admin' })] }),
    policy({ position: 2, action: 'REDIRECT_TO_URL', redirect_url: 'https://example.com/moved', redirect_http_code: 308,
      rules: [rule({ id: 'e0000000-0000-4000-8000-000000000002', type: 'HOST_NAME', compare_type: 'EQUAL_TO', value: 'old.example.com' })] }),
    policy({ position: 3, action: 'REDIRECT_PREFIX', redirect_prefix: 'https://new.example.com', redirect_http_code: null,
      rules: [rule({ id: 'e0000000-0000-4000-8000-000000000003', type: 'FILE_TYPE', compare_type: 'EQUAL_TO', value: '.php' })] }),
    policy({ position: 1, action: 'REDIRECT_TO_POOL', redirect_pool_id: api.id, rules: [
      rule({ id: 'e0000000-0000-4000-8000-000000000004', type: 'HEADER', key: 'X-Tenant', compare_type: 'CONTAINS', value: 'a b#"c\\' }),
      rule({ id: 'e0000000-0000-4000-8000-000000000005', type: 'COOKIE', key: 'beta', compare_type: 'REGEX', value: '^on$', invert: true }),
      rule({ id: 'e0000000-0000-4000-8000-000000000006', type: 'PATH', compare_type: 'ENDS_WITH', value: '/x', enabled: false }),
    ] }),
    policy({ position: 4, action: 'REDIRECT_TO_POOL', redirect_pool_id: off.id, rules: [rule({ id: 'e0000000-0000-4000-8000-000000000007' })] }),
    policy({ position: 6, action: 'REDIRECT_TO_URL', redirect_url: 'https://evil.example/ x', rules: [rule({ id: 'e0000000-0000-4000-8000-000000000008' })] }),
    policy({ position: 7, enabled: false, rules: [rule({ id: 'e0000000-0000-4000-8000-000000000009' })] }),
    policy({ position: 8, rules: [rule({ id: 'e0000000-0000-4000-8000-00000000000a', enabled: false })] }),
  ]
  const l = listener({ default_pool_id: main.id, l7policies: [deny, url, prefix, toPool, toDisabledPool, badUrl, disabled, noRules] })
  fixtures.push({
    name: 'L7 policies: reject, redirects, redirect to pool; disabled, unusable and unsafe ones left out',
    graph: graph({ listeners: [l], pools: [main, api, off] }),
    lines: [
      'acl e0000000-0000-4000-8000-000000000004 req.hdr(X-Tenant) -m sub a\\ b\\#\\"c\\\\',
      'acl e0000000-0000-4000-8000-000000000005 req.cook(beta) -m reg ^on$',
      'acl e0000000-0000-4000-8000-000000000002 req.hdr(host) -i -m str old.example.com',
      'acl e0000000-0000-4000-8000-000000000003 path_end .php',
      'acl e0000000-0000-4000-8000-000000000001 path -m beg /admin',
      'http-request deny if e0000000-0000-4000-8000-000000000001',
      'redirect location https://example.com/moved code 308 if e0000000-0000-4000-8000-000000000002',
      'redirect prefix https://new.example.com if e0000000-0000-4000-8000-000000000003',
      `use_backend ${api.id}:${l.id} if e0000000-0000-4000-8000-000000000004 !e0000000-0000-4000-8000-000000000005`,
      `default_backend ${main.id}:${l.id}`,
      `backend ${main.id}:${l.id}`,
      `backend ${api.id}:${l.id}`,
    ],
    absent: [/e0000000-0000-4000-8000-00000000000[6789a]/, new RegExp(off.id), /evil/],
  })
}

{
  const pinged = pool({ protocol: 'TCP', healthmonitor: healthMonitor({ type: 'PING', delay: 10, timeout: 5 }), members: [member()] })
  const unmonitored = pool({ protocol: 'TCP', healthmonitor: healthMonitor({ type: 'TCP', enabled: false }), members: [member({ id: 'f0000000-0000-4000-8000-000000000001' })] })
  const l1 = listener({ protocol: 'TCP', protocol_port: 7000, connection_limit: 700000, default_pool_id: pinged.id })
  const l2 = listener({ protocol: 'TCP', protocol_port: 7001, connection_limit: -1, default_pool_id: unmonitored.id })
  const l3 = listener({ protocol: 'TCP', protocol_port: 7002, connection_limit: 5, enabled: false })
  const udp = listener({ protocol: 'UDP', protocol_port: 53 })
  fixtures.push({
    name: 'PING monitor, disabled monitor, connection limits summed and capped, disabled and UDP listeners left out',
    graph: graph({ listeners: [l1, l2, l3, udp], pools: [pinged, unmonitored] }),
    settings: { max_connections: 9000 },
    lines: [
      'maxconn 9000', 'external-check', 'insecure-fork-wanted',
      `backend ${pinged.id}:${l1.id}`, 'option external-check', 'external-check command /usr/lib/octavia/ping-wrapper.sh',
      `backend ${unmonitored.id}:${l2.id}`, 'server f0000000-0000-4000-8000-000000000001 127.0.0.2:8080 weight 1',
    ],
    absent: [new RegExp(`frontend ${l3.id}`), new RegExp(`frontend ${udp.id}`), /:7002/],
  })
}

{
  const l = listener({ default_pool_id: null })
  fixtures.push({
    name: 'disabled load balancer: no frontend, no backend',
    graph: graph({ loadbalancer: { enabled: false }, listeners: [l], pools: [pool()] }),
    lines: ['global', 'maxconn 1000000', 'defaults'],
    absent: [/frontend/, /backend/],
  })
}

for (const fixture of fixtures) {
  test(`renders: ${fixture.name}`, async () => {
    const text = renderHaproxyConfig(fixture.graph, { ...SETTINGS, ...fixture.settings })
    const lines = text.split('\n').map((line) => line.trim())
    let from = 0
    for (const expected of fixture.lines) {
      const at = lines.findIndex((line, i) => i >= from && line.startsWith(expected))
      assert.ok(at >= 0, `missing (in order) "${expected}" in:\n${text}`)
      from = at + 1
    }
    for (const pattern of fixture.absent ?? []) assert.doesNotMatch(text, pattern)
    const check = await haproxyCheck(text)
    assert.ok(check.valid, check.output)
    assert.doesNotMatch(check.output, /\[(WARNING|ALERT)\]/, check.output)
  })
}

test('rendering is a pure function of its input', () => {
  const g = fixtures[0]!.graph
  assert.equal(renderHaproxyConfig(g, SETTINGS), renderHaproxyConfig(structuredClone(g), { ...SETTINGS }))
})

test('expected codes expand lists and ranges', () => {
  assert.deepEqual(expectedCodes('200'), ['200'])
  assert.deepEqual(expectedCodes('200,202'), ['200', '202'])
  assert.deepEqual(expectedCodes('200-203,200'), ['200', '201', '202', '203'])
  assert.deepEqual(expectedCodes(null), ['200'])
})
