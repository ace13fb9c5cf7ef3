import type {
  HaproxySettings, HealthMonitorNode, L7PolicyNode, L7RuleNode, ListenerNode, LoadBalancerGraph, MemberNode, PoolNode,
} from '../../src/amphora/load-balancer-graph.ts'

// Small builders of load balancer graphs for the renderer's tests: every field has a plain
// default and each test overrides what it is about. Ids are UUIDs numbered by kind.

let counter = 0
export function uuid(kind: number): string {
  counter += 1
  return `${kind.toString(16).padStart(8, '0')}-0000-4000-8000-${counter.toString(16).padStart(12, '0')}`
}

export const SETTINGS: HaproxySettings = {
  connection_logging: true,
  user_log_format: '{{ project_id }} {{ lb_id }} %f %ci %cp %t %{+Q}r %ST %B %U %[ssl_c_verify] %{+Q}[ssl_c_s_dn] %b %s %Tt %tsc',
  default_connection_limit: 50000,
  timeout_client_data: 50000,
  timeout_member_connect: 5000,
  timeout_member_data: 50000,
  timeout_tcp_inspect: 0,
  haproxy_stick_size: '10k',
  max_connections: null,
  ping_wrapper: '/usr/lib/octavia/ping-wrapper.sh',
}

export function member(overrides: Partial<MemberNode> = {}): MemberNode {
  return {
    id: uuid(0x4), ip_address: '127.0.0.2', protocol_port: 8080, weight: 1, backup: false, monitor_address: null, monitor_port: null,
    enabled: true, provisioning_status: 'ACTIVE', ...overrides,
  }
}

export function healthMonitor(overrides: Partial<HealthMonitorNode> = {}): HealthMonitorNode {
  return {
    id: uuid(0x5), type: 'HTTP', delay: 5, timeout: 3, fall_threshold: 3, rise_threshold: 2, http_method: 'GET', url_path: '/',
    expected_codes: '200', http_version: null, domain_name: null, enabled: true, provisioning_status: 'ACTIVE', ...overrides,
  }
}

export function pool(overrides: Partial<PoolNode> = {}): PoolNode {
  return {
    id: uuid(0x3), protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', enabled: true, provisioning_status: 'ACTIVE', session_persistence: null,
    members: [], healthmonitor: null, ...overrides,
  }
}

export function rule(overrides: Partial<L7RuleNode> = {}): L7RuleNode {
  return {
    id: uuid(0x7), type: 'PATH', compare_type: 'STARTS_WITH', key: null, value: '/', invert: false, enabled: true,
    provisioning_status: 'ACTIVE', ...overrides,
  }
}

export function policy(overrides: Partial<L7PolicyNode> = {}): L7PolicyNode {
  return {
    id: uuid(0x6), action: 'REJECT', redirect_pool_id: null, redirect_url: null, redirect_prefix: null, redirect_http_code: null,
    position: 1, enabled: true, provisioning_status: 'ACTIVE', rules: [rule()], ...overrides,
  }
}

export function listener(overrides: Partial<ListenerNode> = {}): ListenerNode {
  return {
    id: uuid(0x2), protocol: 'HTTP', protocol_port: 80, connection_limit: null, default_pool_id: null, enabled: true,
    provisioning_status: 'ACTIVE', insert_headers: {}, allowed_cidrs: [], timeout_client_data: null, timeout_member_connect: null,
    timeout_member_data: null, timeout_tcp_inspect: null, l7policies: [], ...overrides,
  }
}

export function graph(parts: Partial<Omit<LoadBalancerGraph, 'loadbalancer'>> & { loadbalancer?: Partial<LoadBalancerGraph['loadbalancer']> } = {}): LoadBalancerGraph {
  return {
    loadbalancer: { id: uuid(0x1), project_id: 'project-a', enabled: true, vip: { ip_address: '127.64.0.10' }, additional_vips: [], ...parts.loadbalancer },
    listeners: parts.listeners ?? [],
    pools: parts.pools ?? [],
  }
}
