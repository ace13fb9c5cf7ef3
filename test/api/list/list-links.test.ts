import { test } from 'node:test'
import assert from 'node:assert/strict'
import { listLinks } from '../../../src/api/list/list-links.ts'
import { listResponse } from '../../../src/api/list/list-response.ts'
import { LIST_SPECS } from '../../../src/api/list/list-specs.ts'
import { selectFields } from '../../../src/api/list/select-fields.ts'

const BASE = 'https://lb.example:9876/v2/lbaas/pools'

test('links: previous only after a marker, next on a full or unlimited page, previous first', () => {
  assert.deepEqual(listLinks(BASE, { limit: 2 }, [], true), [])
  assert.deepEqual(listLinks(BASE, { limit: 2 }, ['a'], false), [])
  assert.deepEqual(listLinks(BASE, { limit: 2, sort: 'name:desc', sort_key: 'id' }, ['a', 'b'], true), [
    { href: `${BASE}?limit=2&sort=name:desc&sort_key=id&marker=a&page_reverse=True`, rel: 'previous' },
    { href: `${BASE}?limit=2&sort=name:desc&sort_key=id&marker=b`, rel: 'next' },
  ])
  assert.deepEqual(listLinks(BASE, { limit: null }, ['a'], false), [{ href: `${BASE}?limit=None&marker=a`, rel: 'next' }])
})

test('list response keys, with the singular links key of profiles', () => {
  assert.deepEqual(listResponse(LIST_SPECS.pool, [], []), { pools: [], pools_links: [] })
  assert.deepEqual(listResponse(LIST_SPECS.flavorprofile, [], []), { flavorprofiles: [], flavorprofile_links: [] })
  assert.deepEqual(listResponse(LIST_SPECS.availability_zone_profile, [], null), { availability_zone_profiles: [] })
  assert.deepEqual(Object.keys(listResponse(LIST_SPECS.availability_zone, [], [])), ['availability_zones', 'availability_zones_links'])
})

test('fields: top-level names in the object order; unknown ignored; nothing matching gives {}', () => {
  const objects = [{ id: '1', name: 'a', tags: ['x'], tenant_id: 'p' }, { id: '2', name: 'b', tags: [], tenant_id: 'p' }]
  assert.deepEqual(selectFields(objects, ['tenant_id', 'id', 'nope']), [{ id: '1', tenant_id: 'p' }, { id: '2', tenant_id: 'p' }])
  assert.deepEqual(selectFields(objects, ['id,name']), [{}, {}])
  assert.deepEqual(selectFields(objects, ['']), [{}, {}])
  assert.equal(selectFields(objects, undefined)[1], objects[1])
})
