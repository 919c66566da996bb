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

/** What an answer needs of its annotator's lease: to check it, then release it. */
export interface HeldLease {
  annotator: string;
  etag: string;
  live: boolean;
}

export async function readLease(store: Store, cid: string, iid: string, nowMs: number): Promise<LeaseState> {
  const found = await getJson(store, layout.lease(cid, iid));
  if (found === undefined) return undefined;
  const parsed = Lease.safeParse(found.value);
  if (!parsed.success)
    return { lease: { imageId: iid, annotator: "", leasedAt: "", expiresAt: "" }, etag: found.etag, live: false };
  return { lease: parsed.data, etag: found.etag, live: Date.parse(parsed.data.expiresAt) > nowMs };
}

/** A lease in storage, and whether this call took it (else it is someone else's, live). */
export interface LeaseFound {
  lease: Lease;
  etag: string;
  taken: boolean;
}

/**
 * Takes the image's lease unless someone else holds a live one; undefined when another writer got
 * in first (who, and until when, is not known). `expired` is the ETag of a lease the caller knows to
 * have expired (its view saw it written): it is taken over without reading it first; when it has
 * changed since, the lease is read as when nothing is known.
 */
export async function acquireLease(
  store: Store,
  cid: string,
  iid: string,
  annotator: string,
  nowMs: number,
  leaseMs: number,
  expired?: string,
): Promise<LeaseFound | undefined> {
  const lease: Lease = {
    imageId: iid,
    annotator,
    leasedAt: isoTime(nowMs),
    expiresAt: isoTime(nowMs + leaseMs),
  };
  const body = JSON.stringify(lease);
  const key = layout.lease(cid, iid);
  const written =
    (expired === undefined ? undefined : await putLease(store, key, body, { ifMatch: expired })) ??
    (await putLease(store, key, body, { ifNoneMatch: "*" }));
  if (written !== undefined) return { lease, etag: written, taken: true };
  const current = await readLease(store, cid, iid, nowMs);
  if (current === undefined) return undefined;
  if (current.live) return { lease: current.lease, etag: current.etag, taken: false };
  const reclaimed = await putLease(store, key, body, { ifMatch: current.etag });
  return reclaimed === undefined ? undefined : { lease, etag: reclaimed, taken: true };
}

/** The lease's new ETag, or undefined when `condition` does not hold. */
async function putLease(
  store: Store,
  key: string,
  body: string,
  condition: { ifMatch: string } | { ifNoneMatch: "*" },
): Promise<string | undefined> {
  try {
    return (await store.put(key, body, { ...condition, contentType: "application/json", durable: false })).etag;
  } catch (error) {
    if (isPreconditionFailed(error)) return undefined;
    throw error;
  }
}

/** Deletes the lease `held`, unless it has changed since it was read (reclaimed by someone else). */
export async function releaseLease(store: Store, cid: string, iid: string, held: HeldLease) {
  try {
    await store.delete(layout.lease(cid, iid), { ifMatch: held.etag, durable: false });
  } catch (error) {
    if (!isPreconditionFailed(error)) throw error;
  }
}
