import { pino, type Logger, type DestinationStream } from 'pino'

export type { Logger }

/** Field names whose values never reach a log line, wherever they are nested (two levels deep). */
export const SECRET_FIELDS = [
  'password', 'heartbeat_key', 'private_key', 'ca_private_key_passphrase',
  'server_certs_key_passphrase', 'jobboard_backend_password', 'x-auth-token', 'authorization',
] as const

const REDACT_PATHS = SECRET_FIELDS.flatMap((f) => [f, `*.${f}`, `*.*.${f}`].map((p) => (/[^a-z_]/.test(f) ? p.replace(f, `["${f}"]`) : p)))

export interface LoggerOptions {
  level?: string
  /** Where lines go; stderr by default, so stdout stays for command output. */
  destination?: DestinationStream
}

/** The process's root logger; components take `log.child({ component })`. */
export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? process.env.OCTAVIA_LOG_LEVEL ?? 'info',
      redact: { paths: REDACT_PATHS, censor: '***' },
      base: { pid: process.pid },
    },
    options.destination ?? pino.destination(2),
  )
}
