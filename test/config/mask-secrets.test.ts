import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { loadConfig } from '../../src/config/load-config.ts'
import { MASK, maskSecrets } from '../../src/config/mask-secrets.ts'
import { toYaml } from '../../src/config/render-pillar.ts'
import { API_PILLAR, MANAGER_PILLAR } from './pillar-files.ts'

test('the masked config shows no secret of the samples', () => {
  const { config } = loadConfig({ files: [API_PILLAR, MANAGER_PILLAR], env: {} })
  const shown = toYaml(maskSecrets(config))
  // 'password' and 'insecure' appear as key names (identity.password, certificates.insecure), never as values.
  const values = shown.split('\n').map((line) => line.replace(/^[\s-]*[a-z_0-9]+:\s?/, '').replace(/^"(.*)"$/, '$1'))
  assert.ok(!values.includes('password'))
  assert.ok(!values.includes('insecure'))
  assert.ok(values.includes('***'))
  assert.doesNotMatch(shown, /insecure-key-do-not-use-this-key/)
  // Every line of the RSA key body, and its armour.
  const keyLines = readFileSync(MANAGER_PILLAR, 'utf8').split('\n').filter((l) => /^\s+[A-Za-z0-9+/=]{40,}$/.test(l))
  assert.ok(keyLines.length > 20)
  for (const line of keyLines) assert.ok(!shown.includes(line.trim()), `key line shown: ${line.trim()}`)
  assert.doesNotMatch(shown, /PRIVATE KEY/)
  // The masked values are still there, as '***'.
  const masked = maskSecrets(config) as typeof config
  assert.equal(masked.database.password, MASK)
  assert.equal(masked.identity.password, MASK)
  assert.equal(masked.message_queue.password, MASK)
  assert.equal(masked.health_manager.heartbeat_key, MASK)
  assert.equal(masked.ssh.private_key as string, MASK)
  assert.equal(masked.database.user, 'octavia')
})

test('every declared secret is masked, unset secrets stay null, and the config itself is untouched', () => {
  const { config } = loadConfig({
    env: { OS_OCTAVIA_CA_KEY_PASS: 'ca-pass' },
    sets: [
      'octavia.task_flow.jobboard_backend_password=jb-pass',
      'octavia.task_flow.jobboard_redis_sentinel_password=sentinel-pass',
      'octavia.task_flow.jobboard_zookeeper_ssl_options={use_ssl: true, keyfile_password: zk-pass}',
      'octavia.task_flow.persistence_connection=mysql+pymysql://u:db-pass@192.0.2.9/tf',
    ],
  })
  const shown = toYaml(maskSecrets(config))
  for (const secret of ['ca-pass', 'jb-pass', 'sentinel-pass', 'zk-pass', 'db-pass', 'insecure-embedded-heartbeat-key']) {
    assert.ok(!shown.includes(secret), secret)
  }
  const masked = maskSecrets(config) as typeof config
  assert.equal(masked.certificates.ca_private_key_passphrase, MASK)
  assert.equal(masked.task_flow.jobboard_zookeeper_ssl_options.use_ssl, true)
  assert.equal(masked.database.password, null)
  assert.equal(config.task_flow.jobboard_backend_password, 'jb-pass')
})
