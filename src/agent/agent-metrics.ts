import { Gauge, type Registry } from 'prom-client'
import type { AmphoraSupervisor } from './amphora-supervisor.ts'

/** The agent's Prometheus metrics, read from the supervisor at each scrape. */
export function registerAgentMetrics(registry: Registry, supervisor: AmphoraSupervisor, capacity: number): void {
  new Gauge({
    name: 'octavia_agent_capacity', help: 'Most amphorae this agent runs (agent.capacity).', registers: [registry],
    collect() {
      this.set(capacity)
    },
  })
  new Gauge({
    name: 'octavia_agent_amphorae', help: 'Amphorae on this agent, by whether their haproxy runs.', labelNames: ['state'], registers: [registry],
    collect() {
      const amphorae = supervisor.list()
      this.set({ state: 'running' }, amphorae.filter((a) => a.running).length)
      this.set({ state: 'stopped' }, amphorae.filter((a) => !a.running).length)
    },
  })
  new Gauge({
    name: 'octavia_agent_haproxy_restarts', help: 'Times this agent restarted a haproxy that died on its own, since it started.', registers: [registry],
    collect() {
      this.set(supervisor.list().reduce((sum, a) => sum + a.restarts, 0))
    },
  })
}
