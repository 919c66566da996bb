// Detection metrics: COCO (as pycocotools computes them), Pascal VOC AP50, precision-recall curve.
export { accumulateCoco, summarizeCoco } from "./coco-eval.ts";
export { evalInputFrom, evaluate } from "./evaluate.ts";
export type {
  CocoMetrics,
  Detection,
  EvalImage,
  EvalInput,
  Evaluation,
  GroundTruthBox,
  PrecisionRecallCurve,
} from "./types.ts";
export { cocoMetricNames } from "./types.ts";
export { allPointAP, vocAP50PerClass } from "./voc-eval.ts";
