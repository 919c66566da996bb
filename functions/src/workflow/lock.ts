// One run at a time per campaign, and at most one waiting: `training/active.json` is created only
// if absent (If-None-Match: *) by the run that takes the campaign, and `training/queued.json` the
// same way by the first run that finds it taken. Both behave alike on S3 and the local store.
import { z } from "@hono/zod-openapi";
import { getJson, isPreconditionFailed, type Store } from "../storage/port.ts";
import { runKeys } from "./run-record.ts";

const Holder = z.object({ runId: z.string(), at: z.string() });

async function createOnly(store: Store, key: string, runId: string, at: Date): Promise<string | undefined> {
  try {
    await store.put(key, JSON.stringify({ runId, at: at.toISOString() }), { ifNoneMatch: "*" });
    return undefined;
  } catch (error) {
    if (!isPreconditionFailed(error)) throw error;
    const found = await getJson(store, key);
    return found === undefined ? createOnly(store, key, runId, at) : Holder.parse(found.value).runId;
  }
}

/** A hold older than this is a run that died without its Catch (longer than any training timeout). */
export const staleAfterMs = 6 * 3_600_000;

/** Takes the campaign for `runId`; returns the id of the run holding it when another does. */
export async function acquire(store: Store, cid: string, runId: string, at: Date): Promise<string | undefined> {
  const holder = await createOnly(store, runKeys.active(cid), runId, at);
  if (holder === undefined || holder === runId) return undefined;
  const found = await getJson(store, runKeys.active(cid));
  const since = found === undefined ? undefined : Date.parse(Holder.parse(found.value).at);
  if (since !== undefined && at.getTime() - since > staleAfterMs) {
    await store.put(runKeys.active(cid), JSON.stringify({ runId, at: at.toISOString() }), { ifMatch: found!.etag });
    return undefined;
  }
  return holder;
}

export async function holder(store: Store, cid: string): Promise<string | undefined> {
  const found = await getJson(store, runKeys.active(cid));
  return found === undefined ? undefined : Holder.parse(found.value).runId;
}

/** Releases the campaign if `runId` holds it. */
export async function release(store: Store, cid: string, runId: string): Promise<void> {
  if ((await holder(store, cid)) === runId) await store.delete(runKeys.active(cid));
}

/** Queues `runId` behind the active run; returns the already queued run's id when there is one. */
export async function enqueue(store: Store, cid: string, runId: string, at: Date): Promise<string | undefined> {
  const queued = await createOnly(store, runKeys.queued(cid), runId, at);
  return queued === runId ? undefined : queued;
}

/** Removes and returns the queued run, if any. */
export async function dequeue(store: Store, cid: string): Promise<string | undefined> {
  const found = await getJson(store, runKeys.queued(cid));
  if (found === undefined) return undefined;
  await store.delete(runKeys.queued(cid));
  return Holder.parse(found.value).runId;
}
