import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ConfigError, formatIssue } from '../../src/config/config-error.ts'
import { loadConfig } from '../../src/config/load-config.ts'
import { API_PILLAR, MANAGER_EXTRAS, MANAGER_PILLAR, writePillars } from './pillar-files.ts'

/** The ConfigError's lines, or a failure if loading succeeded. */
function problems(options: Parameters<typeof loadConfig>[0]): string[] {
  try {
    loadConfig(options)
  } catch (err) {
    assert.ok(err instanceof ConfigError)
    assert.equal(err.message, err.issues.map(formatIssue).join('\n'))
    return err.message.split('\n')
  }
  assert.fail('expected a ConfigError')
}

test('a wrong type names the file, the key path, what was expected and what was given', (t) => {
  const { dir } = writePillars(t, {
    'pillar.yaml': `octavia:\n  manager:\n    enabled: true\n    ${MANAGER_EXTRAS}\n    house_keeping:\n      spare_amphora_pool_size: two\n`,
  })
  const cwd = process.cwd()
  process.chdir(dir)
  try {
    assert.deepEqual(problems({ files: ['pillar.yaml'], env: {} }), [
      'pillar.yaml: octavia.manager.house_keeping.spare_amphora_pool_size: expected an integer >= 0, got "two"',
    ])
  } finally {
    process.chdir(cwd)
  }
})

test('out-of-range values, bad enum values and wrong list items are errors that say what is allowed', (t) => {
  const { paths } = writePillars(t, {
    'p.yaml': [
      'octavia:',
      '  api:',
      '    enabled: true',
      '    bind: { port: 70000 }',
      '    controller_worker: { loadbalancer_topology: DOUBLE }',
      '    api_settings: { default_listener_tls_versions: [TLSv1.2, TLSv9] }',
      '    quotas: { default_pool_quota: -2 }',
      '    networking: { reserved_ips: [not-an-ip] }',
    ].join('\n'),
  })
  const file = paths['p.yaml']!
  assert.deepEqual(problems({ files: [file], env: {} }), [
    `${file}: octavia.api.bind.port: expected an integer between 0 and 65535, got 70000`,
    `${file}: octavia.api.controller_worker.loadbalancer_topology: expected one of SINGLE, ACTIVE_STANDBY, got "DOUBLE"`,
    `${file}: octavia.api.api_settings.default_listener_tls_versions[1]: expected one of SSLv3, TLSv1, TLSv1.1, TLSv1.2, TLSv1.3, got "TLSv9"`,
    `${file}: octavia.api.quotas.default_pool_quota: expected an integer between -1 and 2000000000, got -2`,
    `${file}: octavia.api.networking.reserved_ips[0]: expected an IP address, got "not-an-ip"`,
  ])
})

test('every problem is reported together, each with its own file', (t) => {
  const { paths } = writePillars(t, {
    'a.yaml': 'octavia:\n  api:\n    enabled: maybe\n    database: { port: "3306" }\n',
    'b.yaml': 'octavia:\n  manager:\n    enabled: true\n    health_manager: { heartbeat_key: k, bind_port: 70000 }\n',
  })
  const [a, b] = [paths['a.yaml']!, paths['b.yaml']!]
  const lines = problems({ files: [a, b], env: {}, sets: ['octavia.nova.random_amphora_name_length=x'] })
  assert.deepEqual(lines.toSorted(), [
    `${a}: octavia.api.enabled: expected a boolean (true or false), got "maybe"`,
    `${a}: octavia.api.database.port: expected an integer between 1 and 65535, got "3306"`,
    `${b}: octavia.manager.health_manager.bind_port: expected an integer between 0 and 65535, got 70000`,
    '--set: octavia.nova.random_amphora_name_length: expected an integer between 0 and 255, got "x"',
  ].toSorted())
})

test('a missing required value names where it belongs', (t) => {
  const { paths } = writePillars(t, {
    'p.yaml': [
      'octavia:',
      '  api:',
      '    enabled: true',
      '    database: { engine: mysql }',
      '    identity: { engine: keystone, host: 192.0.2.7 }',
      '    message_queue: { engine: rabbitmq }',
    ].join('\n'),
  })
  const file = paths['p.yaml']!
  assert.deepEqual(problems({ files: [file], env: {} }), [
    `${file}: octavia.api.database.host: required when database.engine is mysql`,
    `${file}: octavia.api.identity.password: required when identity.engine is keystone`,
    `${file}: octavia.api.message_queue.host: required when message_queue.engine is rabbitmq`,
  ])
})

test('an unknown key is a warning by path, not an error', (t) => {
  const { paths } = writePillars(t, {
    'p.yaml': [
      'octavia:',
      '  manager:',
      '    enabled: true',
      `    ${MANAGER_EXTRAS}`,
      '    house_keeping: { spare_pool: 2 }',
      '    colour: blue',
      '  apis: {}',
      'nova: {}',
    ].join('\n'),
  })
  const file = paths['p.yaml']!
  const { config, warnings } = loadConfig({ files: [file], env: {} })
  assert.equal(config.house_keeping.spare_amphora_pool_size, 0)
  assert.deepEqual(warnings.map(formatIssue), [
    `${file}: nova: unknown key`,
    `${file}: octavia.apis: unknown key`,
    `${file}: octavia.manager.house_keeping.spare_pool: unknown key`,
    `${file}: octavia.manager.colour: unknown key`,
  ])
})

test('a role section without enabled is off, with a warning', (t) => {
  const { paths } = writePillars(t, { 'p.yaml': 'octavia:\n  api:\n    bind: { port: 9876 }\n' })
  const file = paths['p.yaml']!
  const { config, warnings } = loadConfig({ files: [file], env: {} })
  assert.equal(config.roles.api, false)
  assert.deepEqual(warnings.map(formatIssue), [`${file}: octavia.api.enabled: not given, so the api role is off on this host`])
})

test('the api and manager sections must agree on shared groups', (t) => {
  const { paths } = writePillars(t, {
    'p.yaml': [
      'octavia:',
      '  api:',
      '    enabled: true',
      '    database: { engine: mysql, host: 127.0.0.1, password: s3cret }',
      '  manager:',
      '    enabled: true',
      `    ${MANAGER_EXTRAS}`,
      '    version: pike',
      '    database: { engine: mysql, host: 10.0.0.1, password: other }',
      '  version: ocata',
    ].join('\n'),
  })
  const file = paths['p.yaml']!
  assert.deepEqual(problems({ files: [file], env: {} }), [
    `${file}: octavia.manager.version: conflicts with octavia.version ("pike" vs "ocata")`,
    `${file}: octavia.manager.database.host: conflicts with octavia.api.database.host ("10.0.0.1" vs "127.0.0.1")`,
    `${file}: octavia.manager.database.password: conflicts with octavia.api.database.password ("***" vs "***")`,
  ])
})

test('conflicts across files name each file', () => {
  const lines = problems({ files: [API_PILLAR, MANAGER_PILLAR], env: {}, sets: ['octavia.api.database.name=lbaas'] })
  assert.deepEqual(lines, [`${MANAGER_PILLAR}: octavia.manager.database.name: conflicts with octavia.api.database.name ("octavia" vs "lbaas")`])
})

test('two spellings of one option must agree', (t) => {
  const { paths } = writePillars(t, {
    'p.yaml': [
      'octavia:',
      '  api:',
      '    enabled: true',
      '    bind: { address: 0.0.0.0 }',
      '    identity: { engine: noauth }',
      '    api_settings: { bind_host: 127.0.0.1, auth_strategy: keystone }',
    ].join('\n'),
  })
  const file = paths['p.yaml']!
  assert.deepEqual(problems({ files: [file], env: {} }), [
    `${file}: octavia.api.api_settings.bind_host: conflicts with octavia.api.bind.address ("127.0.0.1" vs "0.0.0.0")`,
    `${file}: octavia.api.api_settings.auth_strategy: conflicts with octavia.api.identity.engine ("keystone" vs "noauth")`,
  ])
})

test('a YAML syntax error names the file and the line', (t) => {
  const { paths } = writePillars(t, { 'broken.yaml': 'octavia:\n  api:\n    enabled: true\n    bind: [1, 2\n    port: 3\n' })
  const file = paths['broken.yaml']!
  const [line] = problems({ files: [file], env: {} })
  assert.match(line ?? '', new RegExp(`^${file.replaceAll('.', '\\.')}:5:5: YAML syntax error: `))
})

test('duplicate keys, unreadable files and files without octavia are errors', (t) => {
  const { paths } = writePillars(t, {
    'dup.yaml': 'octavia:\n  api: {}\n  api: {}\n',
    'other.yaml': 'neutron:\n  server: {}\n',
  })
  const missing = `${paths['dup.yaml']!}.missing`
  assert.deepEqual(problems({ files: [paths['dup.yaml']!, missing, paths['other.yaml']!], env: {} }), [
    `${paths['dup.yaml']}:3:3: YAML syntax error: Map keys must be unique`,
    `${missing}: cannot read the file: no such file`,
    `${paths['other.yaml']}: octavia: a pillar's top-level key must be octavia, holding a mapping; it is missing`,
  ])
})

test('bad overrides name their variable or --set', () => {
  assert.deepEqual(problems({
    env: { OCTAVIA__DATABASE__ENGINE: 'oracle', OCTAVIA__HEALTH_MANAGER__HEARTBEAT_INTERVAL: '[1, 2' },
    sets: ['database.host=x', 'octavia.house_keeping.cleanup_interval=-5'],
  }), [
    'env OCTAVIA__HEALTH_MANAGER__HEARTBEAT_INTERVAL: octavia.health_manager.heartbeat_interval: not a valid YAML value: Flow sequence must end with a ]',
    '--set: expected octavia.<path>=<value>, such as octavia.database.host=db1, got "database.host=x"',
    'env OCTAVIA__DATABASE__ENGINE: octavia.database.engine: expected one of sqlite, mysql, postgresql, got "oracle"',
    '--set: octavia.house_keeping.cleanup_interval: expected an integer >= 1, got -5',
  ])
})

test('a secret of the wrong type is not echoed', (t) => {
  const { paths } = writePillars(t, { 'p.yaml': 'octavia:\n  api:\n    enabled: true\n    database: { password: 123456 }\n' })
  assert.deepEqual(problems({ files: [paths['p.yaml']!], env: {} }), [
    `${paths['p.yaml']}: octavia.api.database.password: expected a string, got a number (value hidden)`,
  ])
})

test('subnets are checked whole: addresses, kinds, duplicates and overlaps', (t) => {
  const { paths } = writePillars(t, {
    'p.yaml': [
      'octavia:',
      '  networks:',
      '    - { id: 317aef40-ef77-4a2d-b4e2-234d69f0eaf9, name: local, cidr: 127.64.0.1/16, kind: loopback }',
      '    - { id: 317aef40-ef77-4a2d-b4e2-234d69f0eaf9, name: lan, cidr: 192.0.2.0/24, kind: loopback }',
      '    - { id: 6d1f6f47-8a2e-4f4b-9d8e-0e3f2b1a4c55, name: lan, cidr: 198.51.100.0/24, kind: bridge, gateway_ip: 192.0.2.1 }',
      '    - { id: 7e2a7a58-9b3f-4a5c-8e9f-1f4a3c2b5d66, name: dup, cidr: 198.51.100.128/25, kind: bridge, bridge: br0, colour: red }',
      '    - { name: nameless }',
      '  api: { enabled: true }',
    ].join('\n'),
  })
  const file = paths['p.yaml']!
  const lines = problems({ files: [file], env: {} })
  assert.deepEqual(lines, [
    `${file}: octavia.networks[0].cidr: expected a CIDR such as 192.0.2.0/24, got "127.64.0.1/16": host bits are set; did you mean 127.64.0.0/16?`,
    `${file}: octavia.networks[1].cidr: a loopback subnet must lie in 127.0.0.0/8 (or be ::1/128), got "192.0.2.0/24"`,
    `${file}: octavia.networks[2].bridge: required when kind is bridge`,
    `${file}: octavia.networks[2].gateway_ip: "192.0.2.1" is not in 198.51.100.0/24`,
    `${file}: octavia.networks[4].id: required`,
    `${file}: octavia.networks[4].cidr: required`,
    `${file}: octavia.networks[4].kind: required`,
  ])
})

test('listeners of enabled roles may not share a port', () => {
  assert.deepEqual(problems({ env: {}, sets: ['octavia.agent.metrics.port=9877'] }), [
    '--set: octavia.agent.metrics.port: port 9877 is also used by octavia.api.metrics.port',
  ])
})
