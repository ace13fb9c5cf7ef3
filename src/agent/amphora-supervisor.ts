import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, readdirSync, realpathSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { ChildProcess } from 'node:child_process'
import type { Logger } from '../common/logger.ts'
import { AgentConflict, AmphoraNotFound, HaproxyError, InvalidRequest } from './agent-errors.ts'
import { AMPHORA_FILES, renderHostConfig } from './amphora-host-config.ts'
import { checkConfig, HaproxyFailed, reloadHaproxy, startHaproxy, stopHaproxy } from './haproxy-process.ts'
import { isLiveProcessIn } from './process-liveness.ts'

const AMPHORA_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/
const CERTIFICATE_NAME = /^\w[\w.-]*\.pem$/
const WATCH_MS = 200
/** A haproxy that keeps crashing is restarted after 0.5 s, 1 s, 2 s … up to 30 s. */
const BACKOFF_MS = { first: 500, max: 30_000 }

export interface AmphoraSupervisorOptions {
  /** The agent's state directory; amphorae live in `<dir>/amphorae/<id>`. */
  dir: string
  haproxy_cmd: string
  /** Most amphorae this agent runs (agent.capacity). */
  capacity: number
  /** The tenant log receiver's port (null: no logging target), and the syslog facilities. */
  log_port: number | null
  user_log_facility: number
  administrative_log_facility: number
  log: Logger
  /** Called once an amphora and its directory are gone. */
  on_delete?: (amphoraId: string) => void
  /** Called when an amphora without a load balancer is given one (its log file name changes). */
  on_assign?: (amphoraId: string) => void
}

/** What the agent persists about an amphora (amphora.json), so a restarted agent knows its intent. */
interface AmphoraRecord {
  id: string
  load_balancer_id: string | null
  desired: 'running' | 'stopped'
}

interface AmphoraEntry {
  record: AmphoraRecord
  dir: string
  pid: number | null
  child: ChildProcess | null
  /** The operation in progress; operations on one amphora run one after another. */
  queue: Promise<unknown>
  /** A haproxy just started, until its master is ready for signals and reloads (the next operation waits for it). */
  settling: Promise<void>
  busy: boolean
  /** A restart after a crash is queued. */
  restarting: boolean
  restarts: number
  failures: number
  next_restart_at: number
}

export interface AmphoraView {
  id: string
  load_balancer_id: string | null
  desired: 'running' | 'stopped'
  running: boolean
  /** The haproxy master's pid while it runs. */
  pid: number | null
  /** MD5 of the active configuration, null before the first upload. */
  config_etag: string | null
  /** Times the agent restarted a haproxy that died on its own. */
  restarts: number
}

/**
 * The amphorae of this host: their directories, their haproxy processes and the agent's intent
 * for each. The haproxy processes outlive the agent; on open, running ones are adopted (same
 * pid) and those meant to run but gone are started. A haproxy that dies is restarted at once.
 */
export class AmphoraSupervisor {
  #entries = new Map<string, AmphoraEntry>()
  #timer: NodeJS.Timeout | null = null
  readonly amphoraeDir: string

  private constructor(private readonly options: AmphoraSupervisorOptions) {
    mkdirSync(join(options.dir, 'amphorae'), { recursive: true })
    this.amphoraeDir = realpathSync(join(options.dir, 'amphorae'))
  }

  static async open(options: AmphoraSupervisorOptions): Promise<AmphoraSupervisor> {
    const supervisor = new AmphoraSupervisor(options)
    await supervisor.#adoptAll()
    supervisor.#timer = setInterval(() => supervisor.#watch(), WATCH_MS)
    supervisor.#timer.unref()
    return supervisor
  }

  /** Stops watching; the amphorae keep running (the data plane does not depend on the agent). */
  async close(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer)
    this.#timer = null
    await Promise.all([...this.#entries.values()].map((e) => e.queue.catch(() => undefined).then(() => e.settling)))
    for (const entry of this.#entries.values()) entry.child?.unref()
  }

  list(): AmphoraView[] {
    return [...this.#entries.values()].map((entry) => this.#view(entry)).sort((a, b) => a.id.localeCompare(b.id))
  }

  get(id: string): AmphoraView {
    return this.#view(this.#entry(id))
  }

  /** The tenant log file of an amphora (named after its load balancer), for the log receiver; null for one we do not run. */
  logFile(id: string): string | null {
    const entry = this.#entries.get(id)
    if (entry === undefined) return null
    return join(entry.dir, AMPHORA_FILES.logs, `${entry.record.load_balancer_id ?? id}.log`)
  }

  get runningCount(): number {
    return [...this.#entries.values()].filter((e) => e.pid !== null && isLiveProcessIn(e.pid, e.dir)).length
  }

  /**
   * Creates an amphora (idempotent for the same load balancer). An existing amphora without a
   * load balancer (a spare, its haproxy possibly running) is given the one named: its record
   * and its log file name change, and the next configuration upload and reload serve it. An
   * amphora is never moved from one load balancer to another, nor back to none.
   */
  create(id: string, loadBalancerId: string | null): { created: boolean; amphora: AmphoraView } {
    if (!AMPHORA_ID.test(id)) throw new InvalidRequest('Invalid amphora id', id)
    const existing = this.#entries.get(id)
    if (existing !== undefined) {
      if (existing.record.load_balancer_id === null && loadBalancerId !== null) {
        existing.record.load_balancer_id = loadBalancerId
        this.#writeRecord(existing)
        this.options.on_assign?.(id)
        this.options.log.info({ amphora_id: id, load_balancer_id: loadBalancerId }, 'spare amphora given a load balancer')
      } else if (existing.record.load_balancer_id !== loadBalancerId) {
        throw new AgentConflict('Amphora exists', `Amphora ${id} serves load balancer ${existing.record.load_balancer_id ?? 'none'}`)
      }
      return { created: false, amphora: this.#view(existing) }
    }
    if (this.#entries.size >= this.options.capacity) throw new AgentConflict('Agent at capacity', `This agent runs at most ${this.options.capacity} amphorae`)
    mkdirSync(join(this.amphoraeDir, id), { recursive: true })
    const entry = this.#newEntry({ id, load_balancer_id: loadBalancerId, desired: 'stopped' }, realpathSync(join(this.amphoraeDir, id)))
    this.#writeRecord(entry)
    this.#writeHostConfig(entry)
    writeFileSync(join(entry.dir, AMPHORA_FILES.serverState), '1\n')
    this.#entries.set(id, entry)
    return { created: true, amphora: this.#view(entry) }
  }

  /** Uploads a configuration: checked with `haproxy -c` (then active for the next start or reload) or refused. */
  putConfig(id: string, text: string): Promise<{ etag: string }> {
    return this.#serial(id, async (entry) => {
      await this.#install(entry, text)
      return { etag: md5(text) }
    })
  }

  /**
   * Upload and reload in one operation, as every change from the controller comes. A haproxy
   * that does not run is started on the new configuration at once: haproxy checks it while
   * starting, so `haproxy -c` (a start-up's work of its own) runs only when that start fails, to
   * tell a refused configuration (400, the previous one back in place, nothing running) from a
   * failure to run (500, as a reload's). A running haproxy gets the check, then the reload.
   */
  apply(id: string, text: string): Promise<AmphoraView> {
    return this.#serial(id, async (entry) => {
      if (this.#alive(entry)) {
        await this.#install(entry, text)
        entry.record.desired = 'running'
        this.#writeRecord(entry)
        await this.#haproxy(() => reloadHaproxy(entry.pid!, entry.dir))
        return this.#view(entry)
      }
      const active = join(entry.dir, AMPHORA_FILES.config)
      const previous = existsSync(active) ? readFileSync(active) : null
      const desired = entry.record.desired
      const fresh = join(entry.dir, AMPHORA_FILES.newConfig)
      writeFileSync(fresh, text, { mode: 0o600 })
      renameSync(fresh, active)
      entry.record.desired = 'running'
      this.#writeRecord(entry)
      try {
        await this.#launch(entry)
      } catch (err) {
        const check = await checkConfig(this.options.haproxy_cmd, entry.dir, AMPHORA_FILES.config)
        if (check.valid) throw err
        renameSync(active, join(entry.dir, AMPHORA_FILES.failedConfig))
        if (previous !== null) writeFileSync(active, previous, { mode: 0o600 })
        entry.record.desired = desired
        this.#writeRecord(entry)
        throw new InvalidRequest('Invalid request', check.output)
      }
      return this.#view(entry)
    })
  }

  /** Checks a configuration with `haproxy -c` and makes it the active one, or refuses it (400). */
  async #install(entry: AmphoraEntry, text: string): Promise<void> {
    const fresh = join(entry.dir, AMPHORA_FILES.newConfig)
    writeFileSync(fresh, text, { mode: 0o600 })
    const check = await checkConfig(this.options.haproxy_cmd, entry.dir, AMPHORA_FILES.newConfig)
    if (!check.valid) {
      renameSync(fresh, join(entry.dir, AMPHORA_FILES.failedConfig))
      throw new InvalidRequest('Invalid request', check.output)
    }
    renameSync(fresh, join(entry.dir, AMPHORA_FILES.config))
  }

  getConfig(id: string): { text: string; etag: string } | null {
    const entry = this.#entry(id)
    const path = join(entry.dir, AMPHORA_FILES.config)
    if (!existsSync(path)) return null
    const text = readFileSync(path, 'utf8')
    return { text, etag: md5(text) }
  }

  start(id: string): Promise<AmphoraView> {
    return this.#serial(id, async (entry) => {
      this.#requireConfig(entry)
      entry.record.desired = 'running'
      this.#writeRecord(entry)
      if (!this.#alive(entry)) await this.#launch(entry)
      return this.#view(entry)
    })
  }

  /** Reload with the uploaded configuration; a stopped amphora is started instead (as Octavia's agent). */
  reload(id: string): Promise<AmphoraView> {
    return this.#serial(id, async (entry) => {
      this.#requireConfig(entry)
      entry.record.desired = 'running'
      this.#writeRecord(entry)
      if (!this.#alive(entry)) await this.#launch(entry)
      else await this.#haproxy(() => reloadHaproxy(entry.pid!, entry.dir))
      return this.#view(entry)
    })
  }

  stop(id: string): Promise<AmphoraView> {
    return this.#serial(id, async (entry) => {
      entry.record.desired = 'stopped'
      this.#writeRecord(entry)
      if (entry.pid !== null) await stopHaproxy(entry.pid, entry.dir)
      entry.pid = null
      entry.child = null
      return this.#view(entry)
    })
  }

  /** Stops the amphora and removes its directory; deleting an unknown amphora succeeds. */
  async delete(id: string): Promise<void> {
    if (!this.#entries.has(id)) return
    await this.#serial(id, async (entry) => {
      entry.record.desired = 'stopped'
      if (entry.pid !== null) await stopHaproxy(entry.pid, entry.dir)
      this.#entries.delete(id)
      this.options.on_delete?.(id)
      rmSync(entry.dir, { recursive: true, force: true })
    })
  }

  putCertificate(id: string, filename: string, pem: string): { etag: string } {
    const path = this.#certificatePath(id, filename)
    mkdirSync(join(path, '..'), { recursive: true, mode: 0o700 })
    writeFileSync(path, pem, { mode: 0o600 })
    return { etag: md5(pem) }
  }

  getCertificate(id: string, filename: string): { md5sum: string } | null {
    const path = this.#certificatePath(id, filename)
    return existsSync(path) ? { md5sum: md5(readFileSync(path)) } : null
  }

  deleteCertificate(id: string, filename: string): void {
    rmSync(this.#certificatePath(id, filename), { force: true })
  }

  #certificatePath(id: string, filename: string): string {
    if (!CERTIFICATE_NAME.test(filename)) throw new InvalidRequest('Filename has wrong format')
    return join(this.#entry(id).dir, AMPHORA_FILES.certificates, filename)
  }

  async #adoptAll(): Promise<void> {
    for (const name of readdirSync(this.amphoraeDir)) {
      const dir = join(this.amphoraeDir, name)
      let record: AmphoraRecord
      try {
        record = JSON.parse(readFileSync(join(dir, AMPHORA_FILES.record), 'utf8')) as AmphoraRecord
      } catch {
        // A directory without a readable record is not an amphora we made; leave it alone.
        continue
      }
      const entry = this.#newEntry(record, dir)
      this.#entries.set(record.id, entry)
      const pid = readPid(dir)
      if (pid !== null && isLiveProcessIn(pid, dir)) {
        entry.pid = pid
        this.options.log.info({ amphora_id: record.id, pid }, 'amphora adopted')
      }
      // The log port may have changed since the host part was written: rewrite it and reload.
      const hostChanged = this.#writeHostConfig(entry)
      if (record.desired !== 'running') continue
      try {
        await this.#serial(record.id, async () => {
          if (entry.pid === null) await this.#launch(entry)
          else if (hostChanged) await this.#haproxy(() => reloadHaproxy(entry.pid!, entry.dir))
        })
      } catch (err) {
        this.options.log.error({ err, amphora_id: record.id }, 'amphora could not be started')
      }
    }
  }

  #watch(): void {
    const now = Date.now()
    for (const entry of this.#entries.values()) {
      if (entry.busy || entry.restarting || entry.record.desired !== 'running' || this.#alive(entry) || now < entry.next_restart_at) continue
      this.options.log.warn({ amphora_id: entry.record.id, pid: entry.pid }, 'haproxy died; restarting it')
      entry.pid = null
      entry.restarts += 1
      entry.restarting = true
      this.#serial(entry.record.id, (e) => (e.record.desired === 'running' && !this.#alive(e) ? this.#launch(e) : Promise.resolve())).then(
        () => {
          entry.restarting = false
          entry.failures = 0
        },
        (err: unknown) => {
          entry.restarting = false
          entry.failures += 1
          entry.next_restart_at = Date.now() + Math.min(BACKOFF_MS.max, BACKOFF_MS.first * 2 ** (entry.failures - 1))
          this.options.log.error({ err, amphora_id: entry.record.id }, 'haproxy restart failed')
        },
      )
    }
  }

  async #launch(entry: AmphoraEntry): Promise<void> {
    const { pid, child, settled } = await this.#haproxy(() => startHaproxy(this.options.haproxy_cmd, entry.dir))
    entry.settling = settled
    entry.pid = pid
    entry.child = child
    // Our own child: notice its death at once (and reap it) rather than at the next watch.
    child.once('exit', () => setImmediate(() => this.#watch()))
    this.options.log.info({ amphora_id: entry.record.id, pid }, 'haproxy started')
  }

  /** Runs a haproxy operation, its failures becoming the API's 500 with haproxy's own words. */
  async #haproxy<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation()
    } catch (err) {
      if (err instanceof HaproxyFailed) throw new HaproxyError(err.message, err.details)
      throw err
    }
  }

  #alive(entry: AmphoraEntry): boolean {
    return entry.pid !== null && isLiveProcessIn(entry.pid, entry.dir)
  }

  #requireConfig(entry: AmphoraEntry): void {
    if (!existsSync(join(entry.dir, AMPHORA_FILES.config))) throw new InvalidRequest('Invalid request', 'No configuration uploaded')
  }

  #serial<T>(id: string, operation: (entry: AmphoraEntry) => Promise<T>): Promise<T> {
    const entry = this.#entry(id)
    const run = entry.queue.catch(() => undefined).then(async () => {
      entry.busy = true
      try {
        await entry.settling
        return await operation(entry)
      } finally {
        entry.busy = false
      }
    })
    entry.queue = run
    return run
  }

  #entry(id: string): AmphoraEntry {
    const entry = this.#entries.get(id)
    if (entry === undefined) throw new AmphoraNotFound(id)
    return entry
  }

  #newEntry(record: AmphoraRecord, dir: string): AmphoraEntry {
    return { record, dir, pid: null, child: null, queue: Promise.resolve(), settling: Promise.resolve(), busy: false, restarting: false, restarts: 0, failures: 0, next_restart_at: 0 }
  }

  #writeRecord(entry: AmphoraEntry): void {
    writeFileSync(join(entry.dir, `${AMPHORA_FILES.record}.tmp`), `${JSON.stringify(entry.record, null, 2)}\n`)
    renameSync(join(entry.dir, `${AMPHORA_FILES.record}.tmp`), join(entry.dir, AMPHORA_FILES.record))
  }

  /** Writes the host part of the configuration; true when it changed. */
  #writeHostConfig(entry: AmphoraEntry): boolean {
    const text = renderHostConfig({
      amphora_id: entry.record.id,
      log_port: this.options.log_port,
      user_log_facility: this.options.user_log_facility,
      administrative_log_facility: this.options.administrative_log_facility,
    })
    const path = join(entry.dir, AMPHORA_FILES.hostConfig)
    if (existsSync(path) && readFileSync(path, 'utf8') === text) return false
    writeFileSync(path, text)
    return true
  }

  #view(entry: AmphoraEntry): AmphoraView {
    const running = this.#alive(entry)
    const config = join(entry.dir, AMPHORA_FILES.config)
    return {
      id: entry.record.id,
      load_balancer_id: entry.record.load_balancer_id,
      desired: entry.record.desired,
      running,
      pid: running ? entry.pid : null,
      config_etag: existsSync(config) ? md5(readFileSync(config)) : null,
      restarts: entry.restarts,
    }
  }
}

/** The master's pid, from the pid file haproxy writes (-p). */
function readPid(dir: string): number | null {
  try {
    const pid = Number(readFileSync(join(dir, AMPHORA_FILES.pid), 'utf8').trim().split('\n')[0])
    return Number.isSafeInteger(pid) && pid > 0 ? pid : null
  } catch {
    // No pid file: haproxy never ran here.
    return null
  }
}

function md5(data: string | Buffer): string {
  return createHash('md5').update(data).digest('hex')
}

