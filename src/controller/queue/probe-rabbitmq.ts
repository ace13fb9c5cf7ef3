import { connect } from 'amqplib'

export interface RabbitmqOptions {
  host: string
  port: number
  user: string
  password: string
  virtual_host: string
}

/** The AMQP URL for a broker; user, password and vhost are percent-encoded ('/' is the vhost `%2F`). */
export function amqpUrl(o: RabbitmqOptions): string {
  const host = o.host.includes(':') ? `[${o.host}]` : o.host
  return `amqp://${encodeURIComponent(o.user)}:${encodeURIComponent(o.password)}@${host}:${o.port}/${encodeURIComponent(o.virtual_host)}`
}

/**
 * Opens and closes one AMQP connection, which proves the broker is up and accepts these
 * credentials for this virtual host. Rejects with a one-line reason that never holds the password.
 */
export async function probeRabbitmq(o: RabbitmqOptions, timeoutMs = 5000): Promise<void> {
  try {
    const connection = await connect(amqpUrl(o), { timeout: timeoutMs })
    await connection.close()
  } catch (err) {
    const reason = err instanceof Error ? err.message.split('\n')[0] ?? String(err) : String(err)
    throw new Error(`RabbitMQ at ${o.host}:${o.port} vhost ${o.virtual_host} as ${o.user}: ${o.password === '' ? reason : reason.replaceAll(o.password, '***')}`, { cause: err })
  }
}
