// The evaluation the trainer runs and the dashboard shows: COCO metrics overall and per class,
// Pascal VOC AP50, and the precision-recall curve at IoU 0.5.
import { accumulateCoco, precisionIndex, recallThresholds, summarizeCoco } from "./coco-eval.ts";
import type { Detection, EvalInput, Evaluation, GroundTruthBox, PrecisionRecallCurve } from "./types.ts";
import { vocAP50PerClass } from "./voc-eval.ts";

export function evaluate(input: EvalInput): Evaluation {
  const acc = accumulateCoco(input);
  const { categories } = input;
  const curveOf = (k: number): PrecisionRecallCurve => ({
    recall: [...recallThresholds],
    precision: recallThresholds.map((_, r) => acc.precision[precisionIndex(0, r, k, 0, 2, acc.K)]!),
  });
  const curves = categories.map((_, k) => curveOf(k));
  const meanCurve: PrecisionRecallCurve = {
    recall: [...recallThresholds],
    precision: recallThresholds.map((_, r) => {
      const defined = curves.map((c) => c.precision[r]!).filter((p) => p > -1);
      return defined.length ? defined.reduce((s, p) => s + p, 0) / defined.length : -1;
    }),
  };
  const voc = vocAP50PerClass(input);
  const vocDefined = voc.filter((v) => v > -1);
  return {
    coco: summarizeCoco(acc),
    cocoPerClass: Object.fromEntries(categories.map((c, k) => [c, summarizeCoco(acc, [k])])),
    vocAP50: vocDefined.length ? vocDefined.reduce((s, v) => s + v, 0) / vocDefined.length : -1,
    vocAP50PerClass: Object.fromEntries(categories.map((c, k) => [c, voc[k]!])),
    prCurve: meanCurve,
    prCurvePerClass: Object.fromEntries(categories.map((c, k) => [c, curves[k]!])),
  };
}

/**
 * The evaluation input for a labelled set (a formats Dataset has this shape) and a model's
 * detections by file name; images without detections count as having none.
 */
export function evalInputFrom(
  labelled: { categories: string[]; images: { fileName: string; boxes: GroundTruthBox[] }[] },
  detections: ReadonlyMap<string, Detection[]>,
): EvalInput {
  const names = new Set(labelled.images.map((i) => i.fileName));
  for (const name of detections.keys())
    if (!names.has(name)) throw new Error(`detections for ${name}, which is not among the labelled images`);
  return {
    categories: labelled.categories,
    images: labelled.images.map((image) => ({
      id: image.fileName,
      groundTruth: image.boxes,
      detections: detections.get(image.fileName) ?? [],
    })),
  };
}
