// Evaluates a predictor on labelled images with the COCO / VOC metrics of ./eval.
import type { NormBox } from "./augment.ts";
import { forEachConcurrently } from "./concurrency.ts";
import type { TrainImage } from "./dataset.ts";
import type { Detections } from "./decode.ts";
import { type Detection, type EvalImage, type Evaluation, evaluate } from "./eval/index.ts";
import { decodeImage, type RgbImage } from "./image.ts";
import type { Predictor } from "./predict.ts";
import type { ProgressSink } from "./progress.ts";

export interface ModelEvaluation extends Evaluation {
  images: number;
  skippedImages: number;
  seconds: number;
}

export interface EvaluatedImage {
  key: string;
  image: RgbImage;
  detections: Detections;
  /** The same detections in the image's pixels, as the metrics saw them. */
  pixelDetections: Detection[];
}

function toPixels(labels: string[], boxes: NormBox[], w: number, h: number) {
  return boxes.map((b) => ({
    label: labels[b.cls]!,
    xmin: b.xmin * w,
    ymin: b.ymin * h,
    xmax: b.xmax * w,
    ymax: b.ymax * h,
  }));
}

export async function evaluateModel(
  predictor: Predictor,
  images: TrainImage[],
  labels: string[],
  options: {
    progress?: ProgressSink;
    limit?: number;
    keep?: (e: EvaluatedImage, index: number) => void;
    /** Images predicted at once (a predictor backed by a FeaturePool runs them in parallel). @default 1 */
    concurrency?: number;
    /** Names of the predictor's classes (1-based ids) when they differ from `labels` (an older model). */
    classNames?: string[];
  } = {},
): Promise<ModelEvaluation> {
  const t0 = performance.now();
  const list = options.limit && options.limit > 0 ? images.slice(0, options.limit) : images;
  const evaluated: Array<EvalImage | undefined> = [];
  let skipped = 0;
  let done = 0;
  await forEachConcurrently(list, options.concurrency ?? 1, async (item, i) => {
    let rgb: RgbImage;
    try {
      rgb = await decodeImage(await item.load());
    } catch {
      skipped++;
      return;
    }
    const d = await predictor.predict(rgb);
    const detections: Detection[] = [];
    for (let n = 0; n < d.count; n++) {
      const label = (options.classNames ?? labels)[Math.round(d.classes[n]!) - 1];
      if (label === undefined || !labels.includes(label)) continue;
      detections.push({
        label,
        score: d.scores[n]!,
        ymin: d.boxes[n * 4]! * rgb.height,
        xmin: d.boxes[n * 4 + 1]! * rgb.width,
        ymax: d.boxes[n * 4 + 2]! * rgb.height,
        xmax: d.boxes[n * 4 + 3]! * rgb.width,
      });
    }
    evaluated[i] = { id: item.key, groundTruth: toPixels(labels, item.boxes, rgb.width, rgb.height), detections };
    options.keep?.({ key: item.key, image: rgb, detections: d, pixelDetections: detections }, i);
    options.progress?.({ phase: "eval", done: ++done, total: list.length });
  });
  const evalImages = evaluated.filter((e) => e !== undefined);
  const result = evaluate({ categories: labels, images: evalImages });
  return { ...result, images: evalImages.length, skippedImages: skipped, seconds: (performance.now() - t0) / 1000 };
}
