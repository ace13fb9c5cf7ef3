import { connect } from 'node:net'
import { relative } from 'node:path'

/**
 * Sends one command to a HAProxy CLI socket (stats socket or master CLI) and returns the answer.
 * HAProxy ends an answer with an empty line; the master CLI of 2.6 may keep the connection open
 * after it, so the answer is cut there rather than at the close.
 */
export function haproxyCommand(socketPath: string, command: string, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(shortSocketPath(socketPath))
    let answer = ''
    const finish = (err: Error | null) => {
      clearTimeout(timer)
      socket.destroy()
      if (err) reject(err)
      else resolve(answer)
    }
    const timer = setTimeout(() => finish(new Error(`no answer to "${command}" on ${socketPath} within ${timeoutMs} ms`)), timeoutMs)
    socket.setEncoding('utf8')
    socket.on('connect', () => socket.write(`${command}\n`))
    socket.on('data', (chunk: string) => {
      answer += chunk
      if (answer.endsWith('\n\n')) finish(null)
    })
    socket.on('end', () => finish(null))
    socket.on('error', finish)
  })
}

/** A Unix socket path must fit in 107 bytes: a path relative to our working directory is used when that one is shorter. */
export function shortSocketPath(path: string): string {
  const fromHere = relative(process.cwd(), path)
  return fromHere.length < path.length ? fromHere : path
}
