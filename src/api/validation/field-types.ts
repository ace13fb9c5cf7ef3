// The catalogue of Octavia's field types (spec/api-v2.md §3.4, field tables of §8–§13).
export type { FieldAt, FieldType, Output, PresentValue } from './field-type.ts'
export { str, uuid, bool, int, float, oneOf, alpnProtocol, parsePythonUuid, type StrOptions, type IntOptions } from './scalar-types.ts'
export { ipAddress, cidr, normaliseIp, normaliseCidr } from './address-types.ts'
export { url, urlPath } from './url-types.ts'
export { list, dict, tags } from './container-types.ts'
export { object, type FieldSpec, type Schema, type Parsed } from './object-type.ts'
