import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { KyselyPlugin } from 'kysely'
import { InvalidInput } from '../../../src/common/errors.ts'
import type { Database } from '../../../src/db/database.ts'
import { LoadBalancerRepository, type NewLoadBalancer } from '../../../src/db/repositories/load-balancer-repository.ts'
import { LIST_SPECS } from '../../../src/api/list/list-specs.ts'
import { parseListQuery, type ListSettings, type RawQuery } from '../../../src/api/list/parse-list-query.ts'
import { runList, type RunListOptions } from '../../../src/api/list/run-list.ts'
import { selectFields } from '../../../src/api/list/select-fields.ts'
import { listResponse } from '../../../src/api/list/list-response.ts'
import { ENGINES, withTestDatabase } from '../../helpers/test-database.ts'
import { TestClock } from '../../helpers/test-clock.ts'
import { seedListener } from '../../helpers/db-seed.ts'

const SPEC = LIST_SPECS.loadbalancer
const BASE = 'http://localhost:9876/v2/lbaas/loadbalancers'
const SETTINGS: ListSettings = {
  pagination_max_limit: 1000, allow_pagination: true, allow_sorting: true, allow_filtering: true, allow_field_selection: true,
}
const T0 = '2024-05-06T07:08:09.123Z'

// Letters name the seeded load balancers; ids are fixed so the id tiebreak is known (B < A).
const ID = {
  A: '00000000-0000-4000-8000-00000000000b',
  B: '00000000-0000-4000-8000-00000000000a',
  C: '00000000-0000-4000-8000-00000000000c',
  D: '00000000-0000-4000-8000-00000000000d',
  E: '00000000-0000-4000-8000-00000000000e',
  F: '00000000-0000-4000-8000-00000000000f',
} as const
type Letter = keyof typeof ID
const LETTER = new Map<string, Letter>(Object.entries(ID).map(([letter, id]) => [id, letter as Letter]))

function lb(letter: Letter, fields: Partial<NewLoadBalancer> & { address?: string | null }): NewLoadBalancer {
  const { address = `10.0.0.${letter.charCodeAt(0) - 64}`, ...rest } = fields
  return {
    id: ID[letter], project_id: 'p1', name: null, provisioning_status: 'ACTIVE', operating_status: 'ONLINE',
    vip: { ip_address: address, subnet_id: 'subnet-1', network_id: 'net-1' }, ...rest,
  }
}

/**
 * A, B created at T0 (same time), C and the DELETED F one second later, D and E after that.
 * Default order: B A C D E. C and E are updated later (updated_at), the others keep null.
 */
async function seed(db: Database): Promise<void> {
  const clock = new TestClock(T0)
  const repo = new LoadBalancerRepository(db, clock)
  await repo.create(lb('A', { name: 'alpha', tags: ['red', 'blue'] }))
  await repo.create(lb('B', { name: 'bravo', enabled: false, tags: ['red'] }))
  clock.advance(1000)
  await repo.create(lb('C', { name: 'charlie', project_id: 'p2', tags: ['blue', 'green'] }))
  await repo.create(lb('F', { name: 'foxtrot', provisioning_status: 'DELETED', tags: ['red'] }))
  clock.advance(1000)
  await repo.create(lb('D', { address: null }))
  clock.advance(1000)
  await repo.create(lb('E', { name: 'alpha', tags: ['green'] }))
  clock.advance(1000)
  await repo.update(ID.E, { description: 'first update' })
  clock.advance(1000)
  await repo.update(ID.C, { description: 'second update' })
}

/** Counts the statements a Kysely instance runs (results, since subqueries are transformed too). */
function counting(): KyselyPlugin & { count: number } {
  return {
    count: 0,
    transformQuery: (args) => args.node,
    async transformResult(args) {
      this.count++
      return args.result
    },
  }
}

for (const engine of ENGINES) {
  test(`list engine on ${engine}`, async (t) => {
    const db = await withTestDatabase(t, engine)
    await seed(db)

    const list = async (query: RawQuery, settings: Partial<ListSettings> = {}, options: Partial<RunListOptions<'load_balancer'>> = {}) => {
      const parsed = parseListQuery(query, SPEC, { ...SETTINGS, ...settings })
      const page = await runList(db, SPEC, parsed, { baseUrl: BASE, ...options })
      return { letters: page.rows.map((row) => LETTER.get(row.id)), links: page.links, rows: page.rows, parsed }
    }
    const letters = async (query: RawQuery) => (await list(query)).letters
    const refused = async (query: RawQuery, message: string) => {
      await assert.rejects(list(query), (error: unknown) => error instanceof InvalidInput && error.message === message)
    }
    /** Follows next links from `query` to the end; returns the pages. */
    const walk = async (query: string) => {
      const pages: Array<Array<Letter | undefined>> = []
      let next: string | undefined = query
      while (next !== undefined && pages.length < 20) {
        const page = await list(next)
        pages.push(page.letters)
        const href = page.links?.find((link) => link.rel === 'next')?.href
        next = href === undefined ? undefined : new URL(href).search
      }
      return pages
    }

    await t.test('default order is created_at, id; DELETED rows are never listed', async () => {
      assert.deepEqual(await letters(''), ['B', 'A', 'C', 'D', 'E'])
    })

    await t.test('sort by name desc, then the default tiebreakers; NULL sorts as the empty string', async () => {
      assert.deepEqual(await letters('sort=name:desc'), ['C', 'B', 'A', 'E', 'D'])
      assert.deepEqual(await letters('sort=name'), ['D', 'A', 'E', 'B', 'C'])
      assert.deepEqual(await letters('sort=name:DESC,created_at:desc'), ['C', 'B', 'E', 'A', 'D'])
    })

    await t.test('sort_key / sort_dir form: missing directions are asc', async () => {
      assert.deepEqual(await letters('sort_key=name,created_at&sort_dir=desc'), ['C', 'B', 'A', 'E', 'D'])
      assert.deepEqual(await letters('sort_key=admin_state_up,id&sort_dir=asc,desc,bogus'), ['B', 'E', 'D', 'C', 'A'])
      // sort wins over sort_key
      assert.deepEqual(await letters('sort=name:desc&sort_key=id'), ['C', 'B', 'A', 'E', 'D'])
    })

    await t.test('sorting on a joined column (vip_address) and on a nullable timestamp', async () => {
      assert.deepEqual(await letters('sort=vip_address:desc'), ['E', 'C', 'B', 'A', 'D'])
      assert.deepEqual(await letters('sort=updated_at:desc'), ['C', 'E', 'B', 'A', 'D'])
    })

    await t.test('bad sort key, direction, limit and marker are refused with upstream messages', async () => {
      await refused('sort=bogus', "Supplied sort key 'bogus' is not valid.")
      await refused('sort=tags', "Supplied sort key 'tags' is not valid.")
      await refused('sort_key=name,listeners', "Supplied sort key 'listeners' is not valid.")
      await refused('sort=name:up', "Supplied sort direction 'up' is not valid.")
      await refused('sort_key=name&sort_dir=DOWN', "Supplied sort direction 'down' is not valid.")
      await refused('sort=name:asc:x', "Supplied sort key '['name', 'asc', 'x']' is not valid.")
      await refused('limit=abc', "Supplied pagination limit 'abc' is not valid.")
      await refused('limit=1.5', "Supplied pagination limit '1.5' is not valid.")
      await refused('marker=nope', "Supplied pagination marker 'nope' is not valid.")
      await refused('limit=2&limit=3', 'One or more arguments are either duplicate or invalid')
      // upstream's order: the limit first, then the sort, then filters, then sort keys
      await refused('limit=x&sort=name:up', "Supplied pagination limit 'x' is not valid.")
      await refused('sort=bogus&colour=red', 'One or more arguments are either duplicate or invalid')
    })

    await t.test('pagination walk with limit 2 returns every row once, with exact links', async () => {
      const first = await list('limit=2')
      assert.deepEqual(first.letters, ['B', 'A'])
      assert.deepEqual(first.links, [{ rel: 'next', href: `${BASE}?limit=2&marker=${ID.A}` }])

      const second = await list(`limit=2&marker=${ID.A}`)
      assert.deepEqual(second.letters, ['C', 'D'])
      assert.deepEqual(second.links, [
        { rel: 'previous', href: `${BASE}?limit=2&marker=${ID.C}&page_reverse=True` },
        { rel: 'next', href: `${BASE}?limit=2&marker=${ID.D}` },
      ])

      const third = await list(`limit=2&marker=${ID.D}`)
      assert.deepEqual(third.letters, ['E'])
      assert.deepEqual(third.links, [{ rel: 'previous', href: `${BASE}?limit=2&marker=${ID.E}&page_reverse=True` }])

      assert.deepEqual(await walk('limit=2'), [['B', 'A'], ['C', 'D'], ['E']])
    })

    await t.test('walks over ties, NULLs and descending keys return every row once', async () => {
      assert.deepEqual(await walk('limit=2&sort=name:desc'), [['C', 'B'], ['A', 'E'], ['D']])
      assert.deepEqual((await walk('limit=1&sort=name')).flat(), ['D', 'A', 'E', 'B', 'C'])
      assert.deepEqual((await walk('limit=1&sort=updated_at:desc,name:desc')).flat(), ['C', 'E', 'B', 'A', 'D'])
      assert.deepEqual((await walk('limit=2&sort=vip_address')).flat(), ['D', 'A', 'B', 'C', 'E'])
      assert.deepEqual(await walk('limit=3&sort=admin_state_up:desc,name:desc'), [['C', 'A', 'E'], ['D', 'B']])
    })

    await t.test('links carry sort and sort_key as given, never filters, fields or sort_dir', async () => {
      const page = await list('sort=name:desc&limit=2&name=alpha&fields=id&sort_dir=asc&sort_key=x')
      assert.deepEqual(page.letters, ['A', 'E'])
      assert.deepEqual(page.links, [{ rel: 'next', href: `${BASE}?limit=2&sort=name:desc&sort_key=x&marker=${ID.E}` }])
      const byKey = await list('sort_key=name&sort_dir=desc&limit=1')
      assert.deepEqual(byKey.links, [{ rel: 'next', href: `${BASE}?limit=1&sort_key=name&marker=${ID.C}` }])
      // Upstream quirk: without sort_dir the next page sorts ascending, and nothing follows 'charlie'.
      assert.deepEqual((await list(new URL(byKey.links?.[0]?.href ?? '').search)).letters, [])
    })

    await t.test('a full last page still has a next link, and following it gives an empty page without links', async () => {
      const full = await list('limit=5')
      assert.deepEqual(full.letters, ['B', 'A', 'C', 'D', 'E'])
      assert.deepEqual(full.links, [{ rel: 'next', href: `${BASE}?limit=5&marker=${ID.E}` }])
      const empty = await list(`limit=5&marker=${ID.E}`)
      assert.deepEqual(empty.letters, [])
      assert.deepEqual(empty.links, [])
    })

    await t.test('unlimited (0, negative, infinite, or no maximum) still gives a next link with limit=None', async () => {
      for (const query of ['limit=0', 'limit=-1', 'limit=infinite']) {
        const page = await list(query)
        assert.deepEqual(page.letters, ['B', 'A', 'C', 'D', 'E'], query)
        assert.deepEqual(page.links, [{ rel: 'next', href: `${BASE}?limit=None&marker=${ID.E}` }], query)
      }
      assert.equal((await list('', { pagination_max_limit: 'infinite' })).parsed.limit, null)
      assert.equal((await list('', { pagination_max_limit: -1 })).letters.length, 5)
      const capped = await list('limit=10', { pagination_max_limit: 3 })
      assert.deepEqual(capped.letters, ['B', 'A', 'C'])
      assert.deepEqual(capped.links, [{ rel: 'next', href: `${BASE}?limit=3&marker=${ID.C}` }])
      assert.deepEqual((await list('', { pagination_max_limit: 2 })).letters, ['B', 'A'])
    })

    await t.test('page_reverse=True: rows before the marker, first `limit` of them, order not reversed', async () => {
      const page = await list(`limit=2&marker=${ID.D}&page_reverse=True`)
      assert.deepEqual(page.letters, ['B', 'A'])
      assert.deepEqual(page.links, [
        { rel: 'previous', href: `${BASE}?limit=2&marker=${ID.B}&page_reverse=True` },
        { rel: 'next', href: `${BASE}?limit=2&marker=${ID.A}` },
      ])
      assert.deepEqual(await letters(`marker=${ID.D}&page_reverse=True&sort=name:desc`), ['C', 'B', 'A', 'E'])
      // only the exact string True
      assert.deepEqual(await letters(`limit=2&marker=${ID.A}&page_reverse=true`), ['C', 'D'])
    })

    await t.test('a marker may name a DELETED or filtered-out row', async () => {
      assert.deepEqual(await letters(`marker=${ID.F}`), ['D', 'E'])
      assert.deepEqual(await letters(`marker=${ID.C}&project_id=p1`), ['D', 'E'])
    })

    await t.test('filters: exact match, ANDed, on the VIP join, booleans lenient', async () => {
      assert.deepEqual(await letters('vip_address=10.0.0.3'), ['C'])
      assert.deepEqual(await letters('vip_address=10.0.0'), [])
      assert.deepEqual(await letters('name=alpha'), ['A', 'E'])
      assert.deepEqual(await letters('name=ALPHA'), [])
      assert.deepEqual(await letters('name=alpha&vip_address=10.0.0.5'), ['E'])
      assert.deepEqual(await letters('project_id=p2'), ['C'])
      assert.deepEqual(await letters('tenant_id=p2'), ['C'])
      assert.deepEqual(await letters('provisioning_status=DELETED'), [])
      for (const value of ['false', 'FALSE', '0', 'off', 'nonsense', '']) {
        assert.deepEqual(await letters(`admin_state_up=${value}`), ['B'], value)
      }
      for (const value of ['true', 'True', '1', 'on', 'Y', 'yes', ' t ']) {
        assert.deepEqual(await letters({ admin_state_up: value }), ['A', 'C', 'D', 'E'], value)
      }
      assert.deepEqual(await letters('created_at=2024-05-06T07:08:10'), ['C'])
      assert.deepEqual(await letters('created_at=2024-05-06T07:08:09.999Z'), ['B', 'A'])
      assert.deepEqual(await letters('created_at=yesterday'), [])
    })

    await t.test('unknown, list-valued or repeated filters are refused', async () => {
      for (const query of ['colour=red', 'listeners=x', 'vip_sg_ids=x', 'Name=alpha', 'name=a&name=b', 'enabled=true']) {
        await refused(query, 'One or more arguments are either duplicate or invalid')
      }
    })

    await t.test('filters are ignored when filtering is disabled; sort keys when sorting is', async () => {
      assert.deepEqual((await list('colour=red&name=alpha', { allow_filtering: false })).letters, ['B', 'A', 'C', 'D', 'E'])
      assert.deepEqual((await list('sort=bogus', { allow_sorting: false })).letters, ['B', 'A', 'C', 'D', 'E'])
      const unpaged = await list(`limit=1&marker=${ID.A}`, { allow_pagination: false })
      assert.deepEqual(unpaged.letters, ['B', 'A', 'C', 'D', 'E'])
      assert.equal(unpaged.links, null)
      assert.deepEqual(listResponse(SPEC, [], unpaged.links), { loadbalancers: [] })
    })

    await t.test('tag filters: all, any, not-all, none; comma-separated and repeated', async () => {
      assert.deepEqual(await letters('tags=red'), ['B', 'A'])
      assert.deepEqual(await letters('tags=red,blue'), ['A'])
      assert.deepEqual(await letters('tags=red&tags=blue'), ['A'])
      assert.deepEqual(await letters('tags=red,red'), ['B', 'A'])
      assert.deepEqual(await letters('tags=Red'), [])
      assert.deepEqual(await letters('tags-any=blue,green'), ['A', 'C', 'E'])
      assert.deepEqual(await letters('tags-any=blue&tags-any=green'), ['A', 'C', 'E'])
      assert.deepEqual(await letters('not-tags=red,blue'), ['B', 'C', 'D', 'E'])
      assert.deepEqual(await letters('not-tags=red&not-tags=blue'), ['B', 'C', 'D', 'E'])
      assert.deepEqual(await letters('not-tags-any=red,green'), ['D'])
      assert.deepEqual(await letters('tags-any=green&not-tags=blue,green'), ['E'])
      assert.deepEqual(await letters('tags=red&name=bravo'), ['B'])
      assert.deepEqual(await letters({ 'tags': ['red', 'blue'], 'not-tags-any': 'green' }), ['A'])
    })

    await t.test('the caller scopes the list; the scope applies to the rows, not to the marker', async () => {
      const scoped = await list(`marker=${ID.C}`, {}, { where: (eb) => eb('load_balancer.project_id', '=', 'p1') })
      assert.deepEqual(scoped.letters, ['D', 'E'])
      assert.deepEqual((await list('', {}, { where: (eb) => eb('load_balancer.project_id', '=', 'p2') })).letters, ['C'])
    })

    await t.test('fields keep the named top-level attributes of each object', async () => {
      const page = await list('fields=id&fields=name&fields=nonsense&limit=2')
      assert.deepEqual(page.parsed.fields, ['id', 'name', 'nonsense'])
      assert.deepEqual(selectFields(page.rows, page.parsed.fields), [{ id: ID.B, name: 'bravo' }, { id: ID.A, name: 'alpha' }])
      const comma = await list('fields=id,name&limit=1')
      assert.deepEqual(selectFields(comma.rows, comma.parsed.fields), [{}])
      assert.equal((await list('fields=id', { allow_field_selection: false })).parsed.fields, undefined)
    })

    await t.test('rows are the table columns as repositories read them', async () => {
      const [row] = (await list(`limit=1&marker=${ID.B}`)).rows
      assert.equal(row?.enabled, true)
      assert.deepEqual(row?.created_at, new Date(T0))
      assert.equal(row?.updated_at, null)
      assert.equal(row?.name, 'alpha')
    })

    await t.test('one SELECT per page, plus the marker lookup', async () => {
      const plugin = counting()
      const counted = { engine: db.engine, kysely: db.kysely.withPlugin(plugin) }
      const run = (query: string) => runList(counted, SPEC, parseListQuery(query, SPEC, SETTINGS), { baseUrl: BASE })
      await run('tags=red&not-tags-any=x&sort=vip_address:desc&name=alpha')
      assert.equal(plugin.count, 1)
      await run(`limit=2&marker=${ID.A}&sort=updated_at`)
      assert.equal(plugin.count, 3)
    })

    await t.test('integer filters on another resource; a non-integer value matches nothing', async () => {
      const http = await seedListener(db.kysely, ID.A, { protocol_port: 80 })
      const https = await seedListener(db.kysely, ID.A, { protocol_port: 443, protocol: 'HTTPS' })
      const spec = LIST_SPECS.listener
      const ids = async (query: string) =>
        (await runList(db, spec, parseListQuery(query, spec, SETTINGS), { baseUrl: BASE })).rows.map((row) => row.id)
      assert.deepEqual(await ids('protocol_port=80'), [http])
      assert.deepEqual(await ids('protocol_port=+443'), [https])
      assert.deepEqual(await ids('protocol_port=eighty'), [])
      assert.deepEqual(await ids('protocol_port=80.0'), [])
      assert.deepEqual(await ids(`loadbalancer_id=${ID.A}&protocol=HTTPS`), [https])
      assert.deepEqual((await ids('sort=protocol_port:desc')), [https, http])
    })

    await t.test('strings sort by code point on every engine (upper case first)', async () => {
      const names = ['b', 'B', 'a', 'Á']
      for (const [i, name] of names.entries()) await seedListener(db.kysely, ID.B, { name, protocol_port: 1000 + i })
      const spec = LIST_SPECS.listener
      const page = await runList(db, spec, parseListQuery(`loadbalancer_id=${ID.B}&sort=name`, spec, SETTINGS), { baseUrl: BASE })
      assert.deepEqual(page.rows.map((row) => row.name), ['B', 'a', 'b', 'Á'])
    })
  })
}
