// The end of every run, however it ended: release the campaign and start the run queued behind it.
import type { WorkflowContext } from "./context.ts";
import { dequeue, release } from "./lock.ts";

export async function finish(ctx: WorkflowContext, cid: string, runId: string): Promise<string | undefined> {
  await release(ctx.data, cid, runId);
  const next = await dequeue(ctx.data, cid);
  if (next !== undefined) await ctx.starter.start({ campaignId: cid, runId: next, trigger: { kind: "queued" } });
  return next;
}
