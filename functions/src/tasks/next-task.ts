// Choosing the next image for an annotator, by the campaign's strategy, then leasing it.
//   uncertain: mostly the image whose predictions are nearest the threshold (no prediction at all
//     counts as most uncertain), from a small random sample; with probability `randomFraction` a
//     random image instead, so the model sees the whole distribution.
//   random: any free image.  sequential: the oldest free image.
import type { Campaign } from "../campaigns/schema.ts";
import type { ImageMeta } from "../images/ingest.ts";
import { layout, parseAnnotationKey } from "../layout.ts";
import type { Lookup, PredictionCache } from "../predictions/cache.ts";
import { type PackedPrediction, unpack } from "../predictions/port.ts";
import type { Store } from "../storage/port.ts";
import {
  answerBy,
  type CampaignIndex,
  type CampaignIndexes,
  type ImageState,
  imageMeta,
  leaseUntil,
  noteLease,
  notePrediction,
  setAnswer,
} from "./campaign-index.ts";
import type { Lease, Leases } from "./lease.ts";

export interface NextTask {
  image: ImageMeta;
  lease: Lease;
  lookup: Lookup;
}

export interface NextTaskDeps {
  store: Store;
  leases: Leases;
  indexes: CampaignIndexes;
  predictions: PredictionCache;
  now: () => number;
  random: () => number;
}

const sampleSize = 6;
const maxAttempts = 40;

/**
 * Whom an image must be free for: it is free when nobody holds or is taking a lease on it, it still
 * needs answers, none of them this annotator's, and this request has not tried it already.
 */
interface Wanted {
  campaign: Campaign;
  annotator: string;
  nowMs: number;
  tried: Set<ImageState>;
  /** Takes images the view thinks leased too (their lease may have expired or gone). */
  ignoreLeases: boolean;
}

function isFree(state: ImageState, wanted: Wanted): boolean {
  return (
    !state.reserved &&
    (wanted.ignoreLeases || leaseUntil(state) <= wanted.nowMs) &&
    state.answers.length < wanted.campaign.answersPerImage &&
    answerBy(state, wanted.annotator) === undefined &&
    !wanted.tried.has(state)
  );
}

export async function nextTask(
  deps: NextTaskDeps,
  campaign: Campaign,
  annotator: string,
): Promise<NextTask | undefined> {
  const index = await deps.indexes.get(campaign);
  // Asked once: choosing and the task's predictions use the same version.
  const version = await deps.predictions.version(campaign);
  const wanted: Wanted = { campaign, annotator, nowMs: 0, tried: new Set(), ignoreLeases: false };
  let probes = 0;
  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    wanted.nowMs = deps.now();
    const candidates = candidatesOf(
      index.order,
      wanted,
      campaign.strategy === "sequential" ? 1 : sampleSize,
      deps.random,
    );
    let chosen: ImageState;
    if (candidates.length === 0) {
      // The view may think an image leased whose lease has expired or gone: probe a few; the
      // lease's own expiry time decides.
      if (probes++ >= 3) return undefined;
      const probe = candidatesOf(index.order, { ...wanted, ignoreLeases: true }, 1, deps.random)[0];
      if (probe === undefined) return undefined;
      chosen = probe;
    } else {
      chosen = await choose(deps, campaign, version, candidates);
      wanted.nowMs = deps.now();
      if (!isFree(chosen, wanted)) continue; // taken while we looked at predictions
    }
    wanted.tried.add(chosen);
    chosen.reserved = true;
    try {
      const task = await tryLease(deps, index, campaign, version, annotator, chosen);
      if (task !== undefined) return task;
    } finally {
      chosen.reserved = false;
    }
  }
  return undefined;
}

/**
 * Up to `count` free images: the first ones in order when `count` is 1 (sequential), else a random
 * sample, drawn by probing random positions (cheap while most images are free) and, failing that,
 * from a scan of all.
 */
function candidatesOf(order: ImageState[], wanted: Wanted, count: number, random: () => number): ImageState[] {
  if (count === 1) {
    const first = order.find((state) => isFree(state, wanted));
    return first === undefined ? [] : [first];
  }
  const picked: ImageState[] = [];
  for (let probe = 0; probe < count * 8 && picked.length < count && order.length > 0; probe++) {
    const state = order[Math.floor(random() * order.length)]!;
    if (isFree(state, wanted) && !picked.includes(state)) picked.push(state);
  }
  if (picked.length > 0) return picked;
  const all = order.filter((state) => isFree(state, wanted));
  for (let i = all.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  return all.slice(0, count);
}

/** The image's prediction by `version`: kept on its state, else from the cache's memory (then kept). */
function predictionOf(
  predictions: PredictionCache,
  campaign: Campaign,
  version: string,
  state: ImageState,
): PackedPrediction | undefined {
  if (state.predictedBy !== version) {
    const known = predictions.known(campaign.id, version, state.id);
    if (known === undefined) return undefined;
    notePrediction(state, version, known, campaign.threshold);
  }
  return state.prediction;
}

async function choose(
  deps: NextTaskDeps,
  campaign: Campaign,
  version: string | null,
  candidates: ImageState[],
): Promise<ImageState> {
  if (campaign.strategy !== "uncertain" || deps.random() < campaign.randomFraction) return candidates[0]!;
  // Without a model every candidate is as uncertain as the next.
  if (version === null) return candidates[0]!;
  const unknown = candidates.filter((state) => predictionOf(deps.predictions, campaign, version, state) === undefined);
  // Predictions memory lacks are looked up (storage, then the model server) first.
  if (unknown.length > 0) await Promise.all(unknown.map((state) => deps.predictions.get(campaign, state)));
  let chosen = candidates[0]!;
  let nearest = Number.POSITIVE_INFINITY;
  for (const state of candidates) {
    // No prediction (the model server failed): most uncertain, as `uncertainty` says.
    const distance = predictionOf(deps.predictions, campaign, version, state) === undefined ? -1e6 : state.uncertainty;
    if (distance < nearest) [chosen, nearest] = [state, distance];
  }
  return chosen;
}

async function tryLease(
  deps: NextTaskDeps,
  index: CampaignIndex,
  campaign: Campaign,
  version: string | null,
  annotator: string,
  state: ImageState,
): Promise<NextTask | undefined> {
  const cid = campaign.id;
  const iid = state.id;
  const nowMs = deps.now();
  const leaseMs = campaign.leaseSeconds * 1000;
  // A view that follows every change of the store knows the lease in storage and until when it holds.
  const current = deps.indexes.current(cid);
  const expired = current && leaseUntil(state) <= nowMs ? state.leaseEtag : undefined;
  const found = await deps.leases.acquire(cid, iid, annotator, nowMs, leaseMs, expired);
  if (found?.taken !== true) {
    // Someone else holds it: until its lease says, or, not knowing, keep away for a while.
    if (found === undefined) noteLease(state, nowMs + Math.min(leaseMs, 5000), nowMs);
    else noteLease(state, Date.parse(found.lease.expiresAt), nowMs, found.etag, found.lease.annotator);
    return undefined;
  }
  const { lease, etag } = found;
  noteLease(state, nowMs + leaseMs, nowMs, etag, annotator);
  // A view that follows the store's changes already showed the image free; else it may be stale:
  // check the image's answers in storage before handing it out.
  if (!current) {
    const page = await deps.store.list(layout.imageAnnotations(cid, iid));
    const answeredBy = page.items.flatMap((item) => parseAnnotationKey(item.key)?.annotator ?? []);
    if (answeredBy.includes(annotator) || answeredBy.length >= campaign.answersPerImage) {
      await deps.leases.release(cid, iid, { annotator, etag, live: true }).catch(() => {});
      for (const who of answeredBy)
        if (answerBy(state, who) === undefined) setAnswer(index, state, who, { answer: "?", at: 0, etag: "" });
      noteLease(state, 0, deps.now());
      return undefined;
    }
  }
  const known = version === null ? undefined : predictionOf(deps.predictions, campaign, version, state);
  const lookup: Lookup =
    known === undefined ? await deps.predictions.get(campaign, state) : { status: "ok", prediction: unpack(known) };
  return { image: imageMeta(state), lease, lookup };
}
