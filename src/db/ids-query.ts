import { createQueryId, type Compilable, type CompiledQuery } from 'kysely'
import type { Executor } from './database.ts'

// Building and compiling a Kysely query costs more CPU than SQLite takes to answer a one-row
// read. A batch read by ids (`where id in (...)`) has the same SQL for every call with the same
// number of ids, so it is compiled once per count and then run with the new ids as parameters.

const CACHED_COUNTS = 64

interface Compiled<R> {
  query: CompiledQuery<R>
  /** Per parameter: the index of the id it takes, or -1 for a constant of the query. */
  slots: number[]
}

/**
 * Wraps `build`, which must use the ids only as parameter values (never as literals or to pick
 * clauses), into a function that runs the query for any executor (a transaction too).
 */
export function idsQuery<R>(build: (executor: Executor, ids: string[]) => Compilable<R>): (executor: Executor, ids: readonly string[]) => Promise<R[]> {
  const byCount = new Map<number, Compiled<R>>()
  const compile = (executor: Executor, count: number): Compiled<R> => {
    // Stand-ins no real id equals, to find where each id lands among the parameters.
    const marks = Array.from({ length: count }, (_, i) => `\u0000id ${i}`)
    const index = new Map(marks.map((mark, i) => [mark, i]))
    const query = build(executor, marks).compile()
    if (query.sql.includes('\u0000id ')) throw new Error('idsQuery: an id was written into the SQL text')
    const slots = query.parameters.map((p) => (typeof p === 'string' ? index.get(p) ?? -1 : -1))
    if (new Set(slots.filter((s) => s >= 0)).size !== count) throw new Error('idsQuery: not every id became a parameter')
    if (byCount.size >= CACHED_COUNTS) byCount.delete(byCount.keys().next().value as number)
    const compiled = { query, slots }
    byCount.set(count, compiled)
    return compiled
  }
  return async (executor, ids) => {
    const { query, slots } = byCount.get(ids.length) ?? compile(executor, ids.length)
    const constants = query.parameters
    const parameters = slots.map((slot, i) => (slot < 0 ? constants[i] : ids[slot]))
    const result = await executor.executeQuery<R>({ query: query.query, sql: query.sql, queryId: createQueryId(), parameters })
    return result.rows
  }
}
