import { appendFile, mkdir, rename, stat } from 'node:fs/promises'
import { dirname } from 'node:path'

export interface RotationOptions {
  /** Rotate once the file reaches this many bytes. */
  max_bytes: number
  /** Rotated files kept: name.1 (newest) … name.N. */
  keep: number
}

/**
 * An append-only log file written in batches (one write per flush, not per line) and rotated
 * by size: name → name.1 → … → name.N, the oldest dropped.
 */
export class RotatingLogFile {
  #pending: Buffer[] = []
  #pendingBytes = 0
  #size: number | null = null
  #writing: Promise<void> = Promise.resolve()
  #discarded = false

  constructor(readonly path: string, private readonly rotation: RotationOptions) {}

  /** Queues whole lines, each ending with its newline. */
  appendLines(lines: Buffer): void {
    if (this.#discarded) return
    this.#pending.push(lines)
    this.#pendingBytes += lines.length
  }

  get pendingBytes(): number {
    return this.#pendingBytes
  }

  /** Drops what is queued and ignores what comes (its amphora was deleted, directory and all). */
  discard(): void {
    this.#discarded = true
    this.#pending = []
    this.#pendingBytes = 0
  }

  /** Writes what is queued; flushes run one after another. */
  flush(): Promise<void> {
    if (this.#pendingBytes === 0) return this.#writing
    const chunk = Buffer.concat(this.#pending, this.#pendingBytes)
    this.#pending = []
    this.#pendingBytes = 0
    this.#writing = this.#writing.then(() => this.#write(chunk).catch((err: unknown) => {
      // The amphora was deleted while this write was under way: its directory is gone, and so is the need.
      if (!this.#discarded) throw err
    }))
    return this.#writing
  }

  async #write(chunk: Buffer): Promise<void> {
    // Queued before a discard: writing it would recreate the deleted amphora's directory.
    if (this.#discarded) return
    if (this.#size === null) {
      await mkdir(dirname(this.path), { recursive: true })
      this.#size = await stat(this.path).then((s) => s.size, () => 0)
    }
    if (this.#size > 0 && this.#size + chunk.length > this.rotation.max_bytes) await this.#rotate()
    await appendFile(this.path, chunk)
    this.#size += chunk.length
  }

  async #rotate(): Promise<void> {
    for (let i = this.rotation.keep - 1; i >= 1; i--) {
      await rename(`${this.path}.${i}`, `${this.path}.${i + 1}`).catch(ignoreMissing)
    }
    await rename(this.path, `${this.path}.1`).catch(ignoreMissing)
    this.#size = 0
  }
}

function ignoreMissing(err: NodeJS.ErrnoException): void {
  if (err.code !== 'ENOENT') throw err
}
