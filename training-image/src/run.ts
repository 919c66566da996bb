// One training run end to end, as `boxloop train` and the container's main.ts both run it:
// train (resuming) -> evaluate on the held-out images -> export the next version -> TensorBoard.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type EventSink, EventWriter } from "@boxloop/proto/event-writer";
import type { TrainerConfig } from "./config.ts";
import type { TrainImage } from "./dataset.ts";
import { evaluateModel, type ModelEvaluation } from "./evaluation.ts";
import { exportModel } from "./exporter.ts";
import type { FeatureCache } from "./feature-cache.ts";
import { FeaturePool, featureWorkers } from "./feature-pool.ts";
import { headPredictor, savedModelPredictor } from "./predict.ts";
import type { ProgressSink } from "./progress.ts";
import { drawDetections } from "./sample-image.ts";
import { isS3, joinUri, readBytes, writeBytes } from "./storage.ts";
import { pretrainedFor, train, viewsPerImage } from "./trainer.ts";

export interface RunOptions {
  train: TrainImage[];
  eval?: TrainImage[];
  labels: string[];
  config: TrainerConfig;
  modelDir: string;
  exportDir: string;
  modelName: string;
  tensorboardDir?: string;
  stepsPerEpoch?: number;
  seed?: number;
  /** Keeps backbone features between runs (the loop's retrains); none by default. */
  featureCache?: FeatureCache;
  dataHash?: string;
  /** A serving SavedModel version dir to evaluate on the same held-out images. */
  serving?: string | null;
  maxCheckpoints?: number;
  keepVersions?: number;
  progress?: ProgressSink;
  log?: (line: string) => void;
}

export interface RunResult {
  step: number;
  startStep: number;
  trainImages: number;
  skippedImages: Array<{ key: string; reason: string }>;
  evalImages: number;
  candidate: ModelEvaluation | null;
  serving: ModelEvaluation | null;
  exported: { uri: string; version: number };
  backend: string;
  featureSeconds: number;
  trainSeconds: number;
  imagesPerSecond: number;
  totalSeconds: number;
}

/** Event files on S3: the whole file is re-uploaded on each flush (they are small). */
function s3Sink(dirUri: string): EventSink {
  const files = new Map<string, Uint8Array[]>();
  return {
    async append(name, data) {
      files.set(name, [...(files.get(name) ?? []), data]);
    },
    async flush(name) {
      await writeBytes(joinUri(dirUri, name), Buffer.concat(files.get(name) ?? []));
    },
  };
}

export function summaryOf(e: ModelEvaluation): Record<string, number> {
  return { ...e.coco, vocAP50: e.vocAP50 };
}

export async function runTraining(o: RunOptions): Promise<RunResult> {
  const t0 = performance.now();
  const log = o.log ?? (() => {});
  const tbDir = o.tensorboardDir ?? o.modelDir;
  const events = await EventWriter.create(isS3(tbDir) ? s3Sink(tbDir) : tbDir);
  const pre = await pretrainedFor(o.config.imageSize);
  const views = viewsPerImage(o.config, o.train.length, o.stepsPerEpoch);
  const pool = await FeaturePool.start(pre, await featureWorkers(o.train.length * views + (o.eval?.length ?? 0)));
  try {
    const trained = await train({
      pool,
      ...(o.featureCache ? { featureCache: o.featureCache } : {}),
      images: o.train,
      labels: o.labels,
      config: o.config,
      modelDir: o.modelDir,
      ...(o.stepsPerEpoch !== undefined ? { stepsPerEpoch: o.stepsPerEpoch } : {}),
      ...(o.seed !== undefined ? { seed: o.seed } : {}),
      ...(o.maxCheckpoints !== undefined ? { maxCheckpoints: o.maxCheckpoints } : {}),
      ...(o.progress ? { progress: o.progress } : {}),
      log,
      onStep: (step, losses, lr) => {
        events.scalar("loss/total", losses.total, step);
        events.scalar("loss/heatmap", losses.heatmap, step);
        events.scalar("loss/box", losses.box, step);
        events.scalar("learning_rate", lr, step);
      },
    });
    let candidate: ModelEvaluation | null = null;
    if (o.eval && o.eval.length > 0) {
      const samples: Array<Promise<void>> = [];
      candidate = await evaluateModel(
        headPredictor(trained.pretrained, trained.head, { resize: o.config.resize, flip: o.config.flipAverage, pool }),
        o.eval,
        o.labels,
        {
          concurrency: pool.size,
          ...(o.config.evalNumExamples > 0 ? { limit: o.config.evalNumExamples } : {}),
          ...(o.progress ? { progress: o.progress } : {}),
          keep: (e, i) => {
            if (i < 3)
              samples.push(
                drawDetections(e.image, e.detections, o.labels).then((png) =>
                  events.image(`samples/${i}`, png, trained.step),
                ),
              );
          },
        },
      );
      await Promise.all(samples);
      for (const [k, v] of Object.entries(summaryOf(candidate))) events.scalar(`eval/${k}`, v, trained.step);
    }
    o.progress?.({ phase: "export", done: 0, total: 1 });
    const exported = await exportModel({
      head: trained.head,
      config: o.config,
      labels: o.labels,
      exportDir: o.exportDir,
      modelName: o.modelName,
      step: trained.step,
      metrics: candidate ? { ...summaryOf(candidate), evalImages: candidate.images } : {},
      ...(o.dataHash !== undefined ? { dataHash: o.dataHash } : {}),
      ...(o.keepVersions !== undefined ? { keepVersions: o.keepVersions } : {}),
    });
    o.progress?.({ phase: "export", done: 1, total: 1 });
    let serving: ModelEvaluation | null = null;
    if (o.serving && o.eval && o.eval.length > 0) serving = await evaluateServing(o.serving, o.eval, o.labels);
    return {
      step: trained.step,
      startStep: trained.startStep,
      trainImages: trained.trainImages,
      skippedImages: trained.skippedImages,
      evalImages: candidate?.images ?? 0,
      candidate,
      serving,
      exported,
      backend: trained.backend,
      featureSeconds: trained.featureSeconds,
      trainSeconds: trained.trainSeconds,
      imagesPerSecond: trained.imagesPerSecond,
      totalSeconds: (performance.now() - t0) / 1000,
    };
  } finally {
    await pool.close();
    await events.close();
  }
}

/** Evaluates a SavedModel version dir (local, or s3:// — its weights are all in saved_model.pb). */
export async function evaluateServing(dir: string, images: TrainImage[], labels: string[]): Promise<ModelEvaluation> {
  let local = dir;
  let tmp: string | undefined;
  if (isS3(dir)) {
    tmp = await mkdtemp(join(tmpdir(), "boxloop-serving-"));
    await writeBytes(join(tmp, "saved_model.pb"), await readBytes(joinUri(dir, "saved_model.pb")));
    local = tmp;
  }
  // The model's own label map (boxloop.json), in case its classes differ from today's labels.
  let classNames: string[] | undefined;
  try {
    classNames = (
      JSON.parse(new TextDecoder().decode(await readBytes(joinUri(dir, "boxloop.json")))) as { labels?: string[] }
    ).labels;
  } catch {
    classNames = undefined;
  }
  const predictor = await savedModelPredictor(local);
  try {
    return await evaluateModel(predictor, images, labels, classNames ? { classNames } : {});
  } finally {
    predictor.dispose();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  }
}
