// A worker process for the crash tests: runs the crash flows and freezes (never resolves) right
// after its Nth task commits, or inside the external task; it says "frozen" on stdout and
// waits for the SIGKILL. Environment: CRASH_DB (database options as JSON), CRASH_AFTER (N, or
// "external").
import { systemClock } from '../../src/common/clock.ts'
import { createLogger } from '../../src/common/logger.ts'
import { loadConfig } from '../../src/config/load-config.ts'
import { createFlowContext } from '../../src/controller/flow-context.ts'
import { startWorker } from '../../src/controller/worker.ts'
import { createDatabase } from '../../src/db/create-database.ts'
import type { DatabaseOptions } from '../../src/db/database-options.ts'
import { crashFlows } from './crash-flows.ts'
import { CRASH_TIMINGS } from './crash-timings.ts'

const db = createDatabase(JSON.parse(process.env.CRASH_DB ?? '{}') as DatabaseOptions)
const after = process.env.CRASH_AFTER ?? '1'
const freeze = () => {
  process.stdout.write('frozen\n')
  return new Promise<void>(() => {})
}
const { config } = loadConfig({ files: [], env: {} })
let done = 0
startWorker({
  context: createFlowContext({ db, clock: systemClock, log: createLogger({ level: 'silent' }), subnets: config.networks }),
  flows: crashFlows(after === 'external' ? { freezeInExternal: freeze } : {}),
  ...CRASH_TIMINGS,
  observer: {
    // Every task commits on its own here, so the Nth task done is the Nth boundary.
    pauseAfter: () => true,
    taskDone: () => (++done === Number(after) ? freeze() : undefined),
    // A job that ends here never reached the crash point: say so, so the test fails at once.
    jobEnded: (job, outcome) => {
      process.stderr.write(`job ${job.id} ended ${outcome} before the crash point\n`)
      process.exit(3)
    },
  },
})
