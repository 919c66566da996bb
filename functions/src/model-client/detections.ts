// TF Object Detection API outputs (normalized [ymin, xmin, ymax, xmax] boxes, 1-based float
// classes) as pixel boxes with labels, the score threshold applied, best first.
export interface DetectionOutputs {
  detection_boxes: ArrayLike<number>;
  detection_scores: ArrayLike<number>;
  detection_classes: ArrayLike<number>;
  num_detections?: ArrayLike<number> | undefined;
}

export interface PixelBox {
  label: string;
  score: number;
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface BoxOptions {
  width: number;
  height: number;
  /** Class id (1-based) → label. */
  labels: ReadonlyMap<number, string>;
  threshold: number;
}

const clamp01 = (v: number) => Math.min(1, Math.max(0, v));

export function toPixelBoxes(out: DetectionOutputs, o: BoxOptions): PixelBox[] {
  const available = out.detection_scores.length;
  const n = Math.min(available, out.num_detections?.[0] ?? available);
  const boxes: PixelBox[] = [];
  for (let i = 0; i < n; i++) {
    const score = out.detection_scores[i]!;
    if (!(score >= o.threshold)) continue;
    const label = o.labels.get(Math.round(out.detection_classes[i]!));
    if (label === undefined) continue;
    const ymin = clamp01(out.detection_boxes[i * 4]!);
    const xmin = clamp01(out.detection_boxes[i * 4 + 1]!);
    const ymax = clamp01(out.detection_boxes[i * 4 + 2]!);
    const xmax = clamp01(out.detection_boxes[i * 4 + 3]!);
    if (xmax <= xmin || ymax <= ymin) continue;
    boxes.push({
      label,
      score: Math.min(1, Math.max(0, score)),
      x: xmin * o.width,
      y: ymin * o.height,
      width: (xmax - xmin) * o.width,
      height: (ymax - ymin) * o.height,
    });
  }
  return boxes.sort((a, b) => b.score - a.score);
}

/** Labels in order as a label map: the first is class 1, as in a TF OD API label_map.pbtxt. */
export function labelMapFromList(labels: readonly string[]): Map<number, string> {
  return new Map(labels.map((l, i) => [i + 1, l]));
}

/** The label map in a version's boxloop.json (`labels`, class 1 first), or undefined when it has none. */
export function labelMapFromBoxloopJson(value: unknown): Map<number, string> | undefined {
  const labels = (value as { labels?: unknown } | null | undefined)?.labels;
  if (!Array.isArray(labels) || labels.length === 0 || !labels.every((l) => typeof l === "string")) return undefined;
  return labelMapFromList(labels as string[]);
}
