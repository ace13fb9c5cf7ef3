import { test } from 'node:test'
import { alpnProtocol, bool, float, int, oneOf, str, uuid } from '../../../src/api/validation/scalar-types.ts'
import { assertAccepts, assertRefuses } from './field-assertions.ts'

test('str checks type, then maximum, minimum and pattern, counting characters not UTF-16 units', () => {
  assertAccepts(str({ max: 3 }), [['', ''], ['abc', 'abc'], ['😀😀😀', '😀😀😀']])
  assertRefuses(str({ max: 3 }), [
    [123, '123', 'Value should be string'],
    [true, 'True', 'Value should be string'],
    [['a'], "['a']", 'Value should be string'],
    [{ a: 1 }, "{'a': 1}", 'Value should be string'],
    ['abcd', 'abcd', 'Value should have a maximum character requirement of 3'],
  ])
  assertRefuses(str({ max: 255, min: 1 }), [['', '', 'Value should have a minimum character requirement of 1']])
  // Octavia's DOMAIN_NAME_REGEX, printed as upstream prints it.
  const domain = /^(?=.{1,253}\.?$)(?:(?!-|[^.]+_)[A-Za-z0-9-_]{1,63}(?<!-)(?:\.|$))+$/
  assertAccepts(str({ max: 255, min: 1, pattern: domain }), [['example.com', 'example.com'], ['_srv.example.com.', '_srv.example.com.']])
  assertRefuses(str({ max: 255, min: 1, pattern: domain }), [
    ['-bad.example', '-bad.example', `Value should match the pattern ${domain.source}`],
  ])
  assertRefuses(str({ max: 255, pattern: /^[^\r\n]*$/, patternText: '^[^\\r\\n]*$' }), [
    ['a\nb', 'a\nb', 'Value should match the pattern ^[^\\r\\n]*$'],
  ])
})

test('uuid accepts every form uuid.UUID() takes and returns the canonical lower-case form', () => {
  const canonical = '6f1b2a3c-4d5e-4f60-8a7b-9c0d1e2f3a4b'
  assertAccepts(uuid(), [
    [canonical, canonical],
    ['6F1B2A3C-4D5E-4F60-8A7B-9C0D1E2F3A4B', canonical],
    ['6f1b2a3c4d5e4f608a7b9c0d1e2f3a4b', canonical],
    ['{6f1b2a3c-4d5e-4f60-8a7b-9c0d1e2f3a4b}', canonical],
    ['urn:uuid:6f1b2a3c-4d5e-4f60-8a7b-9c0d1e2f3a4b', canonical],
    ['6f1b-2a3c4d5e-4f60-8a7b9c0d-1e2f3a4b', canonical],
    ['{{6f1b2a3c4d5e4f608a7b9c0d1e2f3a4b}', canonical],
    ['00000000-0000-0000-0000-000000000000', '00000000-0000-0000-0000-000000000000'],
  ])
  assertRefuses(uuid(), [
    ['not-a-uuid', 'not-a-uuid', 'Value should be UUID format'],
    ['6f1b2a3c-4d5e-4f60-8a7b-9c0d1e2f3a4', '6f1b2a3c-4d5e-4f60-8a7b-9c0d1e2f3a4', 'Value should be UUID format'],
    ['6f1b2a3c-4d5e-4f60-8a7b-9c0d1e2f3a4g', '6f1b2a3c-4d5e-4f60-8a7b-9c0d1e2f3a4g', 'Value should be UUID format'],
    ['', '', 'Value should be UUID format'],
    [12, '12', 'Value should be UUID format'],
    [['6f1b2a3c-4d5e-4f60-8a7b-9c0d1e2f3a4b'], "['6f1b2a3c-4d5e-4f60-8a7b-9c0d1e2f3a4b']", 'Value should be UUID format'],
  ])
})

test('bool is lenient the way WSME is: integers and a few lower-case strings', () => {
  assertAccepts(bool(), [
    [true, true], [false, false], [1, true], [0, false], [-7, true],
    ...['true', 't', 'yes', 'y', 'on', '1'].map((s) => [s, true] as const),
    ...['false', 'f', 'no', 'n', 'off', '0'].map((s) => [s, false] as const),
  ])
  assertRefuses(bool(), [
    ['True', 'True', 'Value not an unambiguous boolean: True'],
    ['maybe', 'maybe', 'Value not an unambiguous boolean: maybe'],
    ['', '', 'Value not an unambiguous boolean: '],
    [1.5, '1.5', 'Value not an unambiguous boolean: 1.5'],
    [[true], '[True]', 'Value not an unambiguous boolean: [True]'],
    [{}, '{}', 'Value not an unambiguous boolean: {}'],
  ])
})

test('int takes numbers, numeric strings and booleans, truncates floats, and reports the converted value', () => {
  const port = int({ min: 1, max: 65535 })
  assertAccepts(port, [[80, 80], ['80', 80], [' 443 ', 443], ['+8_0', 80], [80.9, 80], [65535.99, 65535], [true, 1]])
  assertAccepts(int({ min: -1 }), [[-1, -1], ['-1', -1], [-1.9, -1], [-0.5, 0]])
  assertRefuses(port, [
    [0, '0', 'Value should be greater or equal to 1'],
    [0.5, '0', 'Value should be greater or equal to 1'],
    [false, '0', 'Value should be greater or equal to 1'],
    ['70000', '70000', 'Value should be lower or equal to 65535'],
    [1e20, '100000000000000000000', 'Value should be lower or equal to 65535'],
    ['99999999999999999999', '99999999999999999999', 'Value should be lower or equal to 65535'],
    ['80.9', '80.9', "invalid literal for int() with base 10: '80.9'"],
    ['http', 'http', "invalid literal for int() with base 10: 'http'"],
    ['', '', "invalid literal for int() with base 10: ''"],
    [[80], '[80]', "int() argument must be a string, a bytes-like object or a real number, not 'list'"],
    [{ port: 80 }, "{'port': 80}", "int() argument must be a string, a bytes-like object or a real number, not 'dict'"],
  ])
})

test('float takes numbers and numeric strings', () => {
  assertAccepts(float(), [[1.1, 1.1], ['1.1', 1.1], ['1', 1], [2, 2], [true, 1]])
  assertRefuses(float(), [
    ['one', 'one', "could not convert string to float: 'one'"],
    [[1], '[1]', "float() argument must be a string or a real number, not 'list'"],
  ])
})

test('oneOf checks membership after the base conversion and lists the values in the given order', () => {
  const protocol = oneOf(['TCP', 'HTTP', 'HTTPS'])
  assertAccepts(protocol, [['TCP', 'TCP'], ['HTTPS', 'HTTPS']])
  assertRefuses(protocol, [
    ['tcp', 'tcp', 'Value should be one of: TCP, HTTP, HTTPS'],
    [1, '1', 'Value should be one of: TCP, HTTP, HTTPS'],
    [['TCP'], "['TCP']", 'Value should be one of: TCP, HTTP, HTTPS'],
  ])
  const redirectCode = oneOf([301, 302, 303, 307, 308], int())
  assertAccepts(redirectCode, [[301, 301], ['302', 302], [307.5, 307]])
  assertRefuses(redirectCode, [
    [300, '300', 'Value should be one of: 301, 302, 303, 307, 308'],
    ['abc', 'abc', "invalid literal for int() with base 10: 'abc'"],
  ])
  const httpVersion = oneOf([1.0, 1.1], float())
  assertAccepts(httpVersion, [[1, 1], [1.1, 1.1], ['1.1', 1.1], ['1.0', 1]])
  assertRefuses(httpVersion, [
    [2, '2.0', 'Value should be one of: 1.0, 1.1'],
    ['1.2', '1.2', 'Value should be one of: 1.0, 1.1'],
    ['x', 'x', "could not convert string to float: 'x'"],
  ])
})

test('alpnProtocol takes the ALPN ids HAProxy is configured with', () => {
  assertAccepts(alpnProtocol(), [['h2', 'h2'], ['http/1.1', 'http/1.1'], ['http/1.0', 'http/1.0']])
  assertRefuses(alpnProtocol(), [
    ['h3', 'h3', 'Value should be a valid ALPN protocol ID'],
    ['H2', 'H2', 'Value should be a valid ALPN protocol ID'],
    [2, '2', 'Value should be a valid ALPN protocol ID'],
  ])
})
