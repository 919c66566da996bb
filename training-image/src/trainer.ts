// Training: decode images, cache frozen features per (image, augmented view), fine-tune the head
// from the COCO detector's own heads, checkpoint, and resume with the step count continuing.
import { createHash } from "node:crypto";
import * as tf from "@tensorflow/tfjs-core";
import { selectBackend } from "./backend.ts";
import { latestCheckpoint, saveCheckpoint } from "./checkpoint.ts";
import { forEachConcurrently } from "./concurrency.ts";
import { learningRateAt, type TrainerConfig } from "./config.ts";
import { DataError, type TrainImage } from "./dataset.ts";
import { FeatureCache } from "./feature-cache.ts";
import { FeaturePool, featureWorkers } from "./feature-pool.ts";
import type { CachedFeatures } from "./features.ts";
import { applyHead, chooseSourceChannels, type HeadWeights, headFromPretrained, headWeightNames } from "./head.ts";
import { decodeImage } from "./image.ts";
import { detectionLoss } from "./loss.ts";
import { HeadOptimizer } from "./optimizer.ts";
import { loadPretrained, type Pretrained } from "./pretrained.ts";
import type { ProgressSink } from "./progress.ts";
import { mixSeed, seededRng } from "./random.ts";
import { makeTargets } from "./targets.ts";

export interface TrainOptions {
  images: TrainImage[];
  labels: string[];
  config: TrainerConfig;
  /** Checkpoints go here (local or s3://); a run resumes from the newest one. */
  modelDir: string;
  /** Steps per epoch: with the batch size, sets how many augmented views of each image are cached. */
  stepsPerEpoch?: number;
  seed?: number;
  maxCheckpoints?: number;
  /** Write a checkpoint every this many steps (and always at the end). */
  checkpointEvery?: number;
  progress?: ProgressSink;
  log?: (line: string) => void;
  /** Keeps features between runs (local disk); none by default. */
  featureCache?: FeatureCache;
  /** Computes the features; by default a pool sized for the job, closed at the end. */
  pool?: FeaturePool;
  /** Called with each step's losses, e.g. to write TensorBoard scalars. */
  onStep?: (step: number, losses: { total: number; heatmap: number; box: number }, lr: number) => void;
}

export interface TrainResult {
  head: HeadWeights;
  pretrained: Pretrained;
  /** The global step reached (continues across resumed runs). */
  step: number;
  startStep: number;
  trainImages: number;
  skippedImages: Array<{ key: string; reason: string }>;
  featureSeconds: number;
  trainSeconds: number;
  /** Training images seen per second during the steps of this run. */
  imagesPerSecond: number;
  backend: string;
}

const pretrainedBySize = new Map<number, Promise<Pretrained>>();
export function pretrainedFor(size: number): Promise<Pretrained> {
  let p = pretrainedBySize.get(size);
  if (!p) {
    p = selectBackend().then(() => loadPretrained(size));
    pretrainedBySize.set(size, p);
  }
  return p;
}

/** Views of each image to cache: enough for one epoch's samples, at most the configured maximum. */
export function viewsPerImage(config: TrainerConfig, images: number, stepsPerEpoch: number | undefined): number {
  if (config.augmentations.length === 0) return 1;
  if (stepsPerEpoch === undefined) return config.maxViewsPerImage;
  const wanted = Math.ceil((stepsPerEpoch * config.batchSize) / Math.max(1, images));
  return Math.max(1, Math.min(config.maxViewsPerImage, wanted));
}

class UnreadableImage extends Error {}

/** The head weights that train: those no freeze_variables pattern matches (TF OD API's semantics: re.match). */
export function trainableWeights(config: TrainerConfig): Array<(typeof headWeightNames)[number]> {
  const frozen = config.freezeVariables.map((p) => {
    try {
      return new RegExp(`^(?:${p})`);
    } catch {
      throw new DataError(`train_config.freeze_variables: '${p}' is not a regular expression`);
    }
  });
  const names = headWeightNames.filter((n) => !frozen.some((re) => re.test(`head/${n}`)));
  if (names.length === 0) throw new DataError("freeze_variables freezes every weight of the head: nothing would train");
  return names;
}

export async function train(o: TrainOptions): Promise<TrainResult> {
  const log = o.log ?? (() => {});
  const { config } = o;
  if (o.images.length === 0) throw new DataError("the training set is empty: no images to train on");
  const backend = await selectBackend(log);
  const pre = await pretrainedFor(config.imageSize);
  const seed = o.seed ?? 1;

  // Decode and cache features, on every core; unreadable images are skipped and counted.
  const t0 = performance.now();
  const views = viewsPerImage(config, o.images.length, o.stepsPerEpoch);
  const skipped: Array<{ key: string; reason: string }> = [];
  const total = o.images.length * views;
  const pool = o.pool ?? (await FeaturePool.start(pre, await featureWorkers(total)));
  const perImage: Array<CachedFeatures[] | undefined> = [];
  let done = 0;
  let cached = 0;
  try {
    await forEachConcurrently(o.images, pool.size, async (image, i) => {
      const skip = (error: Error) => {
        skipped.push({ key: image.key, reason: error.message });
        log(`skipping unreadable image ${image.key}: ${error.message}`);
      };
      let bytes: Uint8Array;
      let rgb: Promise<Awaited<ReturnType<typeof decodeImage>>> | undefined;
      try {
        bytes = await image.load();
      } catch (error) {
        skip(error as Error);
        return;
      }
      // Views are seeded by the image's content, not its place in this run, so that a later run
      // with more images asks for the same views (and finds them in the feature cache).
      const digest = createHash("sha256").update(bytes).digest();
      const imageSeed = digest.readUInt32LE(0);
      try {
        perImage[i] = await Promise.all(
          Array.from({ length: views }, async (_, v) => {
            const job = {
              boxes: image.boxes,
              augmentations: config.augmentations,
              seed: v === 0 ? undefined : mixSeed(seed, imageSeed, v),
              resize: config.resize,
            };
            const key = FeatureCache.key({ ...job, imageHash: digest.toString("hex"), imageSize: config.imageSize });
            let features = await o.featureCache?.get(key);
            if (features === undefined) {
              rgb ??= decodeImage(bytes).catch((e: Error) => {
                throw new UnreadableImage(e.message);
              });
              features = await pool.compute({ ...job, image: await rgb });
              await o.featureCache?.put(key, features);
            } else cached++;
            done++;
            const elapsed = (performance.now() - t0) / 1000;
            o.progress?.({ phase: "features", done, total, etaSeconds: (elapsed / done) * (total - done) });
            return features;
          }),
        );
      } catch (error) {
        if (!(error instanceof UnreadableImage)) throw error;
        skip(error);
      }
    });
  } finally {
    if (!o.pool) await pool.close();
  }
  const cache = perImage.flatMap((views) => views ?? []);
  if (o.featureCache) {
    if (cached > 0) log(`features: ${cached} of ${total} views from the feature cache (${o.featureCache.dir})`);
    await o.featureCache.trim();
  }
  if (cache.length === 0) throw new DataError(`none of the ${o.images.length} training images could be read`);
  const featureSeconds = (performance.now() - t0) / 1000;

  // Start from the newest checkpoint, or from the COCO heads.
  const resumed = await latestCheckpoint(o.modelDir);
  let head: HeadWeights;
  const optimizer = new HeadOptimizer(config.optimizer);
  let startStep = 0;
  if (resumed) {
    if (resumed.meta.labels.join("\n") !== o.labels.join("\n") || resumed.meta.imageSize !== config.imageSize) {
      throw new DataError(
        `the newest checkpoint in ${o.modelDir} was trained for labels [${resumed.meta.labels.join(", ")}] at ${resumed.meta.imageSize}px; this run has [${o.labels.join(", ")}] at ${config.imageSize}px: use another --model-dir`,
      );
    }
    head = resumed.head;
    optimizer.restore({ t: resumed.meta.optimizerT, slots: resumed.optimizerSlots });
    startStep = resumed.meta.step;
    log(`resuming from step ${startStep} (${o.modelDir})`);
  } else {
    const maps = cache
      .filter((_, i) => i % views === 0)
      .map((c) => ({
        features: c.features,
        grid: c.grid,
        centres: c.boxes.map((b) => [
          Math.min(c.grid - 1, Math.floor((b.ymin + b.ymax) / 8 + 0.5)),
          Math.min(c.grid - 1, Math.floor((b.xmin + b.xmax) / 8 + 0.5)),
          b.cls,
        ]) as Array<[number, number, number]>,
      }));
    const sources = chooseSourceChannels(pre.heads, maps, o.labels.length, config.sourceChannels);
    head = headFromPretrained(pre.heads, sources);
  }

  const t1 = performance.now();
  const vars = Object.fromEntries(trainableWeights(config).map((n) => [n, head[n]])) as Record<string, tf.Variable>;
  const b = config.batchSize;
  const g = cache[0]!.grid;
  const c = cache[0]!.channels;
  const k = o.labels.length;
  let step = startStep;
  const end = Math.max(startStep, config.numSteps);
  const every = o.checkpointEvery ?? Math.max(50, Math.ceil(config.numSteps / 4));
  for (; step < end; step++) {
    const rng = seededRng(mixSeed(seed, step, 7));
    const batch = Array.from({ length: b }, () => cache[Math.floor(rng() * cache.length)]!);
    const feats = new Float32Array(b * g * g * c);
    const heat = new Float32Array(b * g * g * k);
    const boxes = new Float32Array(b * g * g * 4);
    const weight = new Float32Array(b * g * g);
    batch.forEach((item, n) => {
      feats.set(item.features, n * g * g * c);
      const t = makeTargets(item.boxes, g, k);
      heat.set(t.heatmap, n * g * g * k);
      boxes.set(t.boxes, n * g * g * 4);
      weight.set(t.weight, n * g * g);
    });
    const lr = learningRateAt(config.learningRate, step);
    const losses = tf.tidy(() => {
      const x = tf.tensor4d(feats, [b, g, g, c]);
      const targets = {
        heatmap: tf.tensor4d(heat, [b, g, g, k]),
        boxes: tf.tensor4d(boxes, [b, g, g, 4]),
        weight: tf.tensor4d(weight, [b, g, g, 1]),
      };
      let parts: tf.Scalar[] = [];
      const { value, grads } = tf.variableGrads(() => {
        const l = detectionLoss(applyHead(head, x), targets, config.lossWeights);
        parts = [tf.keep(l.heatmap), tf.keep(l.box)];
        return l.total;
      }, Object.values(vars));
      const byName: Record<string, tf.Tensor> = {};
      for (const [name, v] of Object.entries(vars)) byName[name] = grads[v.name]!;
      optimizer.apply(vars, byName, lr);
      return [value, ...parts].map((t) => t.dataSync()[0]!);
    });
    const [totalLoss, heatmapLoss, boxLoss] = losses as [number, number, number];
    if (!Number.isFinite(totalLoss))
      throw new Error(`the loss became ${totalLoss} at step ${step + 1}; lower the learning rate`);
    const elapsed = (performance.now() - t1) / 1000;
    const doneSteps = step + 1 - startStep;
    o.onStep?.(step + 1, { total: totalLoss, heatmap: heatmapLoss, box: boxLoss }, lr);
    o.progress?.({
      phase: "train",
      done: step + 1,
      total: end,
      step: step + 1,
      loss: totalLoss,
      heatmapLoss,
      boxLoss,
      learningRate: lr,
      imagesPerSecond: (doneSteps * b) / elapsed,
      etaSeconds: (elapsed / doneSteps) * (end - step - 1),
    });
    if ((step + 1) % every === 0 && step + 1 < end) await checkpoint(step + 1);
  }
  await checkpoint(step);
  const trainSeconds = (performance.now() - t1) / 1000;
  optimizer.dispose();
  return {
    head,
    pretrained: pre,
    step,
    startStep,
    trainImages: o.images.length - skipped.length,
    skippedImages: skipped,
    featureSeconds,
    trainSeconds,
    imagesPerSecond: trainSeconds > 0 ? ((step - startStep) * b) / trainSeconds : 0,
    backend: backend.backend,
  };

  async function checkpoint(at: number) {
    await saveCheckpoint(
      o.modelDir,
      {
        step: at,
        labels: o.labels,
        imageSize: config.imageSize,
        resize: config.resize,
        optimizerKind: config.optimizer.kind,
      },
      head,
      optimizer,
      o.maxCheckpoints ?? 3,
    );
  }
}
