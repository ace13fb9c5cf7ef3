// A child process of bench/health: encodes heartbeats for its share of amphorae ahead of time
// (seq rising by one per round, so the sequence rule accepts every one), says `ready`, and on
// `go` sends them to 127.0.0.1:<port>, round after round, paced at `rate` datagrams per second.
// Protocol: one JSON line on stdin ({ port, key, rounds, rate, amphorae }), then `go`; prints `ready` and `done`.
import { createSocket } from 'node:dgram'
import { createInterface } from 'node:readline'
import { encodeHeartbeat } from '../../src/health/heartbeat-codec.ts'

export interface BlastedAmphora { id: string; listenerId: string; poolId: string; memberIds: string[] }
export interface BlastOrder { port: number; key: string; rounds: number; rate: number; amphorae: BlastedAmphora[] }

const lines = createInterface({ input: process.stdin })
const iterator = lines[Symbol.asyncIterator]()
const order = JSON.parse((await iterator.next()).value as string) as BlastOrder

const datagrams: Buffer[] = []
for (let seq = 0; seq < order.rounds; seq++) {
  for (const amphora of order.amphorae) {
    datagrams.push(encodeHeartbeat({
      id: amphora.id, seq, ver: 3,
      listeners: { [amphora.listenerId]: { status: 'OPEN', stats: { tx: 1000, rx: 100, conns: 2, totconns: 10, ereq: 0 } } },
      pools: { [`${amphora.poolId}:${amphora.listenerId}`]: { status: 'UP', members: Object.fromEntries(amphora.memberIds.map((m, i) => [m, i === 0 && seq % 50 === 49 ? 'DOWN' : 'UP'])) } },
    }, order.key))
  }
}
process.stdout.write('ready\n')
await iterator.next()

const socket = createSocket({ type: 'udp4', sendBufferSize: 4 * 1024 * 1024 })
let inFlight = 0
const start = performance.now()
let i = 0
while (i < datagrams.length) {
  // Paced: datagram i leaves no earlier than i / rate seconds after the start; between bursts the process sleeps.
  const due = Math.min(datagrams.length, Math.floor((performance.now() - start) * order.rate / 1000) + 1)
  while (i < due) {
    inFlight++
    socket.send(datagrams[i++]!, order.port, '127.0.0.1', () => void inFlight--)
  }
  await new Promise((resolve) => setTimeout(resolve, 2))
}
while (inFlight > 0) await new Promise((resolve) => setImmediate(resolve))
socket.close()
process.stdout.write('done\n')
lines.close()
