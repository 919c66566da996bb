// Predictions cached per image and model version: in memory, then in storage
// (`campaigns/<cid>/predictions/<version>/<iid>.json`), then from the model server. When a version
// is first seen, what storage holds for it is read into memory in the background, so that ranking
// candidates by uncertainty reads no files.
import type { Campaign } from "../campaigns/schema.ts";
import type { ImageMeta } from "../images/ingest.ts";
import { ownString } from "../interning.ts";
import { layout } from "../layout.ts";
import { getJson, listAll, type Store } from "../storage/port.ts";
import { type PackedPrediction, Prediction, type Predictor, pack, unpack } from "./port.ts";

export type Lookup =
  | { status: "ok"; prediction: Prediction }
  | { status: "none" } // no model yet
  | { status: "unavailable"; reason: string }; // the model server failed or timed out

export interface PredictionCache {
  version(campaign: Campaign): Promise<string | null>;
  /** What memory holds for this version of the campaign's model; never reads storage or calls the model server. */
  known(cid: string, version: string, iid: string): PackedPrediction | undefined;
  get(campaign: Campaign, image: ImageMeta): Promise<Lookup>;
  /** The prediction shown with `version`, if cached (for recording what became of each box). */
  shown(cid: string, version: string, iid: string): Promise<Prediction | undefined>;
}

export interface PredictionCacheOptions {
  timeoutMs?: number;
  /** How long `currentVersion` is trusted. @default 1000 */
  versionTtlMs?: number;
  maxEntries?: number;
  now?: () => number;
  /** Where the end of a version's read into memory is reported (when storage held any). @default console.error */
  log?: (line: string) => void;
  /**
   * A string equal to `iid` that is held anyway (the campaign view's id of the image), to key a new
   * image's prediction by. Otherwise the key is a copy: an id cut from a listing key or a request
   * path would keep that whole string.
   */
  heldId?: (cid: string, iid: string) => string | undefined;
  /** Told of every prediction memory keeps (the campaign view keeps it beside the image). */
  onRemember?: (cid: string, iid: string, version: string, packed: PackedPrediction, prediction: Prediction) => void;
}

export function predictionCache(
  store: Store,
  predictor: Predictor,
  options: PredictionCacheOptions = {},
): PredictionCache {
  const timeoutMs = options.timeoutMs ?? 3000;
  const versionTtlMs = options.versionTtlMs ?? 1000;
  const maxEntries = options.maxEntries ?? 200_000;
  const now = options.now ?? Date.now;
  const log = options.log ?? ((line: string) => console.error(line));
  // campaign → version → image → prediction. Nested rather than keyed by a joined string: the ids
  // are strings the campaign view holds, whose hashes V8 keeps, so a lookup builds no string.
  const memory = new Map<string, Map<string, Map<string, PackedPrediction>>>();
  let entries = 0;
  const versions = new Map<string, { version: string | null; at: number }>();
  const inflight = new Map<string, Promise<Lookup>>();

  const known = (cid: string, version: string, iid: string) => memory.get(cid)?.get(version)?.get(iid);

  /** Keeps a prediction; when full, forgets the oldest of the oldest version first seen. */
  const remember = (cid: string, version: string, iid: string, prediction: Prediction) => {
    const byVersion = memory.get(cid) ?? new Map<string, Map<string, PackedPrediction>>();
    memory.set(cid, byVersion);
    const byImage = byVersion.get(version) ?? new Map<string, PackedPrediction>();
    byVersion.set(version, byImage);
    const isNew = !byImage.has(iid);
    if (isNew) {
      if (entries >= maxEntries) forgetOne();
      entries++;
    }
    const packed = pack(prediction);
    byImage.set(isNew ? (options.heldId?.(cid, iid) ?? ownString(iid)) : iid, packed);
    options.onRemember?.(cid, iid, version, packed, prediction);
  };

  const forgetOne = () => {
    for (const [cid, byVersion] of memory)
      for (const [version, byImage] of byVersion) {
        const iid = byImage.keys().next().value;
        if (iid === undefined) continue;
        byImage.delete(iid);
        entries--;
        if (byImage.size === 0) byVersion.delete(version);
        if (byVersion.size === 0) memory.delete(cid);
        return;
      }
  };

  const fromStore = async (cid: string, version: string, iid: string) => {
    const hit = known(cid, version, iid);
    if (hit !== undefined) return unpack(hit);
    const found = await getJson(store, layout.prediction(cid, version, iid));
    if (found === undefined) return undefined;
    const parsed = Prediction.safeParse(found.value);
    if (!parsed.success) return undefined;
    remember(cid, version, iid, parsed.data);
    return parsed.data;
  };

  const warmed = new Set<string>();
  /** Reads the version's stored predictions into memory, a few at a time between requests. */
  const warm = async (cid: string, v: string) => {
    const started = performance.now();
    const prefix = layout.predictions(cid, v);
    let batch: Promise<unknown>[] = [];
    let read = 0;
    for await (const item of listAll(store, prefix)) {
      if (entries >= maxEntries) break;
      if (!item.key.endsWith(".json")) continue;
      batch.push(fromStore(cid, v, item.key.slice(prefix.length, -".json".length)));
      read++;
      if (batch.length === 128) {
        await Promise.all(batch);
        batch = [];
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
    await Promise.all(batch);
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    if (read > 0) log(`predictions of campaign ${cid}, model version ${v}: ${read} read into memory in ${seconds} s`);
  };

  const version = async (campaign: Campaign) => {
    const hit = versions.get(campaign.id);
    if (hit !== undefined && now() - hit.at < versionTtlMs) return hit.version;
    try {
      const v = await predictor.currentVersion(campaign);
      versions.set(campaign.id, { version: v, at: now() });
      if (v !== null && !warmed.has(`${campaign.id}/${v}`)) {
        warmed.add(`${campaign.id}/${v}`);
        void warm(campaign.id, v).catch(() => {});
      }
      return v;
    } catch {
      return hit?.version ?? null;
    }
  };

  const compute = async (campaign: Campaign, image: ImageMeta, current: string): Promise<Lookup> => {
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    try {
      const imageKey = layout.imageBytes(campaign.id, image.id, image.ext);
      const object = await store.get(imageKey);
      if (object === undefined) return { status: "unavailable", reason: "image bytes missing" };
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          controller.abort();
          reject(new Error(`prediction timed out after ${timeoutMs} ms`));
        }, timeoutMs);
      });
      const prediction = await Promise.race([
        predictor.predict({
          campaign,
          imageId: image.id,
          imageKey,
          bytes: object.body,
          width: image.width,
          height: image.height,
          signal: controller.signal,
        }),
        timeout,
      ]);
      if (prediction === null) return { status: "none" };
      const checked = Prediction.parse(prediction);
      remember(campaign.id, checked.modelVersion, image.id, checked);
      await store.put(layout.prediction(campaign.id, checked.modelVersion, image.id), JSON.stringify(checked), {
        contentType: "application/json",
      });
      if (checked.modelVersion !== current) versions.delete(campaign.id);
      return { status: "ok", prediction: checked };
    } catch (error) {
      return { status: "unavailable", reason: (error as Error).message };
    } finally {
      clearTimeout(timer);
    }
  };

  return {
    version,
    known,
    async get(campaign, image) {
      const current = await version(campaign);
      if (current === null) {
        // No known version: ask anyway (the model may have just appeared), uncached.
        return compute(campaign, image, "");
      }
      const hit = await fromStore(campaign.id, current, image.id);
      if (hit !== undefined) return { status: "ok", prediction: hit };
      const key = `${campaign.id}/${current}/${image.id}`;
      let pending = inflight.get(key);
      if (pending === undefined) {
        pending = compute(campaign, image, current).finally(() => inflight.delete(key));
        inflight.set(key, pending);
      }
      return pending;
    },
    shown: fromStore,
  };
}
