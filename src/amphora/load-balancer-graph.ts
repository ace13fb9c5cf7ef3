import type { Selectable } from 'kysely'
import type { HaproxyAmphoraConfig } from '../config/schema.ts'
import type { L7PolicyTable, L7RuleTable } from '../db/schema.ts'
import type { HealthMonitor } from '../db/repositories/health-monitor-repository.ts'
import type { Listener } from '../db/repositories/listener-repository.ts'
import type { LoadBalancer } from '../db/repositories/load-balancer-repository.ts'
import type { Member } from '../db/repositories/member-repository.ts'
import type { Pool } from '../db/repositories/pool-repository.ts'

// What the HAProxy renderer reads of a load balancer: the repositories' rows, narrowed to the
// fields the configuration depends on, so the rows themselves can be passed as they are.

export type L7RuleNode = Pick<Selectable<L7RuleTable>,
  'id' | 'type' | 'compare_type' | 'key' | 'value' | 'invert' | 'enabled' | 'provisioning_status'>

export type L7PolicyNode = Pick<Selectable<L7PolicyTable>,
  'id' | 'action' | 'redirect_pool_id' | 'redirect_url' | 'redirect_prefix' | 'redirect_http_code' | 'position' | 'enabled' |
  'provisioning_status'> & { rules: readonly L7RuleNode[] }

export type ListenerNode = Pick<Listener,
  'id' | 'protocol' | 'protocol_port' | 'connection_limit' | 'default_pool_id' | 'enabled' | 'provisioning_status' |
  'insert_headers' | 'allowed_cidrs' | 'timeout_client_data' | 'timeout_member_connect' | 'timeout_member_data' |
  'timeout_tcp_inspect'> & { l7policies: readonly L7PolicyNode[] }

export type MemberNode = Pick<Member,
  'id' | 'ip_address' | 'protocol_port' | 'weight' | 'backup' | 'monitor_address' | 'monitor_port' | 'enabled' | 'provisioning_status'>

export type HealthMonitorNode = Pick<HealthMonitor,
  'id' | 'type' | 'delay' | 'timeout' | 'fall_threshold' | 'rise_threshold' | 'http_method' | 'url_path' | 'expected_codes' |
  'http_version' | 'domain_name' | 'enabled' | 'provisioning_status'>

export type PoolNode = Pick<Pool, 'id' | 'protocol' | 'lb_algorithm' | 'enabled' | 'provisioning_status' | 'session_persistence'> & {
  members: readonly MemberNode[]
  healthmonitor: HealthMonitorNode | null
}

/** One load balancer with everything below it: the input of renderHaproxyConfig. */
export interface LoadBalancerGraph {
  loadbalancer: Pick<LoadBalancer, 'id' | 'project_id' | 'enabled'> & {
    vip: { ip_address: string | null } | null
    additional_vips: readonly { ip_address: string | null }[]
  }
  listeners: readonly ListenerNode[]
  pools: readonly PoolNode[]
}

/** The operator's options the configuration depends on (config section haproxy_amphora), plus what the host agent reports. */
export type HaproxySettings = Pick<HaproxyAmphoraConfig,
  'connection_logging' | 'user_log_format' | 'default_connection_limit' | 'timeout_client_data' | 'timeout_member_connect' |
  'timeout_member_data' | 'timeout_tcp_inspect' | 'haproxy_stick_size'> & {
  /** The agent's cap on one amphora's connections (its open-file limit, GET /1.0/details); global maxconn never exceeds it. */
  max_connections: number | null
  /** The agent's ICMP check script for PING monitors (GET /1.0/details). */
  ping_wrapper: string
}
