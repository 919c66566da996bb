// Clean up: keep the newest K model versions and the newest K runs' snapshots (TFRecords and
// staged exports), as the seed recipe's temp_files_num does; then end the run and start the one
// queued behind it. An old version loses its saved_model.pb first, so it never looks complete
// while it is being removed.
import { listAll, type Store } from "../storage/port.ts";
import type { WorkflowContext } from "./context.ts";
import { finish } from "./finish.ts";
import { readRun, runKeys, stepTimed, updateRun } from "./run-record.ts";
import { allVersions, completeVersions } from "./versions.ts";

async function deletePrefix(store: Store, prefix: string, first?: string) {
  if (first !== undefined) {
    await store.delete(`${prefix}${first}`);
    await store.flushed?.();
  }
  const keys: string[] = [];
  for await (const item of listAll(store, prefix)) keys.push(item.key);
  for (const key of keys) await store.delete(key);
}

export async function removeOldVersions(models: Store, modelName: string, keep: number): Promise<number[]> {
  const complete = await completeVersions(models, modelName);
  const kept = new Set(complete.slice(-keep));
  const newest = complete.at(-1) ?? 0;
  // Incomplete directories newer than the newest complete one may be a publish in progress.
  const removed = (await allVersions(models, modelName)).filter((v) => !kept.has(v) && v < newest);
  for (const v of removed) await deletePrefix(models, `${modelName}/${v}/`, "saved_model.pb");
  return removed;
}

export async function removeOldSnapshots(data: Store, cid: string, keep: number, current: string): Promise<string[]> {
  const runIds = new Set<string>();
  for await (const item of listAll(data, runKeys.runs(cid)))
    runIds.add(item.key.slice(runKeys.runs(cid).length).split("/")[0]!);
  const runs = [];
  for (const id of runIds) {
    const run = await readRun(data, cid, id).catch(() => undefined);
    if (run !== undefined && run.id !== current) runs.push(run);
  }
  runs.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  const old = runs.slice(Math.max(0, keep - 1)).map((r) => r.id);
  for (const id of old) {
    await data.delete(runKeys.train(cid, id));
    await data.delete(runKeys.eval(cid, id));
    await deletePrefix(data, `${runKeys.export(cid, id)}/`);
  }
  return old;
}

export async function cleanup(ctx: WorkflowContext, cid: string, runId: string, modelName: string, published: boolean) {
  const at = ctx.now();
  await updateRun(ctx.data, cid, runId, (r) => stepTimed(r, "CleanUp", "start", at), ctx.now);
  const keep = ctx.keep ?? 5;
  const versions = await removeOldVersions(ctx.models, modelName, keep);
  const snapshots = await removeOldSnapshots(ctx.data, cid, keep, runId);
  await updateRun(
    ctx.data,
    cid,
    runId,
    (r) => ({
      ...stepTimed(r, "CleanUp", "end", ctx.now()),
      status: "succeeded",
      ...(published ? {} : { reason: r.gate?.reason ?? "not published" }),
    }),
    ctx.now,
  );
  // Answers after this run's snapshot are the next run's "new" ones; a failed run never gets here,
  // so its answers still count as new for the retry.
  const upTo = (await readRun(ctx.data, cid, runId))?.snapshot?.answersUpTo;
  if (upTo !== undefined) await ctx.data.put(runKeys.lastSnapshot(cid), JSON.stringify({ at: upTo, runId }));
  const next = await finish(ctx, cid, runId);
  return { removedVersions: versions, removedSnapshots: snapshots.length, started: next ?? null };
}
