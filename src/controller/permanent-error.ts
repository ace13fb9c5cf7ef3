/**
 * A task failure that retrying cannot fix (the object is gone, the request is impossible): the
 * engine reverts the flow at once. Any other error is retried with back-off first.
 */
export class PermanentError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'PermanentError'
  }
}
