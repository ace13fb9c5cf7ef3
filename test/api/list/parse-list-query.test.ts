import { test } from 'node:test'
import assert from 'node:assert/strict'
import { InvalidInput } from '../../../src/common/errors.ts'
import { LIST_SPECS } from '../../../src/api/list/list-specs.ts'
import { parseListQuery, type ListSettings, type RawQuery } from '../../../src/api/list/parse-list-query.ts'
import type { ListSpec } from '../../../src/api/list/list-spec.ts'

const SETTINGS: ListSettings = {
  pagination_max_limit: 1000, allow_pagination: true, allow_sorting: true, allow_filtering: true, allow_field_selection: true,
}
const parse = (query: RawQuery, spec: ListSpec = LIST_SPECS.loadbalancer, settings: Partial<ListSettings> = {}) =>
  parseListQuery(query, spec, { ...SETTINGS, ...settings })
const refused = (query: RawQuery, message: string, spec?: ListSpec) =>
  assert.throws(() => parse(query, spec), (error: unknown) => error instanceof InvalidInput && error.message === message)
const orderOf = (query: RawQuery, spec?: ListSpec) =>
  parse(query, spec).order.map((term) => `${term.column.column} ${term.direction}`)
const INVALID = 'One or more arguments are either duplicate or invalid'

test('limit: absent is the maximum, < 1 or infinite is unlimited, Python int() syntax', () => {
  assert.equal(parse('').limit, 1000)
  assert.equal(parse('limit=5').limit, 5)
  assert.equal(parse('limit=%207%20').limit, 7)
  assert.equal(parse('limit=+3').limit, 3)
  assert.equal(parse('limit=1_0').limit, 10)
  assert.equal(parse('limit=2000').limit, 1000)
  for (const value of ['0', '-5', 'infinite']) assert.equal(parse(`limit=${value}`).limit, null)
  assert.equal(parse('', undefined, { pagination_max_limit: 'infinite' }).limit, null)
  assert.equal(parse('limit=5000', undefined, { pagination_max_limit: 'infinite' }).limit, 5000)
  assert.equal(parse('limit=5000', undefined, { pagination_max_limit: 0 }).limit, 5000)
  for (const value of ['Infinite', '', '1e3', '1.0', '1__0', 'ten']) {
    refused(`limit=${value}`, `Supplied pagination limit '${value}' is not valid.`)
  }
})

test('sort: keys map to storage columns; created_at, id are appended unless requested', () => {
  assert.deepEqual(orderOf(''), ['load_balancer.created_at asc', 'load_balancer.id asc'])
  assert.deepEqual(orderOf('sort=admin_state_up:desc,vip_address'),
    ['load_balancer.enabled desc', 'vip.ip_address asc', 'load_balancer.created_at asc', 'load_balancer.id asc'])
  assert.deepEqual(orderOf('sort=created_at:desc'), ['load_balancer.created_at desc', 'load_balancer.id asc'])
  assert.deepEqual(orderOf('sort=max_retries:desc', LIST_SPECS.healthmonitor),
    ['health_monitor.rise_threshold desc', 'health_monitor.created_at asc', 'health_monitor.id asc'])
  assert.deepEqual(orderOf('sort=address', LIST_SPECS.member), ['member.ip_address asc', 'member.created_at asc', 'member.id asc'])
  assert.deepEqual(orderOf('', LIST_SPECS.flavor), ['flavor.id asc'])
  // no default order upstream: the key keeps pages well defined
  assert.deepEqual(orderOf('', LIST_SPECS.availability_zone), ['availability_zone.name asc'])
  assert.deepEqual(orderOf('sort=load_balancer:desc', LIST_SPECS.quota), ['quotas.load_balancer desc', 'quotas.project_id asc'])
})

test('sort syntax and direction errors carry upstream messages', () => {
  refused('sort=name:UP', "Supplied sort direction 'up' is not valid.")
  refused('sort=name:', "Supplied sort direction '' is not valid.")
  refused('sort=name:asc:x', "Supplied sort key '['name', 'asc', 'x']' is not valid.")
  refused("sort=it's:a:b", `Supplied sort key '["it's", 'a', 'b']' is not valid.`)
  refused('sort=,name', "Supplied sort key '' is not valid.")
  refused('sort=name,%20id', "Supplied sort key ' id' is not valid.")
  refused('sort_key=name,id&sort_dir=desc,', "Supplied sort direction '' is not valid.")
  refused('sort=project_id', "Supplied sort key 'project_id' is not valid.", LIST_SPECS.amphora)
  refused('sort=name&sort=id', INVALID)
  // sort_dir alone is ignored; extra directions are not checked; an empty sort falls back to sort_key
  assert.deepEqual(orderOf('sort_dir=bogus'), ['load_balancer.created_at asc', 'load_balancer.id asc'])
  assert.deepEqual(orderOf('sort_key=name&sort_dir=desc,bogus')[0], 'load_balancer.name desc')
  assert.deepEqual(orderOf('sort_key=name&sort_dir=')[0], 'load_balancer.name asc')
  assert.deepEqual(orderOf('sort=&sort_key=name')[0], 'load_balancer.name asc')
})

test('filters: typed conditions; unknown, list-valued or repeated names are refused', () => {
  const vip = LIST_SPECS.loadbalancer.attributes.vip_address
  assert.deepEqual(parse('vip_address=10.0.0.1&name=a+b').conditions, [
    { column: vip, equals: '10.0.0.1' },
    { column: LIST_SPECS.loadbalancer.attributes.name, equals: 'a b' },
  ])
  assert.deepEqual(parse('admin_state_up=No').conditions.map((c) => 'equals' in c && c.equals), [false])
  assert.deepEqual(parse('protocol_port=%2080%20', LIST_SPECS.listener).conditions.map((c) => 'equals' in c && c.equals), [80])
  assert.deepEqual(parse('protocol_port=80x', LIST_SPECS.listener).conditions, [{ nothing: true }])
  assert.deepEqual(parse('http_version=1.1', LIST_SPECS.healthmonitor).conditions.map((c) => 'equals' in c && c.equals), [1.1])
  assert.deepEqual(parse('http_version=', LIST_SPECS.healthmonitor).conditions, [{ nothing: true }])
  assert.deepEqual(parse('updated_at=2024-02-30T00:00:00').conditions, [{ nothing: true }])
  const [second] = parse('created_at=2024-05-06 07:08:09').conditions
  assert.ok(second && 'from' in second)
  assert.deepEqual([second.from, second.before], [new Date('2024-05-06T07:08:09Z'), new Date('2024-05-06T07:08:10Z')])
  refused('listeners=x', INVALID)
  refused('constructor=x', INVALID)
  refused('project_id=a&project_id=b', INVALID)
  refused('tags=x', INVALID, LIST_SPECS.flavor)
  assert.deepEqual(parse('project_id=p&colour=red', undefined, { allow_filtering: false }).conditions, [])
})

test('tag parameters merge repeated and comma-separated values', () => {
  assert.deepEqual(parse('tags=a,b&tags=c&tags-any=x&not-tags=y,z&not-tags-any=&not-tags-any=w').tags,
    { all: ['a', 'b', 'c'], any: ['x'], notAll: ['y', 'z'], notAny: ['', 'w'] })
  assert.deepEqual(parse({ 'tags': ['a', 'b,c'] }).tags, { all: ['a', 'b', 'c'] })
})

test('fields repeat; marker, page_reverse and the link parameters are kept as given', () => {
  const query = parse('?fields=id&fields=name,x&marker=m&page_reverse=True&sort=name:desc&sort_key=id&sort_dir=asc&limit=7')
  assert.deepEqual(query.fields, ['id', 'name,x'])
  assert.equal(query.marker, 'm')
  assert.equal(query.pageReverse, true)
  assert.deepEqual(query.links, { limit: 7, sort: 'name:desc', sort_key: 'id' })
  assert.equal(parse('page_reverse=true').pageReverse, false)
  assert.equal(parse('').fields, undefined)
  assert.deepEqual(parse('').links, { limit: 1000 })
  assert.deepEqual(parse(new URLSearchParams([['fields', 'a'], ['fields', 'b']])).fields, ['a', 'b'])
  assert.equal(parse('fields=id', undefined, { allow_field_selection: false }).fields, undefined)
  const unpaged = parse('limit=2&marker=m&page_reverse=True', undefined, { allow_pagination: false })
  assert.deepEqual([unpaged.limit, unpaged.marker, unpaged.pageReverse, unpaged.links], [null, undefined, false, null])
  refused('marker=a&marker=b', INVALID)
})
