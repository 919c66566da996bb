// Reading and writing campaign.json, and who may see a campaign.
import { z } from "@hono/zod-openapi";
import type { Principal } from "../auth/port.ts";
import { ApiError, forbidden, notFound } from "../errors.ts";
import { layout } from "../layout.ts";
import { getJson, isPreconditionFailed, listAll, type Store } from "../storage/port.ts";
import { Campaign } from "./schema.ts";

export interface CampaignRepo {
  create(campaign: Campaign): Promise<{ etag: string }>;
  /** 404 when missing; 403 when the principal is not a member (admins see all). */
  load(cid: string, principal: Principal): Promise<{ campaign: Campaign; etag: string }>;
  save(campaign: Campaign, ifMatch: string): Promise<{ etag: string }>;
  list(principal: Principal): Promise<Campaign[]>;
}

export function canSee(campaign: Campaign, principal: Principal): boolean {
  return principal.role === "admin" || campaign.members.some((m) => m.id === principal.subject);
}

/**
 * Campaigns are cached for `ttlMs` (other instances' edits show up after that). Then one read, shared
 * by the requests that wait for it, brings the campaign back; unchanged (same ETag), it is not checked again.
 */
export function campaignRepo(store: Store, ttlMs = 1000, now: () => number = Date.now): CampaignRepo {
  type Entry = { campaign: Campaign; etag: string; at: number };
  const cache = new Map<string, Entry>();
  const reading = new Map<string, Promise<Entry | undefined>>();

  const reread = async (cid: string, previous: Entry | undefined) => {
    const found = await getJson(store, layout.campaign(cid));
    const entry =
      found === undefined
        ? undefined
        : {
            campaign: previous?.etag === found.etag ? previous.campaign : Campaign.parse(found.value),
            etag: found.etag,
            at: now(),
          };
    // A save while this read was under way has cached a newer campaign.
    if (cache.get(cid) === previous) {
      if (entry === undefined) cache.delete(cid);
      else cache.set(cid, entry);
    }
    return entry;
  };

  const read = async (cid: string) => {
    const hit = cache.get(cid);
    if (hit !== undefined && now() - hit.at < ttlMs) return hit;
    let pending = reading.get(cid);
    if (pending === undefined) {
      pending = reread(cid, hit).finally(() => reading.delete(cid));
      reading.set(cid, pending);
    }
    return pending;
  };

  return {
    async create(campaign) {
      try {
        const out = await store.put(layout.campaign(campaign.id), JSON.stringify(campaign, null, 2), {
          ifNoneMatch: "*",
          contentType: "application/json",
        });
        cache.set(campaign.id, { campaign, etag: out.etag, at: now() });
        return out;
      } catch (error) {
        if (isPreconditionFailed(error)) throw new ApiError(409, "exists", `campaign ${campaign.id} exists`, "id");
        throw error;
      }
    },
    async load(cid, principal) {
      const entry = await read(cid);
      if (entry === undefined) throw notFound(`campaign ${cid}`, "cid");
      if (!canSee(entry.campaign, principal)) throw forbidden(`not a member of campaign ${cid}`);
      return entry;
    },
    async save(campaign, ifMatch) {
      try {
        const out = await store.put(layout.campaign(campaign.id), JSON.stringify(campaign, null, 2), {
          ifMatch,
          contentType: "application/json",
        });
        cache.set(campaign.id, { campaign, etag: out.etag, at: now() });
        return out;
      } catch (error) {
        if (isPreconditionFailed(error))
          throw new ApiError(412, "etag_mismatch", "the campaign changed; reload it", "if-match");
        throw error;
      }
    },
    async list(principal) {
      const out: Campaign[] = [];
      for await (const item of listAll(store, layout.campaigns)) {
        if (!item.key.endsWith("/campaign.json") || item.key.split("/").length !== 3) continue;
        const entry = await read(item.key.split("/")[1]!);
        if (entry !== undefined && canSee(entry.campaign, principal)) out.push(entry.campaign);
      }
      return out;
    },
  };
}

export const CampaignList = z.object({ campaigns: z.array(Campaign) });
