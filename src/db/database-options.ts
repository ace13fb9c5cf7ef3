export const DATABASE_ENGINES = ['sqlite', 'mysql', 'postgresql'] as const
export type DatabaseEngine = (typeof DATABASE_ENGINES)[number]

/**
 * Where the database is. The config module produces a structurally compatible object
 * from the pillar's `database` section.
 */
export interface DatabaseOptions {
  engine: DatabaseEngine
  /** SQLite file; `:memory:` is allowed; the parent directory is created. */
  path?: string | null
  host?: string | null
  port?: number | null
  /** Database (schema) name on the MySQL/PostgreSQL server. */
  name?: string | null
  user?: string | null
  password?: string | null
  /** Connections kept open per process (MySQL/PostgreSQL); default 10. */
  max_pool_size?: number | null
  /** Extra connections opened under load and closed when idle (oslo.db's max_overflow); default 0. */
  max_overflow?: number | null
  /** Seconds to wait for a free pooled connection or a new one; default 30. */
  pool_timeout?: number | null
}

export const DEFAULT_PORTS = { mysql: 3306, postgresql: 5432 } as const
export const DEFAULT_MAX_POOL_SIZE = 10
export const DEFAULT_POOL_TIMEOUT = 30
/** How long SQLite waits for another process's write lock before giving up (ms). */
export const SQLITE_BUSY_TIMEOUT_MS = 5000

/** "mysql at 127.0.0.1:3306 (database octavia)": where, never with credentials. */
export function describeTarget(options: DatabaseOptions): string {
  if (options.engine === 'sqlite') return `sqlite at ${options.path ?? ':memory:'}`
  const host = options.host ?? '127.0.0.1'
  const port = options.port ?? DEFAULT_PORTS[options.engine]
  return `${options.engine} at ${host}:${port} (database ${options.name ?? 'octavia'})`
}
