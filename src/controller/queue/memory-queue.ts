import type { JobQueue } from './job-queue.ts'

/** The embedded queue: announcements reach the workers of this process only. */
export class MemoryQueue implements JobQueue {
  readonly #listeners = new Set<(jobId: string) => void>()

  announce(jobId: string): void {
    for (const deliver of this.#listeners) deliver(jobId)
  }

  listen(deliver: (jobId: string) => void): () => void {
    this.#listeners.add(deliver)
    return () => this.#listeners.delete(deliver)
  }

  async close(): Promise<void> {
    this.#listeners.clear()
  }
}
