import { readFileSync, readlinkSync } from 'node:fs'

/**
 * Whether `pid` is a live (not zombie) process whose working directory is `cwd`: how the agent
 * recognises a haproxy it started, also after its own restart (each amphora's haproxy runs in
 * the amphora's directory), and never mistakes a reused pid for it. Reading /proc rather than
 * signalling: a dead process that nobody reaps (its parent, our previous self, is gone) stays
 * a zombie, and a signal to a zombie succeeds.
 */
export function isLiveProcessIn(pid: number, cwd: string): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // The state follows the command name, which is in parentheses and may contain anything.
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3)
    if (state === 'Z' || state === 'X') return false
    return readlinkSync(`/proc/${pid}/cwd`) === cwd
  } catch {
    // No such process (or not ours to look at): not the one we are looking for.
    return false
  }
}
