// An in-memory view of a campaign's images, answers and leases, built from storage listings and
// updated at once by this process's own writes. Where the store reports every change (the local
// store, whose one writer is this process: `Store.watch`), the view follows those changes and is
// current, so it is listed once. Elsewhere (S3, written by many Lambdas) it is re-listed at most
// every `ttlMs` and only orders candidates: leases (conditional writes) and a fresh look at the
// image's answers decide who gets an image, so a stale view costs retries, never correctness.
import type { Campaign } from "../campaigns/schema.ts";
import { ImageMeta } from "../images/ingest.ts";
import { interner, stringInterner } from "../interning.ts";
import { layout, parseAnnotationKey } from "../layout.ts";
import { type PackedPrediction, type Prediction, unpack } from "../predictions/port.ts";
import { getJson, listAll, type Store, type StoreChange } from "../storage/port.ts";
import { type HeldLease, type Leases, storedLeases } from "./lease.ts";

/** What a writer or a read tells the view of one annotator's answer to an image. */
export interface AnswerFacts {
  answer: string;
  /** When it was answered, epoch ms (0: not known). */
  at: number;
  etag: string;
  /** How many predicted boxes met each fate (accepted, moved, …) in this answer. */
  fates?: Readonly<Record<string, number>>;
}

/** An answer as the view keeps it: one object with its fields inside (read its time through `answeredAt`). */
export interface AnswerNote {
  readonly annotator: string;
  readonly answer: string;
  /** When it was answered, in whole seconds of view time. */
  readonly time: number;
  readonly etag: string;
  readonly fates: Readonly<Record<string, number>> | undefined;
}

/** Counts the fates of an answer's predicted boxes. */
export function fateCounts(
  fates: readonly { fate: string }[] | null | undefined,
): Readonly<Record<string, number>> | undefined {
  if (!fates) return undefined;
  const counts: Record<string, number> = {};
  for (const { fate } of fates) counts[fate] = (counts[fate] ?? 0) + 1;
  return sharedCounts(counts);
}

/** The few distinct tallies answers have, one object each, where every answer kept its own. */
const sharedCounts = interner<Readonly<Record<string, number>>>(
  1000,
  (counts) => Object.entries(counts).join(),
  (counts) => counts,
);

/** An image in the view: its record's fields (`imageMeta` copies them out), then the view's own. */
export interface ImageState extends ImageMeta {
  /**
   * The answers, one per annotator, changed through `setAnswer`/`forgetAnswer` (which replace the
   * array): a few at most, where a map per answered image cost 360 bytes and two objects to mark.
   * Images without any share one empty array.
   */
  answers: readonly AnswerNote[];
  /** When the lease ends (free: long ago), in view time: read it through `leaseUntil`. */
  leaseEnds: number;
  /** When the view last noted the lease, in view time. */
  leaseNoted: number;
  /**
   * The ETag of the lease in storage, when this view saw it written (undefined: none, or not known),
   * so that an expired lease is taken over without reading it first.
   */
  leaseEtag: string | undefined;
  /** The annotator of that lease, when this view learnt it with the ETag (tasks:next did). */
  leaseHolder: string | undefined;
  /** Being leased by a request of this process right now. */
  reserved: boolean;
  /** The prediction of model version `predictedBy`, kept here so that ranking candidates looks nothing up. */
  prediction: PackedPrediction | undefined;
  predictedBy: string | undefined;
  /**
   * The prediction's `uncertainty` at the campaign's threshold, in millionths: a small integer, which
   * V8 keeps inside the object (a fraction would be a separate heap number, one more cache miss).
   */
  uncertainty: number;
}

// Lease times are kept as ms since this module was loaded ("view time"): integers below 2^30, which
// V8 stores inside the object (for the first 12 days of a process). Epoch ms would be a heap number
// of their own, two for every image, for each full collection to mark; past those days they become
// such numbers again, still exact.
const origin = Date.now();
/**
 * `value` as V8 keeps it inside an object where it can: an integer of its own small kind (arithmetic
 * on epoch ms gives a heap number even when the result is a small integer).
 */
const small = (value: number) => (value === (value | 0) ? value | 0 : value);
/** The view time of epoch ms 0 (a free image's lease end): a small integer too (2^30 is not one). */
const longAgo = small(-0x2000_0000);
const viewTime = (ms: number) => (ms === 0 ? longAgo : small(ms - origin));
const epochMs = (time: number) => (time === longAgo ? 0 : time + origin);
// Answers keep whole seconds: an answer listed from storage may be months old, beyond 12 days of ms.
const originSeconds = Math.floor(origin / 1000);
const viewSeconds = (ms: number) => (ms === 0 ? longAgo : small(Math.floor(ms / 1000) - originSeconds));

/** Epoch ms until which someone holds a lease on the image (0: free). */
export const leaseUntil = (state: ImageState) => epochMs(state.leaseEnds);

/** When the answer was given, epoch ms to the second (0: not known). */
export const answeredAt = (note: AnswerNote) => (note.time === longAgo ? 0 : (note.time + originSeconds) * 1000);

/** `annotator`'s answer to the image, as the view knows it. */
export function answerBy(state: ImageState, annotator: string): AnswerNote | undefined {
  for (const note of state.answers) if (note.annotator === annotator) return note;
  return undefined;
}

/** Distance of the most uncertain box from the threshold (the threshold when no box); -1 when there is no prediction. */
function uncertainty(prediction: Prediction | undefined, threshold: number): number {
  if (prediction === undefined) return -1;
  if (prediction.boxes.length === 0) return threshold;
  let nearest = Number.POSITIVE_INFINITY;
  for (const box of prediction.boxes) nearest = Math.min(nearest, Math.abs(box.score - threshold));
  return nearest;
}

/** One copy of the values many images share, where parsing each image's record makes one each. */
const intern = stringInterner(256);
/** Annotators' names, which key every answer: cut from request paths and store keys, each held its whole path. */
const annotatorName = stringInterner(10_000);

/** Keeps the image's prediction by `version`, ranked at `threshold`. */
export function notePrediction(
  state: ImageState,
  version: string,
  packed: PackedPrediction,
  threshold: number,
  prediction = unpack(packed),
): void {
  state.prediction = packed;
  state.predictedBy = intern(version);
  state.uncertainty = Math.round(uncertainty(prediction, threshold) * 1e6);
}

/**
 * Notes, at `nowMs`, that the image is leased until `until` (epoch ms; 0: free) by the lease `etag`
 * and to `holder`, when known.
 */
export function noteLease(state: ImageState, until: number, nowMs: number, etag?: string, holder?: string): void {
  state.leaseEnds = viewTime(until);
  state.leaseNoted = viewTime(nowMs);
  state.leaseEtag = etag;
  state.leaseHolder = etag === undefined ? undefined : holder;
}

/**
 * `annotator`'s lease on the image as the view knows it: its ETag and whether it is live at `nowMs`.
 * Undefined unless the view saw the lease written to them; only a view that follows every change
 * (`CampaignIndexes.current`) knows the lease is still the one in storage.
 */
export function heldLease(state: ImageState, annotator: string, nowMs: number): HeldLease | undefined {
  if (state.leaseEtag === undefined || state.leaseHolder !== annotator) return undefined;
  return { annotator, etag: state.leaseEtag, live: leaseUntil(state) > nowMs };
}

const noAnswers: readonly AnswerNote[] = [];

/** Records an answer (or what is known of it) on the image, counting it in the view. */
export function setAnswer(index: CampaignIndex, state: ImageState, annotator: string, facts: AnswerFacts): void {
  const note: AnswerNote = {
    annotator: annotatorName(annotator),
    answer: facts.answer,
    time: viewSeconds(facts.at),
    etag: facts.etag,
    fates: facts.fates,
  };
  const at = state.answers.findIndex((known) => known.annotator === annotator);
  if (at < 0) {
    // concat: a spread would leave room for 16 more.
    state.answers = state.answers.concat([note]);
    index.answers++;
  } else state.answers = state.answers.with(at, note);
}

export function forgetAnswer(index: CampaignIndex, state: ImageState, annotator: string): void {
  const kept = state.answers.filter((note) => note.annotator !== annotator);
  if (kept.length === state.answers.length) return;
  state.answers = kept.length === 0 ? noAnswers : kept;
  index.answers--;
}

/**
 * The image's state, the record's fields inside it, with fewer objects for every full collection to
 * mark: one literal (where the parser's copy of the record grew a separate property array and was a
 * second object) whose type and split are shared.
 */
function imageState(meta: ImageMeta): ImageState {
  return {
    id: meta.id,
    ext: intern(meta.ext),
    contentType: intern(meta.contentType),
    width: meta.width,
    height: meta.height,
    sha256: meta.sha256,
    bytes: meta.bytes,
    fileName: meta.fileName,
    split: meta.split === "eval" ? "eval" : "train",
    addedAt: meta.addedAt,
    answers: noAnswers,
    leaseEnds: longAgo,
    leaseNoted: longAgo,
    leaseEtag: undefined,
    leaseHolder: undefined,
    reserved: false,
    prediction: undefined,
    predictedBy: undefined,
    uncertainty: 0,
  };
}

/** The image's record, without the view's fields. */
export function imageMeta(state: ImageState): ImageMeta {
  const { id, ext, contentType, width, height, sha256, bytes, fileName, split, addedAt } = state;
  return { id, ext, contentType, width, height, sha256, bytes, fileName, split, addedAt };
}

export interface CampaignIndex {
  images: Map<string, ImageState>;
  /** The images in the order they were added. */
  order: ImageState[];
  /** How many answers the images hold in all (kept by `setAnswer`/`forgetAnswer`). */
  answers: number;
}

/**
 * Runs `fn` over `items`, `limit` at a time, in batches with a turn of the event loop between them:
 * the local store reads small files synchronously, and reading a large campaign's image records in
 * one go held every other request (with the listing, ~5 s at 100,000 images).
 */
async function mapLimit<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  for (let start = 0; start < items.length; start += 256) {
    const batch = items.slice(start, start + 256);
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(limit, batch.length) }, async () => {
        while (next < batch.length) await fn(batch[next++]!);
      }),
    );
    await new Promise((resolve) => setImmediate(resolve));
  }
}

interface Entry {
  index: CampaignIndex;
  /** When the last listing finished (0: never). */
  at: number;
  refreshing?: Promise<void>;
  leaseSeconds: number;
  /** The campaign's threshold, at which the images' predictions are ranked. */
  threshold: number;
}

const changedKey = /^campaigns\/([^/]+)\/(images|annotations|leases)\/([^/]+)(?:\/([^/]+))?\.json$/;

export class CampaignIndexes {
  private readonly entries = new Map<string, Entry>();
  /** Answers being written through `writeAnswer`, by key, with the last change of the key seen meanwhile. */
  private readonly writing = new Map<string, { writers: number; last?: StoreChange }>();
  /** True when the store reports every change: the view is then current and listed once. */
  readonly watched: boolean;

  constructor(
    private readonly store: Store,
    private readonly now: () => number,
    private readonly ttlMs = 2000,
    private readonly leases: Leases = storedLeases(store),
  ) {
    this.watched = store.watch !== undefined;
    store.watch?.((change) => this.follow(change));
  }

  /** Whether the view of `cid` holds every answer and lease in storage (built, and following changes). */
  current(cid: string): boolean {
    return this.watched && (this.entries.get(cid)?.at ?? 0) > 0;
  }

  async get(campaign: Campaign): Promise<CampaignIndex> {
    let entry = this.entries.get(campaign.id);
    if (entry === undefined) {
      entry = {
        index: { images: new Map(), order: [], answers: 0 },
        at: 0,
        leaseSeconds: campaign.leaseSeconds,
        threshold: campaign.threshold,
      };
      this.entries.set(campaign.id, entry);
    }
    entry.leaseSeconds = campaign.leaseSeconds;
    if (entry.threshold !== campaign.threshold) {
      entry.threshold = campaign.threshold;
      for (const state of entry.index.order)
        if (state.prediction !== undefined && state.predictedBy !== undefined)
          notePrediction(state, state.predictedBy, state.prediction, campaign.threshold);
    }
    const stale = entry.at === 0 || (!this.watched && this.now() - entry.at >= this.ttlMs);
    if (stale && entry.refreshing === undefined) {
      const current = entry;
      const run = this.refresh(campaign, current.index);
      current.refreshing = run
        .then(
          () => {
            current.at = this.now();
          },
          () => {},
        )
        .finally(() => {
          delete current.refreshing;
        });
      if (current.at === 0) await run; // the first build: its errors are the caller's
    } else if (entry.at === 0 && entry.refreshing !== undefined) {
      await entry.refreshing;
    }
    return entry.index;
  }

  /** The image's state in the view of `cid`, if one is built (without building one). */
  state(cid: string, iid: string): ImageState | undefined {
    return this.entries.get(cid)?.index.images.get(iid);
  }

  /**
   * Runs `write`, the put of an answer (`key`) to the image of `state` (this view's, from `state()`;
   * undefined when there is none), and notes the answer it stored without following the
   * change as `follow` would (a placeholder, then a read of the answer back). Should another put of
   * the key come after this one, that one is followed instead.
   */
  async writeAnswer(
    cid: string,
    state: ImageState | undefined,
    annotator: string,
    key: string,
    note: Omit<AnswerFacts, "etag">,
    write: () => Promise<{ etag: string }>,
  ): Promise<{ etag: string }> {
    const entry = this.writing.get(key) ?? { writers: 0 };
    this.writing.set(key, entry);
    entry.writers++;
    let stored: { etag: string } | undefined;
    try {
      stored = await write();
      return stored;
    } finally {
      const last = entry.last;
      if (--entry.writers === 0) this.writing.delete(key);
      if (stored !== undefined && (last === undefined || last.etag === stored.etag)) {
        const index = this.entries.get(cid)?.index;
        if (index !== undefined && state !== undefined)
          setAnswer(index, state, annotator, { ...note, etag: stored.etag });
      } else if (last !== undefined && entry.writers === 0) this.follow(last);
    }
  }

  /** Forces the next `get` to re-list (after an import, say). */
  invalidate(cid: string): void {
    const entry = this.entries.get(cid);
    if (entry !== undefined) entry.at = 0;
  }

  private async refresh(campaign: Campaign, index: CampaignIndex): Promise<void> {
    const started = this.now();
    const cid = campaign.id;
    const newMetas: string[] = [];
    for await (const item of listAll(this.store, layout.images(cid))) {
      if (!item.key.endsWith(".json")) continue;
      const iid = item.key.slice(layout.images(cid).length, -".json".length);
      if (!index.images.has(iid)) newMetas.push(iid);
    }
    const added: ImageState[] = [];
    await mapLimit(newMetas, 16, async (iid) => {
      const state = await this.readImage(cid, iid);
      if (state !== undefined) added.push(state);
    });
    this.addImages(index, added);

    const changed: { iid: string; annotator: string; etag: string; at: number }[] = [];
    for await (const item of listAll(this.store, layout.annotations(cid))) {
      const ids = parseAnnotationKey(item.key);
      const state = ids === undefined ? undefined : index.images.get(ids.iid);
      if (ids === undefined || state === undefined) continue;
      if (answerBy(state, ids.annotator)?.etag !== item.etag)
        changed.push({ ...ids, etag: item.etag, at: item.lastModified.getTime() });
    }
    await mapLimit(changed, 16, async ({ iid, annotator, at }) => {
      const note = await this.readAnswer(cid, iid, annotator, at);
      const state = index.images.get(iid);
      if (note !== undefined && state !== undefined) setAnswer(index, state, annotator, note);
    });

    const leased = await this.leases.leased(cid, campaign.leaseSeconds * 1000);
    for (const [iid, state] of index.images) {
      if (epochMs(state.leaseNoted) > started) continue;
      // Until when, estimated from the listing: the lease itself decides before it is taken over.
      state.leaseEnds = viewTime(leased.get(iid) ?? 0);
      state.leaseEtag = undefined;
      state.leaseHolder = undefined;
    }
  }

  /** Applies one change the store reported (watched stores only). */
  private follow(change: StoreChange): void {
    const { key, etag, at } = change;
    const writing = this.writing.get(key);
    if (writing !== undefined) {
      writing.last = change;
      return;
    }
    const m = changedKey.exec(key);
    const entry = m === null ? undefined : this.entries.get(m[1]!);
    if (m === null || entry === undefined) return;
    const [, cid, kind, iid, annotator] = m as unknown as [string, string, string, string, string | undefined];
    const state = entry.index.images.get(iid);
    if (kind === "images" && annotator === undefined) {
      if (etag !== undefined && state === undefined) void this.loadImage(entry, cid, iid);
    } else if (kind === "leases" && annotator === undefined) {
      // The same lease again (its writer noted it first) keeps its holder; another one's is not known.
      if (state !== undefined)
        noteLease(
          state,
          etag === undefined ? 0 : at + entry.leaseSeconds * 1000,
          this.now(),
          etag,
          etag === state.leaseEtag ? state.leaseHolder : undefined,
        );
    } else if (kind === "annotations" && annotator !== undefined && state !== undefined) {
      if (etag === undefined) forgetAnswer(entry.index, state, annotator);
      else if (answerBy(state, annotator)?.etag !== etag) {
        // Known at once; what the answer was follows (unless the writer notes it first).
        setAnswer(entry.index, state, annotator, { answer: "?", at, etag });
        setImmediate(() => void this.loadAnswer(entry.index, state, cid, iid, annotator, etag));
      }
    }
  }

  private async loadImage(entry: Entry, cid: string, iid: string): Promise<void> {
    const state = await this.readImage(cid, iid).catch(() => undefined);
    if (state !== undefined && !entry.index.images.has(iid)) this.addImages(entry.index, [state]);
  }

  private async loadAnswer(
    index: CampaignIndex,
    state: ImageState,
    cid: string,
    iid: string,
    annotator: string,
    etag: string,
  ) {
    const waiting = (note: AnswerNote | undefined) => note?.etag === etag && note.answer === "?";
    const placeholder = answerBy(state, annotator);
    if (!waiting(placeholder)) return;
    const facts = await this.readAnswer(cid, iid, annotator, answeredAt(placeholder!)).catch(() => undefined);
    if (facts?.etag === etag && waiting(answerBy(state, annotator))) setAnswer(index, state, annotator, facts);
  }

  private async readImage(cid: string, iid: string): Promise<ImageState | undefined> {
    const found = await getJson(this.store, layout.imageMeta(cid, iid));
    const parsed = found === undefined ? undefined : ImageMeta.safeParse(found.value);
    if (!parsed?.success) return undefined;
    return imageState(parsed.data);
  }

  private async readAnswer(cid: string, iid: string, annotator: string, at: number): Promise<AnswerFacts | undefined> {
    const found = await getJson(this.store, layout.annotation(cid, iid, annotator));
    const value = found?.value as { answer?: unknown; fates?: { fate: string }[] | null } | undefined;
    if (found === undefined || typeof value?.answer !== "string") return undefined;
    const fates = fateCounts(Array.isArray(value.fates) ? value.fates : null);
    return { answer: value.answer, at, etag: found.etag, ...(fates ? { fates } : {}) };
  }

  private addImages(index: CampaignIndex, added: ImageState[]): void {
    if (added.length === 0) return;
    for (const state of added) index.images.set(state.id, state);
    index.order = [...index.images.values()].sort(
      (a, b) => a.addedAt.localeCompare(b.addedAt) || a.id.localeCompare(b.id),
    );
  }

  noteImage(cid: string, meta: ImageMeta): void {
    const entry = this.entries.get(cid);
    if (entry === undefined || entry.index.images.has(meta.id)) return;
    this.addImages(entry.index, [imageState(meta)]);
  }

  noteLease(cid: string, iid: string, until: number): void {
    const state = this.entries.get(cid)?.index.images.get(iid);
    if (state !== undefined) noteLease(state, until, this.now());
  }

  notePrediction(cid: string, iid: string, version: string, packed: PackedPrediction, prediction: Prediction): void {
    const entry = this.entries.get(cid);
    const state = entry?.index.images.get(iid);
    if (state !== undefined) notePrediction(state, version, packed, entry!.threshold, prediction);
  }
}
