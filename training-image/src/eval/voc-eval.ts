// Pascal VOC AP at IoU 0.5 with all-point interpolation (VOC2010 and later), as the TF Object
// Detection API's pascal_voc_detection_metrics computes it: within an image, detections by score
// each take their highest-IoU ground truth if it is free (a taken one makes a false positive);
// detections on crowd ("difficult") boxes are dropped; then AP over all images' detections by score.
import type { EvalInput } from "./types.ts";

function iou(a: { xmin: number; ymin: number; xmax: number; ymax: number }, b: typeof a): number {
  const w = Math.min(a.xmax, b.xmax) - Math.max(a.xmin, b.xmin);
  const h = Math.min(a.ymax, b.ymax) - Math.max(a.ymin, b.ymin);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  return inter / ((a.xmax - a.xmin) * (a.ymax - a.ymin) + (b.xmax - b.xmin) * (b.ymax - b.ymin) - inter);
}

/** Area under the precision envelope, summed where recall changes. */
export function allPointAP(recall: number[], precision: number[]): number {
  const r = [0, ...recall, 1];
  const p = [0, ...precision, 0];
  for (let i = p.length - 2; i >= 0; i--) p[i] = Math.max(p[i]!, p[i + 1]!);
  let ap = 0;
  for (let i = 1; i < r.length; i++) if (r[i] !== r[i - 1]) ap += (r[i]! - r[i - 1]!) * p[i]!;
  return ap;
}

/** Per class: AP50, or -1 for a class without ground truth. */
export function vocAP50PerClass(input: EvalInput, threshold = 0.5): number[] {
  return input.categories.map((label) => {
    const scored: { score: number; tp: boolean }[] = [];
    let positives = 0;
    for (const image of input.images) {
      const gts = image.groundTruth.filter((g) => g.label === label);
      positives += gts.filter((g) => !g.iscrowd).length;
      const taken = new Uint8Array(gts.length);
      const dts = image.detections.filter((d) => d.label === label).sort((a, b) => b.score - a.score);
      for (const d of dts) {
        let best = -1;
        let bestIou = 0;
        for (const [g, gt] of gts.entries()) {
          const o = iou(d, gt);
          if (o > bestIou) {
            bestIou = o;
            best = g;
          }
        }
        if (best >= 0 && bestIou >= threshold) {
          if (gts[best]!.iscrowd) continue;
          scored.push({ score: d.score, tp: !taken[best] });
          taken[best] = 1;
        } else scored.push({ score: d.score, tp: false });
      }
    }
    if (positives === 0) return -1;
    scored.sort((a, b) => b.score - a.score);
    const recall: number[] = [];
    const precision: number[] = [];
    let tp = 0;
    for (const [i, s] of scored.entries()) {
      if (s.tp) tp++;
      recall.push(tp / positives);
      precision.push(tp / (i + 1));
    }
    return allPointAP(recall, precision);
  });
}
