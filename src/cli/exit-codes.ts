/** Exit statuses of the `octavia` command. */
export const EXIT = {
  ok: 0,
  /** A runtime failure: a dependency unreachable, a service not available yet. */
  failure: 1,
  /** Invalid configuration or usage; nothing was started. */
  config: 2,
} as const

/** A failure the command explains in one line on stderr, without a stack trace. */
export class CommandFailed extends Error {
  constructor(message: string, readonly exitCode: number = EXIT.failure) {
    super(message)
  }
}
