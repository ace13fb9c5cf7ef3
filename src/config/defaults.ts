// The embedded default: what runs with no pillar file at all (`octavia up` on a fresh machine).
// Every option's own default lives in schema.ts; this file holds the fixed values that the rest
// of the product and the documentation (docs/configuration.md) refer to by name.

/** The id of the default subnet `local` (127.64.0.0/16, loopback): `--vip-subnet-id` this on a fresh machine. */
export const DEFAULT_SUBNET_ID = '317aef40-ef77-4a2d-b4e2-234d69f0eaf9'

/** The id of the network that holds the default subnet. */
export const DEFAULT_NETWORK_ID = '82a9e159-989e-4ebf-8b49-19ca399c16fe'

export const DEFAULT_SUBNET = {
  id: DEFAULT_SUBNET_ID,
  name: 'local',
  cidr: '127.64.0.0/16',
  kind: 'loopback',
  network_id: DEFAULT_NETWORK_ID,
} as const

/**
 * identity.default_project_id: the project of a request that names none, under the noauth and
 * headers engines. A fixed id in Keystone's format (32 hex digits), so clients that check ids accept it.
 */
export const DEFAULT_PROJECT_ID = 'c2d2965eb026497391726c86615d7655'

/**
 * health_manager.heartbeat_key when none is given and every heartbeat stays on this machine
 * (see config-rules.ts). Public, so it authenticates nothing: it only lets the embedded setup run.
 */
export const DEV_HEARTBEAT_KEY = 'insecure-embedded-heartbeat-key'

/** With no pillar file, all three roles run in this one process or host. */
export const EMBEDDED_PILLAR = {
  octavia: {
    api: { enabled: true },
    manager: { enabled: true },
    agent: { enabled: true },
  },
} as const
