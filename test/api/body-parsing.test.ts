import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { connect } from 'node:net'
import { Readable } from 'node:stream'
import { createApi } from '../../src/api/create-api.ts'
import { BODY_LIMIT_BYTES } from '../../src/api/body-parsing.ts'
import { parseBody } from '../../src/api/validation/body-schema.ts'
import { str } from '../../src/api/validation/scalar-types.ts'
import { createLogger } from '../../src/common/logger.ts'
import { createMetricsRegistry } from '../../src/common/metrics.ts'

// createApi's app plus tiny routes that report what they received.
function api(t: TestContext) {
  const app = createApi({
    log: createLogger({ level: 'silent' }),
    registry: createMetricsRegistry(),
    healthcheck: { enabled: true, refreshIntervalSeconds: 5, probe: async () => {} },
  })
  const echo = async (req: { body: unknown }) => ({ undefined: req.body === undefined, body: req.body ?? null })
  app.post('/test/echo', echo)
  app.put('/test/echo', echo)
  app.delete('/test/echo', echo)
  app.get('/test/echo', echo)
  app.get('/test/items/:id', async (req) => ({ params: req.params, query: req.query }))
  app.post('/test/things', async (req) => parseBody(req.body, { arg: 'thing_', envelope: 'thing', fields: { name: { type: str({ max: 8 }), mandatory: true } } }))
  t.after(() => app.close())
  return app
}

function fault(faultstring: string) {
  return { faultcode: 'Client', faultstring, debuginfo: null }
}

test('JSON bodies under any of the accepted media types reach the route decoded', async (t) => {
  const app = api(t)
  for (const type of ['application/json', 'application/json; charset=utf-8', 'text/javascript', 'application/javascript', 'Application/JSON']) {
    const res = await app.inject({ method: 'POST', url: '/test/echo', headers: { 'content-type': type }, payload: '{"thing": {"name": "é"}}' })
    assert.equal(res.statusCode, 200, type)
    assert.deepEqual(res.json(), { undefined: false, body: { thing: { name: 'é' } } }, type)
  }
  for (const [payload, body] of [['[1, 2]', [1, 2]], ['"x"', 'x'], [' 7 ', 7], ['null', null]] as const) {
    const res = await app.inject({ method: 'PUT', url: '/test/echo', headers: { 'content-type': 'application/json' }, payload })
    assert.deepEqual(res.json(), { undefined: false, body }, payload)
  }
})

test('a non-empty body of another media type, or of none, is refused with 415 naming the type', async (t) => {
  const app = api(t)
  const cases: Array<[Record<string, string>, string]> = [
    [{ 'content-type': 'text/plain' }, 'Unknown mimetype: text/plain'],
    [{ 'content-type': 'application/xml; charset=utf-8' }, 'Unknown mimetype: application/xml'],
    [{ 'content-type': 'application/x-www-form-urlencoded' }, 'Unknown mimetype: application/x-www-form-urlencoded'],
    [{ 'content-type': 'garbage' }, 'Unknown mimetype: garbage'],
    [{}, 'Unknown mimetype: '],
  ]
  for (const [headers, message] of cases) {
    const res = await app.inject({ method: 'POST', url: '/test/echo', headers, payload: Buffer.from('{"a": 1}') })
    assert.equal(res.statusCode, 415, message)
    assert.match(String(res.headers['content-type']), /^application\/json/)
    assert.match(String(res.headers['x-openstack-request-id']), /^req-/)
    assert.deepEqual(res.json(), fault(message))
  }
})

test('a body that is not JSON (or not UTF-8) gets 400 "Request is not in valid JSON format"', async (t) => {
  const app = api(t)
  const bodies = ['{bad', '{"a": 1', '  ', "{'a': 1}", 'NaN', '\ufeff{}', Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x7d])]
  for (const payload of bodies) {
    const res = await app.inject({ method: 'POST', url: '/test/echo', headers: { 'content-type': 'application/json' }, payload })
    assert.equal(res.statusCode, 400, String(payload))
    assert.deepEqual(res.json(), fault('Request is not in valid JSON format'))
  }
})

test('an empty body reaches the route as undefined, whatever its Content-Type', async (t) => {
  const app = api(t)
  const headerSets = [{}, { 'content-type': 'application/json' }, { 'content-type': 'text/plain' }, { 'content-type': 'garbage' }]
  for (const method of ['POST', 'PUT', 'DELETE'] as const) {
    for (const headers of headerSets) {
      const res = await app.inject({ method, url: '/test/echo', headers, payload: '' })
      assert.equal(res.statusCode, 200, `${method} ${JSON.stringify(headers)}`)
      assert.deepEqual(res.json(), { undefined: true, body: null })
    }
  }
  // Routes that need a body answer as upstream does.
  const missing = await app.inject({ method: 'POST', url: '/test/things' })
  assert.equal(missing.statusCode, 400)
  assert.deepEqual(missing.json(), fault('Missing argument: "thing_"'))
})

test('body-schema errors from a route come back as 400 faults', async (t) => {
  const app = api(t)
  const res = await app.inject({ method: 'POST', url: '/test/things', payload: { thing: { name: 'far too long' } } })
  assert.equal(res.statusCode, 400)
  assert.deepEqual(res.json(), fault("Invalid input for field/attribute name. Value: 'far too long'. Value should have a maximum character requirement of 8"))
  const ok = await app.inject({ method: 'POST', url: '/test/things', payload: { thing: { name: 'short' } } })
  assert.deepEqual(ok.json(), { name: 'short' })
})

test('bodies over 114688 bytes get 413 with a fault body, declared or streamed', async (t) => {
  const app = api(t)
  const exact = `{"a": "${'x'.repeat(BODY_LIMIT_BYTES - 9)}"}`
  assert.equal(Buffer.byteLength(exact), BODY_LIMIT_BYTES)
  const fits = await app.inject({ method: 'POST', url: '/test/echo', headers: { 'content-type': 'application/json' }, payload: exact })
  assert.equal(fits.statusCode, 200)

  const over = `{"a": "${'x'.repeat(BODY_LIMIT_BYTES - 8)}"}`
  const declared = await app.inject({ method: 'POST', url: '/test/echo', headers: { 'content-type': 'application/json' }, payload: over })
  assert.equal(declared.statusCode, 413)
  assert.deepEqual(declared.json(), fault('Request is too large.'))
  // Too large wins over a wrong media type, as oslo's size limit runs before WSME.
  const wrongType = await app.inject({ method: 'PUT', url: '/test/echo', headers: { 'content-type': 'text/plain' }, payload: over })
  assert.equal(wrongType.statusCode, 413)

  const chunks = Array.from({ length: 8 }, () => Buffer.alloc(16_384, 0x20))
  const streamed = await app.inject({
    method: 'POST', url: '/test/echo', headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
    payload: Readable.from(chunks),
  })
  assert.equal(streamed.statusCode, 413)
  assert.deepEqual(streamed.json(), fault('Request is too large.'))
})

test('GET ignores a body, as Fastify never parses one there', async (t) => {
  const res = await api(t).inject({ method: 'GET', url: '/test/echo', headers: { 'content-type': 'text/plain' }, payload: 'x' })
  assert.equal(res.statusCode, 200)
  assert.deepEqual(res.json(), { undefined: true, body: null })
})

test('URL mistakes get Octavia bodies: bad percent-encoding 400, over-long segment 404; odd query strings pass', async (t) => {
  const app = api(t)
  const bad = await app.inject({ method: 'GET', url: '/test/items/%zz' })
  assert.equal(bad.statusCode, 400)
  assert.deepEqual(bad.json(), fault('Invalid URL: /test/items/%zz'))
  assert.match(String(bad.headers['x-openstack-request-id']), /^req-/)

  const name = encodeURIComponent('é'.repeat(255))
  const long = await app.inject({ method: 'GET', url: `/test/items/${name}` })
  assert.equal(long.statusCode, 200)
  assert.equal((long.json() as { params: { id: string } }).params.id, 'é'.repeat(255))
  const tooLong = await app.inject({ method: 'GET', url: `/test/items/${'a'.repeat(3000)}` })
  assert.equal(tooLong.statusCode, 404)
  assert.deepEqual(tooLong.json(), { code: 404, title: 'Not Found', description: null })

  const query = await app.inject({ method: 'GET', url: '/test/items/a?q=%zz&r=%E0%A4%A' })
  assert.equal(query.statusCode, 200)
  assert.deepEqual((query.json() as { query: unknown }).query, { q: '%zz', r: '%E0%A4%A' })
})

test('a request Node cannot parse gets a fault body, not Fastify\'s', async (t) => {
  const app = api(t)
  await app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = app.server.address() as { port: number }
  const response = await new Promise<string>((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write('NOT HTTP AT ALL\r\n\r\n'))
    let data = ''
    socket.on('data', (chunk) => { data += String(chunk) })
    socket.on('close', () => resolve(data))
    socket.on('error', reject)
  })
  assert.match(response, /^HTTP\/1\.1 400 Bad Request\r\n/)
  assert.match(response, /\r\nContent-Type: application\/json\r\n/)
  assert.deepEqual(JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4)), fault('Bad Request'))
})
