import type { Executor } from '../../db/database.ts'
import type { LoadBalancer } from '../../db/repositories/load-balancer-repository.ts'
import type { FlowContext } from '../flow-context.ts'
import { PermanentError } from '../permanent-error.ts'
import { databaseTask } from '../task.ts'

type VipOwner = Pick<LoadBalancer, 'id' | 'project_id' | 'vip'>

async function vipOwner(ctx: FlowContext, id: string, trx: Executor): Promise<VipOwner> {
  const lb = await ctx.loadBalancers.vipOf(id, trx)
  if (!lb) throw new PermanentError(`load balancer ${id} not found`)
  return lb
}

/**
 * Frees the LB's addresses: the ports we allocated go; a port the user brought (vip_port_id)
 * stays, only no longer bound to the LB (spec/flows.md §4.3 step 6). Resolves how many went.
 */
async function releaseVip(ctx: FlowContext, lb: VipOwner, trx: Executor): Promise<number> {
  const userPort = lb.vip?.octavia_owned === false ? lb.vip.port_id : null
  if (userPort !== null) await ctx.ports.update(userPort, { device_id: null, device_owner: null }, trx)
  return ctx.ports.releaseByDevice(lb.id, trx)
}

/**
 * spec/flows.md §4.1 step 3: the API allocated the VIP port with the LB; this checks it is still
 * there (an address we own that went missing is allocated again, with the same id and address).
 * Revert: the VIP ports are deallocated.
 */
export const allocateVip = databaseTask('network.allocate-vip', async (trx, { ctx, job }) => {
  const lb = await vipOwner(ctx, job.target_id, trx)
  const vip = lb.vip
  if (vip?.port_id == null || vip.ip_address == null || vip.subnet_id == null) throw new PermanentError(`load balancer ${lb.id} has no VIP port`)
  const port = await ctx.ports.get(vip.port_id, trx)
  if (port) {
    if (port.ip_address !== vip.ip_address) throw new PermanentError(`VIP port ${vip.port_id} holds ${port.ip_address}, not the VIP ${vip.ip_address}`)
    return { port_id: port.id, ip_address: port.ip_address, reallocated: false }
  }
  if (vip.octavia_owned === false) throw new PermanentError(`VIP port ${vip.port_id} not found`)
  const subnet = ctx.subnets.find((s) => s.id === vip.subnet_id)
  if (!subnet) throw new PermanentError(`VIP subnet ${vip.subnet_id} is not a configured network`)
  const made = await ctx.ports.allocate({
    id: vip.port_id, subnet, ip_address: vip.ip_address, device_owner: 'octavia:vip', device_id: lb.id,
    project_id: lb.project_id, name: `octavia-lb-${lb.id}`,
  }, trx)
  return { port_id: made.id, ip_address: made.ip_address, reallocated: true }
}, async (trx, { ctx, job }) => {
  const lb = await ctx.loadBalancers.vipOf(job.target_id, trx)
  if (lb) await releaseVip(ctx, lb, trx)
})

/** spec/flows.md §4.3 step 6: the VIP (and additional VIP) addresses are freed. */
export const deallocateVip = databaseTask('network.deallocate-vip', async (trx, { ctx, job }) => {
  const lb = await vipOwner(ctx, job.target_id, trx)
  return { released: await releaseVip(ctx, lb, trx) }
})
