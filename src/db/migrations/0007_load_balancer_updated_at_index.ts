import type { EngineMigration } from './engine-migration.ts'

// The health manager keeps load balancer views between heartbeat batches and asks, once per
// batch, which load balancers changed since it last looked (updated_at moves with every change
// under a load balancer): an index makes that a short range read instead of a table scan.
export const loadBalancerUpdatedAtIndex: EngineMigration = {
  async up(db) {
    await db.schema.createIndex('ix_load_balancer_updated_at').on('load_balancer').column('updated_at').execute()
  },
}
