import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { AMPHORA_FILES } from './amphora-host-config.ts'
import { haproxyCommand } from './haproxy-cli.ts'
import { isLiveProcessIn } from './process-liveness.ts'

// One amphora = one HAProxy in master-worker mode (-W) with its master CLI (-S), running in the
// amphora's directory. The master is started in its own session with its output in a file, so
// it outlives the agent; reloads go through the master (SIGUSR2), which re-executes itself and
// hands the listening sockets to the new worker, so no connection is refused.

const POLL_MS = 10

/** What `show proc` on the master CLI says. */
export interface MasterStatus {
  master_pid: number
  reloads: number
  failed_reloads: number
  /** Current workers (not the old ones still draining). */
  workers: number[]
}

export class HaproxyFailed extends Error {
  constructor(message: string, readonly details: string) {
    super(message)
  }
}

/** `haproxy -c` on the host part and a configuration file, in the amphora's directory. */
export function checkConfig(haproxyCmd: string, dir: string, configFile: string): Promise<{ valid: boolean; output: string }> {
  return new Promise((resolve) => {
    execFile(haproxyCmd, ['-c', '-f', AMPHORA_FILES.hostConfig, '-f', configFile], { cwd: dir }, (err, stdout, stderr) => {
      resolve({ valid: err === null, output: `${stdout}${stderr}`.trim() })
    })
  })
}

/**
 * Starts the master; resolves once a worker serves (so the listeners are bound), with the
 * master's pid and `settled`. HAProxy's master forks the worker, then re-executes itself (a
 * second start-up's work) before its CLI answers: the worker is asked directly on the stats
 * socket, so the VIP is known to serve that much sooner; `settled` resolves once the master's CLI
 * shows the worker (or the master is gone, or `timeoutMs` passed), after which the master takes
 * signals and reloads. It never rejects.
 */
export async function startHaproxy(haproxyCmd: string, dir: string, timeoutMs = 15000):
  Promise<{ pid: number; child: ChildProcess; settled: Promise<void> }> {
  const out = openSync(join(dir, AMPHORA_FILES.output), 'a')
  let child: ChildProcess
  try {
    child = spawn(haproxyCmd, [
      '-W', '-S', `unix@${AMPHORA_FILES.masterSocket},mode,600`,
      '-f', AMPHORA_FILES.hostConfig, '-f', AMPHORA_FILES.config, '-p', AMPHORA_FILES.pid,
    ], { cwd: dir, detached: true, stdio: ['ignore', out, out] })
  } finally {
    closeSync(out)
  }
  const pid = child.pid
  if (pid === undefined) throw new HaproxyFailed('haproxy could not be started', await new Promise<string>((r) => child.once('error', (e) => r(e.message))))
  let exited = false
  child.once('exit', () => (exited = true))
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (exited) throw new HaproxyFailed('haproxy exited while starting', outputTail(dir))
    // The socket is bound before the fork: the answer comes from the worker.
    const info = await haproxyCommand(join(dir, AMPHORA_FILES.statsSocket), 'show info', 2000).catch(() => null)
    if (info !== null && /^Pid: \d+$/m.test(info)) break
    if (Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new HaproxyFailed('haproxy did not start a worker in time', outputTail(dir))
    }
    await sleep(POLL_MS)
  }
  const settled = (async () => {
    while (!exited && Date.now() < deadline) {
      const status = await masterStatus(dir).catch(() => null)
      if (status !== null && status.workers.length > 0) return
      await sleep(POLL_MS)
    }
  })()
  return { pid, child, settled }
}

/**
 * Hitless reload: saves the servers' state (members keep their health across it), then asks
 * the master to reload and waits until it has (a failed reload keeps the old worker serving).
 */
export async function reloadHaproxy(pid: number, dir: string, timeoutMs = 15000): Promise<void> {
  await saveServerState(dir)
  const before = await masterStatus(dir)
  process.kill(pid, 'SIGUSR2')
  const deadline = Date.now() + timeoutMs
  for (;;) {
    await sleep(POLL_MS)
    if (!isLiveProcessIn(pid, dir)) throw new HaproxyFailed('haproxy exited while reloading', outputTail(dir))
    // The master re-executes itself: its CLI is briefly away.
    const status = await masterStatus(dir).catch(() => null)
    if (status !== null && status.reloads > before.reloads) {
      if (status.failed_reloads > before.failed_reloads) throw new HaproxyFailed('haproxy refused the new configuration', outputTail(dir))
      if (status.workers.length > 0) return
    }
    if (Date.now() > deadline) throw new HaproxyFailed('haproxy did not reload in time', outputTail(dir))
  }
}

/** Hard stop (SIGTERM, then SIGKILL after `graceMs`); resolves once the master is gone. */
export async function stopHaproxy(pid: number, dir: string, graceMs = 5000): Promise<void> {
  if (!isLiveProcessIn(pid, dir)) return
  process.kill(pid, 'SIGTERM')
  const deadline = Date.now() + graceMs
  while (isLiveProcessIn(pid, dir)) {
    if (Date.now() > deadline) {
      process.kill(pid, 'SIGKILL')
      while (isLiveProcessIn(pid, dir)) await sleep(POLL_MS)
      return
    }
    await sleep(POLL_MS)
  }
}

export async function masterStatus(dir: string): Promise<MasterStatus> {
  const text = await haproxyCommand(join(dir, AMPHORA_FILES.masterSocket), 'show proc', 2000)
  const master = /^(\d+)\s+master\s+(\d+)\s+\[failed:\s*(\d+)\]/m.exec(text)
  if (master === null) throw new Error(`unexpected answer to show proc: ${text}`)
  const current = text.split(/^# old workers/m)[0]!
  const workers = [...current.matchAll(/^(\d+)\s+worker\s/gm)].map((m) => Number(m[1]))
  return { master_pid: Number(master[1]), reloads: Number(master[2]), failed_reloads: Number(master[3]), workers }
}

/** `show servers state` into the server-state file the configuration loads (best effort, as Octavia). */
async function saveServerState(dir: string): Promise<void> {
  const state = await haproxyCommand(join(dir, AMPHORA_FILES.statsSocket), 'show servers state', 2000).catch(() => null)
  if (state !== null && state.startsWith('1\n')) writeFileSync(join(dir, AMPHORA_FILES.serverState), state)
}

function outputTail(dir: string): string {
  try {
    return readFileSync(join(dir, AMPHORA_FILES.output), 'utf8').split('\n').slice(-20).join('\n').trim()
  } catch {
    // No output file yet: nothing to show.
    return ''
  }
}
