// What evaluation takes and gives. Boxes are in pixels, corners (xmin, ymin) to (xmax, ymax).

export interface GroundTruthBox {
  label: string;
  xmin: number;
  ymin: number;
  xmax: number;
  ymax: number;
  /** A crowd region (COCO `iscrowd`; a "difficult" box for VOC): matching it neither helps nor hurts. */
  iscrowd?: boolean;
  /** The area COCO sorts into small/medium/large; defaults to the box's width × height. */
  area?: number;
}

export interface Detection {
  label: string;
  score: number;
  xmin: number;
  ymin: number;
  xmax: number;
  ymax: number;
}

export interface EvalImage {
  /** Any name for messages (e.g. the file name). */
  id?: string;
  groundTruth: GroundTruthBox[];
  detections: Detection[];
}

export interface EvalInput {
  /** The classes, in order; every label must be one of them. */
  categories: string[];
  images: EvalImage[];
}

/** The twelve numbers pycocotools' COCOeval.summarize() prints; -1 where undefined (no ground truth). */
export interface CocoMetrics {
  AP: number;
  AP50: number;
  AP75: number;
  APs: number;
  APm: number;
  APl: number;
  AR1: number;
  AR10: number;
  AR100: number;
  ARs: number;
  ARm: number;
  ARl: number;
}

export const cocoMetricNames = [
  "AP",
  "AP50",
  "AP75",
  "APs",
  "APm",
  "APl",
  "AR1",
  "AR10",
  "AR100",
  "ARs",
  "ARm",
  "ARl",
] as const satisfies readonly (keyof CocoMetrics)[];

/** Interpolated precision at 101 recall points (COCO's), IoU 0.5, all areas, 100 detections; -1 where undefined. */
export interface PrecisionRecallCurve {
  recall: number[];
  precision: number[];
}

export interface Evaluation {
  coco: CocoMetrics;
  cocoPerClass: Record<string, CocoMetrics>;
  /** Pascal VOC AP at IoU 0.5, all-point interpolation (VOC2010+), mean over classes with ground truth. */
  vocAP50: number;
  vocAP50PerClass: Record<string, number>;
  /** Mean over classes with ground truth at each recall point, and per class. */
  prCurve: PrecisionRecallCurve;
  prCurvePerClass: Record<string, PrecisionRecallCurve>;
}
