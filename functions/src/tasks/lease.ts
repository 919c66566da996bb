// A lease gives one annotator one image for a while. Created with If-None-Match: *, so two
// annotators can never both create it; an expired lease is reclaimed by compare-and-swap on its
// ETag; it is released (deleted with If-Match) once the answer is stored. Leases are soft state,
// written without waiting for the disk: one lost in a machine crash only frees its image early.
import { z } from "@hono/zod-openapi";
import { isoTime } from "../iso-time.ts";
import { layout } from "../layout.ts";
import { getJson, isPreconditionFailed, type Store } from "../storage/port.ts";

export const Lease = z.object({
  imageId: z.string(),
  annotator: z.string(),
  leasedAt: z.string(),
  expiresAt: z.string(),
});
export type Lease = z.infer<typeof Lease>;

export type LeaseState = { lease: Lease; etag: string; live: boolean } | undefined;

export async function readLease(store: Store, cid: string, iid: string, nowMs: number): Promise<LeaseState> {
  const found = await getJson(store, layout.lease(cid, iid));
  if (found === undefined) return undefined;
  const parsed = Lease.safeParse(found.value);
  if (!parsed.success)
    return { lease: { imageId: iid, annotator: "", leasedAt: "", expiresAt: "" }, etag: found.etag, live: false };
  return { lease: parsed.data, etag: found.etag, live: Date.parse(parsed.data.expiresAt) > nowMs };
}

/** The lease, or undefined when someone else holds a live one. */
export async function acquireLease(
  store: Store,
  cid: string,
  iid: string,
  annotator: string,
  nowMs: number,
  leaseMs: number,
): Promise<Lease | undefined> {
  const lease: Lease = {
    imageId: iid,
    annotator,
    leasedAt: isoTime(nowMs),
    expiresAt: isoTime(nowMs + leaseMs),
  };
  const body = JSON.stringify(lease);
  const key = layout.lease(cid, iid);
  try {
    await store.put(key, body, { ifNoneMatch: "*", contentType: "application/json", durable: false });
    return lease;
  } catch (error) {
    if (!isPreconditionFailed(error)) throw error;
  }
  const current = await readLease(store, cid, iid, nowMs);
  if (current === undefined || current.live) return undefined;
  try {
    await store.put(key, body, { ifMatch: current.etag, contentType: "application/json", durable: false });
    return lease;
  } catch (error) {
    if (isPreconditionFailed(error)) return undefined;
    throw error;
  }
}

/** Deletes the lease `held`, unless it has changed since it was read (reclaimed by someone else). */
export async function releaseLease(store: Store, cid: string, iid: string, held: NonNullable<LeaseState>) {
  try {
    await store.delete(layout.lease(cid, iid), { ifMatch: held.etag, durable: false });
  } catch (error) {
    if (!isPreconditionFailed(error)) throw error;
  }
}
