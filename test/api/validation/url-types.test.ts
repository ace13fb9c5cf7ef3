import { test } from 'node:test'
import { url, urlPath } from '../../../src/api/validation/url-types.ts'
import { assertAccepts, assertRefuses } from './field-assertions.ts'

test('url takes absolute http(s) URLs with a host', () => {
  const good = [
    'http://example.com', 'https://example.com/', 'HTTPS://Example.COM:8443/a/b?c=d&e=%20f#frag',
    'http://user:pw@example.com/', 'http://192.0.2.1:80/x', 'http://[2001:db8::1]/', 'https://www.example.com/a(b)c;d=e',
  ]
  assertAccepts(url(), good.map((u) => [u, u] as const))
  const reason = 'Value must be a valid URL string'
  const bad = [
    'example.com', 'ftp://example.com/', 'http://', 'http:///path', 'http://exa mple.com/', 'http://example.com/a b',
    'http://example.com/\n', 'http://example.com:99999/', 'http://example.com:port/', 'http://[not-v6]/',
    'http://example.com/%zz', 'http://example.com/"quoted"', 'http://example.com/é', '/relative',
  ]
  assertRefuses(url(), bad.map((u) => [u, u, reason] as const))
  assertRefuses(url(), [[42, '42', reason], [['http://example.com'], "['http://example.com']", reason]])
})

test('url with a maximum refuses longer URLs with the string-length message (spec §18)', () => {
  const long = `http://example.com/${'a'.repeat(237)}`
  assertAccepts(url({ max: 255 }), [[long.slice(0, 255), long.slice(0, 255)]])
  assertRefuses(url({ max: 255 }), [[long, long, 'Value should have a maximum character requirement of 255']])
})

test('urlPath takes a path starting with / and nothing before it', () => {
  assertAccepts(urlPath(), ['/', '/health', '/a/b?c=d#e', '/é'].map((p) => [p, p] as const))
  const reason = 'Value must be a valid URL Path string'
  const bad = ['', 'health', '//example.com/health', 'http://example.com/health', '/a b', '/a\tb', '/a\x00', '/a\x7f']
  assertRefuses(urlPath(), bad.map((p) => [p, p, reason] as const))
  assertRefuses(urlPath(), [[1, '1', reason]])
})
