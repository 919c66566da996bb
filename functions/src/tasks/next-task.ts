// Choosing the next image for an annotator, by the campaign's strategy, then leasing it.
//   uncertain: mostly the image whose predictions are nearest the threshold (no prediction at all
//     counts as most uncertain), from a small random sample; with probability `randomFraction` a
//     random image instead, so the model sees the whole distribution.
//   random: any free image.  sequential: the oldest free image.
import type { Campaign } from "../campaigns/schema.ts";
import { layout, parseAnnotationKey } from "../layout.ts";
import type { Lookup, PredictionCache } from "../predictions/cache.ts";
import type { Prediction } from "../predictions/port.ts";
import type { Store } from "../storage/port.ts";
import type { CampaignIndexes, ImageState } from "./campaign-index.ts";
import { acquireLease, type Lease } from "./lease.ts";

export interface NextTask {
  image: ImageState["meta"];
  lease: Lease;
  lookup: Lookup;
}

export interface NextTaskDeps {
  store: Store;
  indexes: CampaignIndexes;
  predictions: PredictionCache;
  now: () => number;
  random: () => number;
}

const sampleSize = 6;
const maxAttempts = 40;

function free(state: ImageState, campaign: Campaign, annotator: string, nowMs: number): boolean {
  return (
    !state.reserved &&
    state.leaseUntil <= nowMs &&
    state.answers.size < campaign.answersPerImage &&
    !state.answers.has(annotator)
  );
}

/** Distance of the most uncertain box from the threshold (the threshold when no box); -1 when there is no prediction. */
export function uncertainty(prediction: Prediction | undefined, threshold: number): number {
  if (prediction === undefined) return -1;
  if (prediction.boxes.length === 0) return threshold;
  let nearest = Number.POSITIVE_INFINITY;
  for (const box of prediction.boxes) nearest = Math.min(nearest, Math.abs(box.score - threshold));
  return nearest;
}

export async function nextTask(
  deps: NextTaskDeps,
  campaign: Campaign,
  annotator: string,
): Promise<NextTask | undefined> {
  const index = await deps.indexes.get(campaign);
  const tried = new Set<ImageState>();
  let probes = 0;
  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    const nowMs = deps.now();
    const isFree = (state: ImageState) => !tried.has(state) && free(state, campaign, annotator, nowMs);
    const candidates = candidatesOf(
      index.order,
      isFree,
      campaign.strategy === "sequential" ? 1 : sampleSize,
      deps.random,
    );
    let chosen: ImageState;
    if (candidates.length === 0) {
      // The view may think an image leased whose lease has expired or gone: probe a few; the
      // lease's own expiry time decides.
      const stale = (state: ImageState) =>
        !tried.has(state) && free({ ...state, leaseUntil: 0 }, campaign, annotator, nowMs);
      const probe = probes++ < 3 ? candidatesOf(index.order, stale, 1, deps.random)[0] : undefined;
      if (probe === undefined) return undefined;
      chosen = probe;
    } else {
      chosen = await choose(deps, campaign, candidates);
      if (!free(chosen, campaign, annotator, deps.now())) continue; // taken while we looked at predictions
    }
    tried.add(chosen);
    chosen.reserved = true;
    try {
      const task = await tryLease(deps, campaign, annotator, chosen);
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
function candidatesOf(
  order: ImageState[],
  isFree: (state: ImageState) => boolean,
  count: number,
  random: () => number,
): ImageState[] {
  if (count === 1) {
    const first = order.find(isFree);
    return first === undefined ? [] : [first];
  }
  const picked: ImageState[] = [];
  for (let probe = 0; probe < count * 8 && picked.length < count && order.length > 0; probe++) {
    const state = order[Math.floor(random() * order.length)]!;
    if (isFree(state) && !picked.includes(state)) picked.push(state);
  }
  if (picked.length > 0) return picked;
  const all = order.filter(isFree);
  for (let i = all.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  return all.slice(0, count);
}

async function choose(deps: NextTaskDeps, campaign: Campaign, candidates: ImageState[]): Promise<ImageState> {
  if (campaign.strategy !== "uncertain" || deps.random() < campaign.randomFraction) return candidates[0]!;
  // Without a model every candidate is as uncertain as the next.
  const version = await deps.predictions.version(campaign);
  if (version === null) return candidates[0]!;
  const known = (state: ImageState) => deps.predictions.known(campaign.id, version, state.meta.id);
  let predictions = candidates.map(known);
  // Candidates whose predictions memory lacks are looked up (storage, then the model server) first.
  if (predictions.includes(undefined)) {
    await Promise.all(candidates.map((state, i) => predictions[i] ?? deps.predictions.get(campaign, state.meta)));
    predictions = candidates.map(known);
  }
  let chosen = 0;
  let nearest = Number.POSITIVE_INFINITY;
  predictions.forEach((prediction, i) => {
    const distance = uncertainty(prediction, campaign.threshold);
    if (distance < nearest) [chosen, nearest] = [i, distance];
  });
  return candidates[chosen]!;
}

async function tryLease(
  deps: NextTaskDeps,
  campaign: Campaign,
  annotator: string,
  state: ImageState,
): Promise<NextTask | undefined> {
  const cid = campaign.id;
  const iid = state.meta.id;
  const nowMs = deps.now();
  const leaseMs = campaign.leaseSeconds * 1000;
  const lease = await acquireLease(deps.store, cid, iid, annotator, nowMs, leaseMs);
  if (lease === undefined) {
    // Someone else holds it; we do not know until when, so keep away for a while.
    deps.indexes.noteLease(cid, iid, nowMs + Math.min(leaseMs, 5000));
    return undefined;
  }
  deps.indexes.noteLease(cid, iid, nowMs + leaseMs);
  // A view that follows the store's changes already showed the image free; else it may be stale:
  // check the image's answers in storage before handing it out.
  if (!deps.indexes.current(cid)) {
    const page = await deps.store.list(layout.imageAnnotations(cid, iid));
    const answeredBy = page.items.flatMap((item) => parseAnnotationKey(item.key)?.annotator ?? []);
    if (answeredBy.includes(annotator) || answeredBy.length >= campaign.answersPerImage) {
      await deps.store.delete(layout.lease(cid, iid), { durable: false }).catch(() => {});
      for (const who of answeredBy)
        if (!state.answers.has(who)) state.answers.set(who, { answer: "?", at: 0, etag: "" });
      deps.indexes.noteLease(cid, iid, 0);
      return undefined;
    }
  }
  return { image: state.meta, lease, lookup: await deps.predictions.get(campaign, state.meta) };
}
