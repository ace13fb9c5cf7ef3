import assert from 'node:assert/strict'
import { test } from 'node:test'
import { DEFAULT_NETWORK_ID, DEFAULT_PROJECT_ID, DEFAULT_SUBNET_ID, DEV_HEARTBEAT_KEY } from '../../src/config/defaults.ts'
import { loadConfig } from '../../src/config/load-config.ts'
import { API_PILLAR, MANAGER_EXTRAS, MANAGER_PILLAR, writePillars } from './pillar-files.ts'

test('the API sample pillar loads unchanged', () => {
  const { config, warnings } = loadConfig({ files: [API_PILLAR], env: {} })
  assert.deepEqual(warnings, [])
  assert.deepEqual(config.roles, { api: true, manager: false, agent: false })
  assert.equal(config.version, 'ocata')
  assert.deepEqual(config.api.bind, { address: '127.0.0.1', port: 9876 })
  assert.deepEqual(config.database, {
    engine: 'mysql', path: 'var/octavia.sqlite', host: '127.0.0.1', port: 3306, name: 'octavia', user: 'octavia',
    password: 'password', max_pool_size: 10, max_overflow: 20, pool_timeout: 10,
  })
  assert.equal(config.identity.engine, 'keystone')
  assert.equal(config.identity.port, 35357)
  assert.equal(config.identity.tenant, 'service')
  assert.equal(config.api_settings.auth_strategy, 'keystone')
  assert.equal(config.message_queue.engine, 'rabbitmq')
  assert.equal(config.message_queue.user, 'openstack')
  assert.equal(config.message_queue.virtual_host, '/openstack')
  assert.deepEqual(config.sources, [API_PILLAR])
})

test('the manager sample pillar loads unchanged', () => {
  const { config, warnings } = loadConfig({ files: [MANAGER_PILLAR], env: {} })
  assert.deepEqual(warnings, [])
  assert.deepEqual(config.roles, { api: false, manager: true, agent: false })
  assert.equal(config.version, 'ocata')
  assert.equal(config.database.engine, 'mysql')
  assert.equal(config.identity.engine, 'keystone')
  assert.equal(config.message_queue.virtual_host, '/openstack')
  assert.equal(config.controller_worker.loadbalancer_topology, 'SINGLE')
  assert.equal(config.controller_worker.amp_flavor_id, '967972bb-ab54-4679-9f53-bf81d5e28154')
  assert.equal(config.controller_worker.amp_image_tag, 'amphora')
  assert.equal(config.controller_worker.amp_ssh_key_name, 'octavia_ssh_key')
  assert.equal(config.house_keeping.spare_amphora_pool_size, 0)
  assert.equal(config.health_manager.bind_ip, '192.168.0.12')
  assert.equal(config.health_manager.heartbeat_key, 'insecure')
  assert.equal(config.certificates.ca_certificate, '/etc/octavia/certs/ca_01.pem')
  assert.equal(config.certificates.ca_private_key, '/etc/octavia/certs/private/cakey.pem')
  assert.equal(config.haproxy_amphora.client_cert_key, '/etc/octavia/certs/client.key')
  assert.equal(config.haproxy_amphora.server_ca, '/etc/octavia/certs/ca_01.pem')
  assert.match(config.ssh.private_key ?? '', /^-----BEGIN RSA PRIVATE KEY-----\n/)
  assert.equal(config.ssh.user, 'octavia')
  assert.equal(config.ssh.group, 'octavia')
})

test('both sample pillars load together without conflict', () => {
  const { config, warnings } = loadConfig({ files: [API_PILLAR, MANAGER_PILLAR], env: {} })
  assert.deepEqual(warnings, [])
  assert.deepEqual(config.roles, { api: true, manager: true, agent: false })
  assert.equal(config.database.host, '127.0.0.1')
  assert.equal(config.controller_worker.loadbalancer_topology, 'SINGLE')
  assert.deepEqual(config.sources, [API_PILLAR, MANAGER_PILLAR])
})

test('with no file the embedded default runs every role on sqlite, the memory queue, noauth and loopback', () => {
  const { config, warnings } = loadConfig({ env: {} })
  assert.deepEqual(warnings, [])
  assert.deepEqual(config.sources, [])
  assert.deepEqual(config.roles, { api: true, manager: true, agent: true })
  assert.equal(config.version, 'gazpacho')
  assert.equal(config.database.engine, 'sqlite')
  assert.equal(config.database.path, 'var/octavia.sqlite')
  assert.equal(config.database.port, null)
  assert.equal(config.message_queue.engine, 'memory')
  assert.equal(config.identity.engine, 'noauth')
  assert.equal(config.identity.default_project_id, DEFAULT_PROJECT_ID)
  assert.deepEqual(config.networks, [{
    id: DEFAULT_SUBNET_ID, name: 'local', cidr: '127.64.0.0/16', kind: 'loopback', network_id: DEFAULT_NETWORK_ID,
    gateway_ip: null, allocation_pools: [{ start: '127.64.0.1', end: '127.64.255.254' }], bridge: null,
  }])
  assert.equal(DEFAULT_SUBNET_ID, '317aef40-ef77-4a2d-b4e2-234d69f0eaf9')
  assert.equal(DEFAULT_NETWORK_ID, '82a9e159-989e-4ebf-8b49-19ca399c16fe')
  assert.deepEqual(Object.values(config.quotas), [-1, -1, -1, -1, -1, -1, -1])
  assert.equal(config.api_settings.healthcheck_enabled, true)
  assert.equal(config.health_manager.heartbeat_key, DEV_HEARTBEAT_KEY)
  assert.deepEqual(config.agent.controllers, ['127.0.0.1:5555'])
  assert.equal(config.agent.state_dir, 'var/agent')
  assert.deepEqual(config.agent.bind, { address: '127.0.0.1', port: 9443 })
})

test('a pillar without networks still gets the loopback default subnet', (t) => {
  const { paths } = writePillars(t, { 'p.yaml': 'octavia:\n  api:\n    enabled: true\n' })
  const { config } = loadConfig({ files: [paths['p.yaml']!], env: {} })
  assert.deepEqual(config.networks.map((n) => n.id), [DEFAULT_SUBNET_ID])
  assert.deepEqual(config.roles, { api: true, manager: false, agent: false })
})

test('the effective config is deeply frozen', () => {
  const { config } = loadConfig({ env: {} })
  assert.ok(Object.isFrozen(config))
  assert.ok(Object.isFrozen(config.database))
  assert.ok(Object.isFrozen(config.networks))
  assert.ok(Object.isFrozen(config.networks[0]!.allocation_pools[0]))
  assert.throws(() => {
    (config.database as { host: string | null }).host = 'elsewhere'
  }, TypeError)
})

test('a later file overrides an earlier one key by key; lists are replaced', (t) => {
  const { paths } = writePillars(t, {
    'base.yaml': [
      'octavia:',
      '  api:',
      '    enabled: true',
      '    bind: { address: 127.0.0.1, port: 9876 }',
      '  api_settings:',
      '    default_listener_tls_versions: [TLSv1.2, TLSv1.3]',
      '    pagination_max_limit: 50',
    ].join('\n'),
    'local.yaml': [
      'octavia:',
      '  api:',
      '    bind: { port: 19876 }',
      '  api_settings:',
      '    default_listener_tls_versions: [TLSv1.3]',
    ].join('\n'),
  })
  const { config } = loadConfig({ files: [paths['base.yaml']!, paths['local.yaml']!], env: {} })
  assert.deepEqual(config.api.bind, { address: '127.0.0.1', port: 19876 })
  assert.equal(config.api_settings.bind_port, 19876)
  assert.deepEqual(config.api_settings.default_listener_tls_versions, ['TLSv1.3'])
  assert.equal(config.api_settings.pagination_max_limit, 50)
  assert.equal(config.roles.api, true)
})

test('shared groups directly under octavia merge with the role sections', (t) => {
  const { paths } = writePillars(t, {
    'p.yaml': [
      'octavia:',
      '  database: { engine: postgresql, host: 192.0.2.5 }',
      '  api:',
      '    enabled: true',
      '    database: { name: lbaas }',
      '  manager:',
      '    enabled: true',
      '    database: { host: 192.0.2.5 }',
      `    ${MANAGER_EXTRAS}`,
    ].join('\n'),
  })
  const { config, warnings } = loadConfig({ files: [paths['p.yaml']!], env: {} })
  assert.deepEqual(warnings, [])
  assert.equal(config.database.engine, 'postgresql')
  assert.equal(config.database.port, 5432)
  assert.equal(config.database.host, '192.0.2.5')
  assert.equal(config.database.name, 'lbaas')
})

test('environment overrides beat files and --set beats the environment', (t) => {
  const { paths } = writePillars(t, {
    'p.yaml': 'octavia:\n  manager:\n    enabled: true\n    house_keeping:\n      spare_amphora_pool_size: 1\n      cleanup_interval: 60\n',
  })
  const files = [paths['p.yaml']!]
  const env = {
    OCTAVIA__MANAGER__HOUSE_KEEPING__SPARE_AMPHORA_POOL_SIZE: '2',
    OCTAVIA__MANAGER__HOUSE_KEEPING__CLEANUP_INTERVAL: '90',
    OCTAVIA_LOG_LEVEL: 'debug',
  }
  const fromEnv = loadConfig({ files, env }).config
  assert.equal(fromEnv.house_keeping.spare_amphora_pool_size, 2)
  assert.equal(fromEnv.house_keeping.cleanup_interval, 90)

  const fromSet = loadConfig({ files, env, sets: ['octavia.manager.house_keeping.spare_amphora_pool_size=3'] }).config
  assert.equal(fromSet.house_keeping.spare_amphora_pool_size, 3)
  assert.equal(fromSet.house_keeping.cleanup_interval, 90)
})

test('override values are YAML scalars, except that string options take the text verbatim', () => {
  const { config } = loadConfig({
    env: {
      OCTAVIA__API_SETTINGS__ALLOW_SORTING: 'false',
      OCTAVIA__AGENT__CONTROLLERS: '[127.0.0.1:5555, 127.0.0.2:5555]',
      OCTAVIA__DATABASE__PASSWORD: '12345 #not-a-comment',
      OCTAVIA__VERSION: '2023.1',
    },
    sets: ['octavia.networking.reserved_ips=169.254.169.254,192.0.2.1', 'octavia.ssh.user=octavia=1'],
  })
  assert.equal(config.api_settings.allow_sorting, false)
  assert.deepEqual(config.agent.controllers, ['127.0.0.1:5555', '127.0.0.2:5555'])
  assert.deepEqual(config.health_manager.controller_ip_port_list, ['127.0.0.1:5555', '127.0.0.2:5555'])
  assert.equal(config.database.password, '12345 #not-a-comment')
  assert.equal(config.version, 'antelope')
  assert.deepEqual(config.networking.reserved_ips, ['169.254.169.254', '192.0.2.1'])
  assert.equal(config.ssh.user, 'octavia=1')
})

test('--set of a shared group updates every role section that gives it, so they still agree', () => {
  const { config } = loadConfig({
    files: [API_PILLAR, MANAGER_PILLAR],
    env: { OCTAVIA__DATABASE__HOST: 'db1.example.org' },
    sets: ['octavia.message_queue.virtual_host=/lbaas', 'octavia.version=pike'],
  })
  assert.equal(config.database.host, 'db1.example.org')
  assert.equal(config.message_queue.virtual_host, '/lbaas')
  assert.equal(config.version, 'pike')
})

test('api.bind and api_settings.bind_host/bind_port are one option', (t) => {
  const { paths } = writePillars(t, {
    'p.yaml': 'octavia:\n  api:\n    enabled: true\n    api_settings: { bind_host: 192.0.2.1, bind_port: 8080 }\n',
  })
  const { config } = loadConfig({ files: [paths['p.yaml']!], env: {} })
  assert.deepEqual(config.api.bind, { address: '192.0.2.1', port: 8080 })
})

test('versions are normalised to the release name, numbers included', (t) => {
  const { paths } = writePillars(t, {
    'p.yaml': 'octavia:\n  version: Caracal\n  api:\n    enabled: true\n    version: 2024.1\n',
  })
  assert.equal(loadConfig({ files: [paths['p.yaml']!], env: {} }).config.version, 'caracal')
})

test('certificate defaults follow the OS_OCTAVIA_* environment variables, as Octavia does', () => {
  const { config } = loadConfig({ env: { OS_OCTAVIA_TLS_CA_CERT: '/srv/ca.pem', OS_OCTAVIA_CA_KEY_PASS: 'k' } })
  assert.equal(config.certificates.ca_certificate, '/srv/ca.pem')
  assert.equal(config.certificates.ca_private_key, '/etc/ssl/private/ssl-cert-snakeoil.key')
  assert.equal(config.certificates.ca_private_key_passphrase, 'k')
})

test('subnets without network_id or allocation_pools get stable derived values', (t) => {
  const { paths } = writePillars(t, {
    'p.yaml': [
      'octavia:',
      '  networks:',
      '    - { id: 0b5c7a5e-4d0c-4f0e-9a57-3f1d2d7e8c11, name: mgmt, cidr: 192.0.2.0/24, kind: bridge, bridge: br-lb, gateway_ip: 192.0.2.1 }',
      '  api: { enabled: true }',
    ].join('\n'),
  })
  const load = (): ReturnType<typeof loadConfig>['config'] => loadConfig({ files: [paths['p.yaml']!], env: {} }).config
  const subnet = load().networks[0]!
  assert.match(subnet.network_id, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
  assert.equal(load().networks[0]!.network_id, subnet.network_id)
  assert.deepEqual(subnet.allocation_pools, [{ start: '192.0.2.2', end: '192.0.2.254' }])
})

test('an api-only host needs no heartbeat key; a manager outside the embedded setup does', (t) => {
  assert.equal(loadConfig({ files: [API_PILLAR], env: {} }).config.health_manager.heartbeat_key, null)
  const { paths } = writePillars(t, { 'm.yaml': 'octavia:\n  manager:\n    enabled: true\n    database: { engine: mysql, host: 192.0.2.5 }\n' })
  assert.throws(() => loadConfig({ files: [paths['m.yaml']!], env: {} }), {
    name: 'ConfigError',
    message: `${paths['m.yaml']}: octavia.manager.health_manager.heartbeat_key: required when the manager role runs, unless the deployment is the embedded kind (database sqlite, message_queue memory, loopback health_manager.bind_ip and agent.controllers)`,
  })
})
