import { test } from 'node:test'
import assert from 'node:assert/strict'
import { renderHaproxyConfig } from '../../../src/amphora/render-haproxy-config.ts'
import { createLogger } from '../../../src/common/logger.ts'
import { createFlowContext } from '../../../src/controller/flow-context.ts'
import { readLoadBalancerGraph } from '../../../src/controller/tasks/read-load-balancer-graph.ts'
import { seedHealthMonitor, seedL7Policy, seedL7Rule, seedMember } from '../../helpers/db-seed.ts'
import { TestClock } from '../../helpers/test-clock.ts'
import { ENGINES, withTestDatabase } from '../../helpers/test-database.ts'
import { SETTINGS } from '../../amphora/graph-fixtures.ts'
import { haproxyCheck } from '../../amphora/haproxy-check.ts'

for (const engine of ENGINES) {
  test(`a load balancer read from ${engine} renders a valid HAProxy configuration`, async (t) => {
    const db = await withTestDatabase(t, engine)
    const ctx = createFlowContext({ db, clock: new TestClock(), log: createLogger({ level: 'silent' }) })
    const lb = await ctx.loadBalancers.create({
      project_id: 'project-a', name: 'web', description: null, topology: 'SINGLE', provider: 'amphora', provisioning_status: 'ACTIVE',
      vip: { ip_address: '127.64.0.20', port_id: null, subnet_id: null, network_id: null },
    })
    const main = await ctx.pools.create({
      project_id: 'project-a', name: null, description: null, load_balancer_id: lb.id, protocol: 'HTTP', lb_algorithm: 'LEAST_CONNECTIONS',
      provisioning_status: 'ACTIVE', session_persistence: { type: 'APP_COOKIE', cookie_name: 'sid', persistence_timeout: null, persistence_granularity: null },
    })
    const api = await ctx.pools.create({
      project_id: 'project-a', name: null, description: null, load_balancer_id: lb.id, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', provisioning_status: 'ACTIVE',
    })
    const listener = await ctx.listeners.create({
      project_id: 'project-a', name: null, description: null, load_balancer_id: lb.id, protocol: 'HTTP', protocol_port: 8080, connection_limit: 200,
      default_pool_id: main.id, provisioning_status: 'ACTIVE', allowed_cidrs: ['10.0.0.0/8'], insert_headers: { 'X-Forwarded-For': 'true' },
    })
    const up = await seedMember(db.kysely, main.id, { ip_address: '127.0.0.2', protocol_port: 8081, weight: 5 })
    const off = await seedMember(db.kysely, main.id, { ip_address: '127.0.0.3', protocol_port: 8082, enabled: false })
    const leaving = await seedMember(db.kysely, main.id, { ip_address: '127.0.0.4', provisioning_status: 'PENDING_DELETE' })
    const apiMember = await seedMember(db.kysely, api.id, { ip_address: '127.0.0.5', protocol_port: 9000 })
    await seedHealthMonitor(db.kysely, main.id)
    const policy = await seedL7Policy(db.kysely, listener.id, api.id)
    const rule = await seedL7Rule(db.kysely, policy)

    const graph = await readLoadBalancerGraph(ctx, lb.id)
    assert.ok(graph !== null)
    assert.deepEqual(graph.listeners.map((l) => l.l7policies.map((p) => p.rules.map((r) => r.id))), [[[rule]]])
    assert.equal(graph.pools.find((p) => p.id === main.id)?.healthmonitor?.type, 'HTTP')
    const text = renderHaproxyConfig(graph, SETTINGS)
    for (const line of [
      'maxconn 200', `frontend ${listener.id}`, 'bind 127.64.0.20:8080', 'tcp-request connection reject if !{ src 10.0.0.0/8 }',
      `acl ${rule} path -m beg /api`, `use_backend ${api.id}:${listener.id} if ${rule}`, `default_backend ${main.id}:${listener.id}`,
      'balance leastconn', 'stick match req.cook(sid)', 'option forwardfor', 'http-check send meth GET uri / ver HTTP/1.1',
      `server ${up} 127.0.0.2:8081 weight 5 check inter 5s fall 3 rise 2`, `server ${off} 127.0.0.3:8082 weight 1 check inter 5s fall 3 rise 2 disabled`,
      `server ${apiMember} 127.0.0.5:9000 weight 1`,
    ]) assert.ok(text.split('\n').some((l) => l.trim() === line || l.trim().startsWith(`${line} `)), `missing "${line}" in:\n${text}`)
    assert.doesNotMatch(text, new RegExp(leaving))
    const check = await haproxyCheck(text)
    assert.ok(check.valid, check.output)

    assert.equal(await readLoadBalancerGraph(ctx, '00000000-0000-4000-8000-000000000000'), null)
  })
}
