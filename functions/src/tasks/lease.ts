// A lease gives one annotator one image for a while. Two keepers behind one port:
// - `storedLeases`: an object per lease in the store, for API processes that share it (Lambdas on
//   S3). Created with If-None-Match: *, so two annotators can never both create it; an expired lease
//   is reclaimed by compare-and-swap on its ETag; it is released (deleted with If-Match) once the
//   answer is stored. Written soft (`durable: false`): one lost in a crash only frees its image early.
// - `MemoryLeases`: in the memory of the one process that serves a store (the local store of
//   `boxloop start`). The same checks, made in one synchronous step instead of a conditional write;
//   a restart forgets the leases, as it forgot the local store's soft ones.
import { z } from "@hono/zod-openapi";
import { isoTime } from "../iso-time.ts";
import { layout } from "../layout.ts";
import { getJson, isPreconditionFailed, listAll, type Store } from "../storage/port.ts";

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

/** A lease kept, and whether this call took it (else it is someone else's, live). */
export interface LeaseFound {
  lease: Lease;
  etag: string;
  taken: boolean;
}

export interface Leases {
  /**
   * Takes the image's lease unless someone else holds a live one; undefined when another writer got
   * in first (who, and until when, is not known). `expired` is the ETag of a lease the caller knows to
   * have expired (its view saw it written): a stored one is taken over without reading it first.
   */
  acquire(
    cid: string,
    iid: string,
    annotator: string,
    nowMs: number,
    leaseMs: number,
    expired?: string,
  ): Promise<LeaseFound | undefined>;
  read(cid: string, iid: string, nowMs: number): Promise<LeaseState>;
  /** Ends the lease `held`, unless it has changed since (reclaimed by someone else). */
  release(cid: string, iid: string, held: HeldLease): Promise<void>;
  /** Until when (epoch ms) each leased image of the campaign is held; a stored lease's end is estimated from its time. */
  leased(cid: string, leaseMs: number): Promise<Map<string, number>>;
}

function newLease(iid: string, annotator: string, nowMs: number, leaseMs: number): Lease {
  return { imageId: iid, annotator, leasedAt: isoTime(nowMs), expiresAt: isoTime(nowMs + leaseMs) };
}

export function storedLeases(store: Store): Leases {
  /** The lease's new ETag, or undefined when `condition` does not hold. */
  async function put(key: string, body: string, condition: { ifMatch: string } | { ifNoneMatch: "*" }) {
    try {
      return (await store.put(key, body, { ...condition, contentType: "application/json", durable: false })).etag;
    } catch (error) {
      if (isPreconditionFailed(error)) return undefined;
      throw error;
    }
  }

  async function read(cid: string, iid: string, nowMs: number): Promise<LeaseState> {
    const found = await getJson(store, layout.lease(cid, iid));
    if (found === undefined) return undefined;
    const parsed = Lease.safeParse(found.value);
    if (!parsed.success)
      return { lease: { imageId: iid, annotator: "", leasedAt: "", expiresAt: "" }, etag: found.etag, live: false };
    return { lease: parsed.data, etag: found.etag, live: Date.parse(parsed.data.expiresAt) > nowMs };
  }

  return {
    read,
    async acquire(cid, iid, annotator, nowMs, leaseMs, expired) {
      const lease = newLease(iid, annotator, nowMs, leaseMs);
      const body = JSON.stringify(lease);
      const key = layout.lease(cid, iid);
      const written =
        (expired === undefined ? undefined : await put(key, body, { ifMatch: expired })) ??
        (await put(key, body, { ifNoneMatch: "*" }));
      if (written !== undefined) return { lease, etag: written, taken: true };
      const current = await read(cid, iid, nowMs);
      if (current === undefined) return undefined;
      if (current.live) return { lease: current.lease, etag: current.etag, taken: false };
      const reclaimed = await put(key, body, { ifMatch: current.etag });
      return reclaimed === undefined ? undefined : { lease, etag: reclaimed, taken: true };
    },
    async release(cid, iid, held) {
      try {
        await store.delete(layout.lease(cid, iid), { ifMatch: held.etag, durable: false });
      } catch (error) {
        if (!isPreconditionFailed(error)) throw error;
      }
    },
    async leased(cid, leaseMs) {
      const prefix = layout.leases(cid);
      const out = new Map<string, number>();
      for await (const item of listAll(store, prefix))
        out.set(item.key.slice(prefix.length, -".json".length), item.lastModified.getTime() + leaseMs);
      return out;
    },
  };
}

interface Kept {
  lease: Lease;
  etag: string;
  /** Epoch ms. */
  until: number;
}

export class MemoryLeases implements Leases {
  /** By campaign, then image: the image ids are the campaign view's strings, whose hashes are kept. */
  private readonly kept = new Map<string, Map<string, Kept>>();
  private taken = 0;

  private of(cid: string): Map<string, Kept> {
    let leases = this.kept.get(cid);
    if (leases === undefined) {
      leases = new Map();
      this.kept.set(cid, leases);
    }
    return leases;
  }

  async acquire(cid: string, iid: string, annotator: string, nowMs: number, leaseMs: number) {
    const leases = this.of(cid);
    const held = leases.get(iid);
    if (held !== undefined && held.until > nowMs) return { lease: held.lease, etag: held.etag, taken: false };
    const lease = newLease(iid, annotator, nowMs, leaseMs);
    // Unique in this process, which is all a memory lease's ETag must be.
    const etag = `"m${(++this.taken).toString(36)}"`;
    leases.set(iid, { lease, etag, until: nowMs + leaseMs });
    return { lease, etag, taken: true };
  }

  async read(cid: string, iid: string, nowMs: number): Promise<LeaseState> {
    const held = this.kept.get(cid)?.get(iid);
    return held && { lease: held.lease, etag: held.etag, live: held.until > nowMs };
  }

  async release(cid: string, iid: string, held: HeldLease) {
    const leases = this.kept.get(cid);
    if (leases?.get(iid)?.etag === held.etag) leases.delete(iid);
  }

  async leased(cid: string) {
    return new Map([...(this.kept.get(cid) ?? [])].map(([iid, held]) => [iid, held.until]));
  }
}
