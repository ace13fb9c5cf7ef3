import { Agent, request } from 'node:http'

/** What continuous clients of a VIP saw. */
export interface LoadTally {
  /** Requests answered 200, by the body (the backend's name). */
  answered: Map<string, number>
  failed: string[]
  /** Requests repeated because their reused keep-alive connection was closed before any answer (RFC 9112 §9.3.1). */
  retried: number
}

export interface VipLoad {
  tally: LoadTally
  /** Requests answered so far. */
  ok(): number
  /** Stops the clients; resolves once their last requests are done. */
  stop(): Promise<LoadTally>
}

function getOnce(url: string, agent: Agent | false): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, headers: agent === false ? { connection: 'close' } : {} }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (body += chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
      res.on('error', reject)
    })
    req.on('error', (err: NodeJS.ErrnoException) => reject(Object.assign(err, { reused: req.reusedSocket })))
    req.end()
  })
}

async function client(url: string, keepAlive: boolean, tally: LoadTally, running: () => boolean): Promise<void> {
  const agent = keepAlive ? new Agent({ keepAlive: true, maxSockets: 1 }) : false
  const record = ({ status, body }: { status: number; body: string }, what: string) => {
    if (status === 200) tally.answered.set(body, (tally.answered.get(body) ?? 0) + 1)
    else tally.failed.push(`${what}: status ${status}`)
  }
  try {
    while (running()) {
      try {
        record(await getOnce(url, agent), keepAlive ? 'keep-alive' : 'new connection')
      } catch (err) {
        const e = err as NodeJS.ErrnoException & { reused?: boolean }
        // An idle keep-alive connection closed by an old haproxy worker while the request was on
        // its way: safe to send again on a new connection, as HTTP clients do.
        if (keepAlive && e.reused) {
          tally.retried++
          await getOnce(url, agent).then((answer) => record(answer, 'keep-alive retry'), (again: NodeJS.ErrnoException) => {
            tally.failed.push(`keep-alive retry: ${again.code ?? again.message}`)
          })
        } else {
          tally.failed.push(`${keepAlive ? 'keep-alive' : 'new connection'}: ${e.code ?? e.message}`)
        }
      }
    }
  } finally {
    if (agent) agent.destroy()
  }
}

/**
 * Continuous GETs of `url` until stopped: two clients opening a new connection per request and
 * one reusing a keep-alive connection, each sending its next request as soon as the last is answered.
 */
export function startVipLoad(url: string): VipLoad {
  const tally: LoadTally = { answered: new Map(), failed: [], retried: 0 }
  let running = true
  const clients = [false, false, true].map((keepAlive) => client(url, keepAlive, tally, () => running))
  const ok = () => [...tally.answered.values()].reduce((a, b) => a + b, 0)
  return {
    tally,
    ok,
    stop: async () => {
      running = false
      await Promise.all(clients)
      return tally
    },
  }
}
