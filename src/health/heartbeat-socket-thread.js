// Entry point of the heartbeat socket thread: a worker thread does not inherit the TypeScript
// loader of the thread that starts it, so it registers its own before loading the code.
import { register } from 'tsx/esm/api'

register()
await import('./heartbeat-socket-thread.ts')
