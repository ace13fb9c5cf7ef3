// Typed errors of the database layer. Engine-specific errors never leave src/db: the
// driver wrapper (portable-dialect.ts) turns them into these, so callers branch on `kind`.

export const DATABASE_ERROR_KINDS = [
  'unavailable', 'busy', 'duplicate', 'reference-missing', 'still-referenced',
  'migration', 'invalid-address', 'address-exhausted',
] as const
export type DatabaseErrorKind = (typeof DATABASE_ERROR_KINDS)[number]

export abstract class DatabaseError extends Error {
  abstract readonly kind: DatabaseErrorKind
  /** True when the same work may succeed if tried again (after the transaction is rolled back). */
  readonly retryable: boolean = false
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = new.target.name
  }
}

/** The server cannot be reached, refused the login, or the database does not exist. */
export class DatabaseUnavailable extends DatabaseError {
  readonly kind = 'unavailable'
  override readonly retryable = true
  /** @param target e.g. "mysql at 127.0.0.1:3306 (database octavia)" @param reason one line, e.g. "ECONNREFUSED" */
  constructor(readonly target: string, readonly reason: string, options?: { cause?: unknown }) {
    super(`cannot connect to ${target}: ${reason}`, options)
  }
}

/** A lock wait timed out, a deadlock was broken, or SQLite stayed busy: roll back and try again. */
export class DatabaseBusy extends DatabaseError {
  readonly kind = 'busy'
  override readonly retryable = true
  constructor(readonly reason: string, options?: { cause?: unknown }) {
    super(`database busy: ${reason}`, options)
  }
}

/** A UNIQUE or PRIMARY KEY constraint refused the row; `constraint` names it (constraints.ts). */
export class DuplicateEntry extends DatabaseError {
  readonly kind = 'duplicate'
  constructor(readonly table: string, readonly constraint: string, readonly meaning: string, options?: { cause?: unknown }) {
    super(`duplicate entry in ${table}: ${meaning}`, options)
  }
}

/** An inserted or updated row refers to a row that does not exist. */
export class ReferenceNotFound extends DatabaseError {
  readonly kind = 'reference-missing'
  /** `constraint` is the foreign key's name where the engine reports it (SQLite does not). */
  constructor(readonly table: string, readonly constraint?: string, options?: { cause?: unknown }) {
    super(`${table} refers to a row that does not exist${constraint ? ` (${constraint})` : ''}`, options)
  }
}

/** A deleted row is still referred to by a foreign key that does not cascade. */
export class StillReferenced extends DatabaseError {
  readonly kind = 'still-referenced'
  constructor(readonly table: string, readonly constraint?: string, options?: { cause?: unknown }) {
    super(`${table} row is still in use${constraint ? ` (${constraint})` : ''}`, options)
  }
}

export class MigrationFailed extends DatabaseError {
  readonly kind = 'migration'
  constructor(readonly migration: string, reason: string, options?: { cause?: unknown }) {
    super(`migration ${migration} failed: ${reason}`, options)
  }
}

/** A requested address is malformed, outside the subnet, or not assignable (network, broadcast, reserved). */
export class InvalidAddress extends DatabaseError {
  readonly kind = 'invalid-address'
  constructor(readonly address: string, readonly subnet_id: string, reason: string) {
    super(`${address} is not a valid address in subnet ${subnet_id}: ${reason}`)
  }
}

/** Every assignable address of the subnet is allocated. */
export class AddressExhausted extends DatabaseError {
  readonly kind = 'address-exhausted'
  constructor(readonly subnet_id: string) {
    super(`no free address left in subnet ${subnet_id}`)
  }
}
