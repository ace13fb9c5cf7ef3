import assert from 'node:assert/strict'
import { randomInt, randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { stopAmphorae } from '../agent/agent-harness.ts'
import { startOctavia, type RunningService } from './run-octavia.ts'
import { until, type UntilOptions } from './wait.ts'

export interface DataPlaneUp {
  service: RunningService
  /** The working directory (var/ with the database, the CA and the agent's amphorae). */
  cwd: string
  /** The API's base URL, e.g. http://127.0.0.1:40123 (the openstack client's --os-endpoint). */
  endpoint: string
  /** This instance's loopback subnet, named `local`: its VIPs are addresses of `cidr`. */
  subnet: { id: string; name: string; cidr: string }
  /**
   * Starts `octavia up` again in the same directory with the same configuration (same database,
   * CA and agent name: its agent adopts the running amphorae). This one must have exited first
   * (stopped or killed); the API listens on a new port, hence a new endpoint.
   */
  restart(): Promise<DataPlaneUp>
  /**
   * Runs `stop` after the test before this helper's own clean-up (which removes the directory):
   * for other processes the test started in it, e.g. more agents with their own state dirs.
   */
  beforeCleanup(stop: () => Promise<void>): void
}

/**
 * `octavia up` with the real data plane (its own agent running haproxy amphorae), on a loopback
 * /24 of its own (127.100-199.x.0/24, named `local`) so that instances running side by side never
 * hand out the same VIP. `pillar` is extra YAML under `octavia:` (indented two spaces);
 * `sets` are extra --set overrides. After the test: every `octavia up` started here (restarts
 * included) is stopped, then every haproxy its agent started, then the directory goes.
 */
export async function startUpWithDataPlane(t: TestContext, options: { pillar?: string; sets?: string[]; env?: Record<string, string> } = {}):
  Promise<DataPlaneUp> {
  const cwd = mkdtempSync(join(tmpdir(), 'octavia-up-'))
  const subnet = { id: randomUUID(), name: 'local', cidr: `127.${randomInt(100, 200)}.${randomInt(0, 256)}.0/24` }
  const pillar = join(cwd, 'pillar.yaml')
  writeFileSync(pillar, [
    'octavia:',
    '  networks:',
    `    - id: ${subnet.id}`,
    `      name: ${subnet.name}`,
    `      cidr: ${subnet.cidr}`,
    '      kind: loopback',
    options.pillar ?? '',
  ].join('\n'))
  const sets = ['octavia.api.bind.port=0', 'octavia.api.metrics.port=0', ...(options.sets ?? [])].flatMap((s) => ['--set', s])
  const services: RunningService[] = []
  const extraStops: Array<() => Promise<void>> = []
  t.after(async () => {
    for (const stop of extraStops) await stop()
    for (const service of services) {
      if (service.child.exitCode === null && service.child.signalCode === null) await service.stop('SIGTERM')
    }
    await stopAmphorae(cwd)
    rmSync(cwd, { recursive: true, force: true })
  })
  const launch = async (): Promise<DataPlaneUp> => {
    const service = startOctavia(t, ['--config', pillar, ...sets, 'up'], {
      cwd, env: { OCTAVIA__CONTROLLER_WORKER__AMPHORA_DRIVER: 'amphora_haproxy_rest_driver', ...options.env },
    })
    services.push(service)
    const api = await service.waitForLog((l) => l.msg === 'api listening')
    return {
      service, cwd, endpoint: `http://127.0.0.1:${String(api.port)}`, subnet,
      restart: () => {
        if (service.child.exitCode === null && service.child.signalCode === null) {
          throw new Error('restart: the previous `octavia up` is still running; stop or kill it first')
        }
        return launch()
      },
      beforeCleanup: (stop) => {
        extraStops.push(stop)
      },
    }
  }
  return launch()
}

/** The v2 API of one `octavia up`, as the data-plane tests drive it: each call asserts its status. */
export function lbaas(up: DataPlaneUp) {
  const base = `${up.endpoint}/v2/lbaas`
  const send = async (method: string, path: string, body: unknown, expected: number) => {
    const res = await fetch(`${base}/${path}`, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
    assert.equal(res.status, expected, `${method} ${path}: ${await res.clone().text()}`)
    return res.json() as Promise<Record<string, { id: string }>>
  }
  const status = async (lbId: string) => ((await (await fetch(`${base}/loadbalancers/${lbId}`)).json()) as { loadbalancer: { provisioning_status: string } })
    .loadbalancer.provisioning_status
  return {
    post: (path: string, body: unknown) => send('POST', path, body, 201),
    put: (path: string, body: unknown) => send('PUT', path, body, 200),
    status,
    /** Resolves once the load balancer is ACTIVE; fails at once if it goes ERROR. */
    active: (lbId: string, options: UntilOptions = { timeoutMs: 60_000 }) => until(`load balancer ${lbId} ACTIVE`, async () => {
      const now = await status(lbId)
      assert.ok(!now.startsWith('ERROR'), `load balancer ${lbId} went ${now}`)
      return now === 'ACTIVE' ? true : undefined
    }, options),
  }
}

/**
 * POSTs the load balancer `web` in one call: HTTP listener `http` on port 8080 whose default pool
 * `backends` (ROUND_ROBIN) has the given members. Resolves as created (not yet ACTIVE).
 */
export async function createWebLoadBalancer(up: DataPlaneUp, backends: Array<{ address: string; port: number }>):
  Promise<{ id: string; vip_address: string; pools: Array<{ id: string }> }> {
  const created = await lbaas(up).post('loadbalancers', {
    loadbalancer: {
      name: 'web', vip_subnet_id: up.subnet.id,
      listeners: [{
        name: 'http', protocol: 'HTTP', protocol_port: 8080,
        default_pool: {
          name: 'backends', protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN',
          members: backends.map((b) => ({ address: b.address, protocol_port: b.port })),
        },
      }],
    },
  })
  return created.loadbalancer as unknown as { id: string; vip_address: string; pools: Array<{ id: string }> }
}
