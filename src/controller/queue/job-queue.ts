/**
 * How the API tells workers that a job was committed (DESIGN.md: the queue carries job ids
 * only). Announcements are hints: a worker that misses one finds the job by polling the jobs
 * table, so a lost message or a broker outage only delays work.
 */
export interface JobQueue {
  /** Announces a committed job. Never throws and never waits for a broker. */
  announce(jobId: string): void
  /** Delivers announcements to `deliver` until the returned function is called. */
  listen(deliver: (jobId: string) => void): () => void
  close(): Promise<void>
}
