// COCO detection metrics, the algorithm of pycocotools' COCOeval (bbox) step for step, so that the
// numbers agree to the last digits: per image and class, detections sorted by score (stable) and
// greedily matched to the best still-free ground truth at each IoU threshold; crowd ground truth
// matches any number of detections and is ignored; then precision at 101 recall points.
import type { CocoMetrics, EvalInput } from "./types.ts";

/** numpy.linspace(start, stop, num): i * step + start, the last value exactly `stop`. */
function linspace(start: number, stop: number, num: number): number[] {
  const step = (stop - start) / (num - 1);
  return Array.from({ length: num }, (_, i) => (i === num - 1 ? stop : i * step + start));
}

export const iouThresholds = linspace(0.5, 0.95, 10);
export const recallThresholds = linspace(0, 1, 101);
export const maxDetections = [1, 10, 100] as const;
export const areaRanges = [
  [0, 1e10],
  [0, 32 ** 2],
  [32 ** 2, 96 ** 2],
  [96 ** 2, 1e10],
] as const;

/** A box as COCO holds it: [x, y, w, h], with its area. */
interface XywhBox {
  x: number;
  y: number;
  w: number;
  h: number;
  area: number;
}
interface Gt extends XywhBox {
  crowd: boolean;
}
interface Dt extends XywhBox {
  score: number;
}

/** pycocotools' bbIou: IoU of each detection with each ground truth; crowd ground truth divides by the detection's area. */
function iouMatrix(dts: Dt[], gts: Gt[]): Float64Array[] {
  return dts.map((d) => {
    const row = new Float64Array(gts.length);
    const da = d.w * d.h;
    for (let g = 0; g < gts.length; g++) {
      const G = gts[g]!;
      const w = Math.min(d.w + d.x, G.w + G.x) - Math.max(d.x, G.x);
      if (w <= 0) continue;
      const h = Math.min(d.h + d.y, G.h + G.y) - Math.max(d.y, G.y);
      if (h <= 0) continue;
      const i = w * h;
      const u = G.crowd ? da : da + G.w * G.h - i;
      row[g] = i / u;
    }
    return row;
  });
}

/** One image × class × area range, as COCOeval.evaluateImg returns it (with maxDet 100). */
interface ImageResult {
  scores: number[];
  /** [threshold * D + detection]: matched to a ground truth. */
  matched: Uint8Array;
  /** [threshold * D + detection]: ignored (matched to an ignored ground truth, or unmatched and outside the area range). */
  ignored: Uint8Array;
  /** Ground truths not ignored. */
  positives: number;
}

function evaluateImage(gts: Gt[], dts: Dt[], ious: Float64Array[], range: readonly [number, number]): ImageResult {
  const T = iouThresholds.length;
  const gtIgnore = gts.map((g) => g.crowd || g.area < range[0] || g.area > range[1]);
  const order = gts.map((_, i) => i).sort((a, b) => Number(gtIgnore[a]) - Number(gtIgnore[b]));
  const G = order.length;
  const D = dts.length;
  const ig = order.map((i) => gtIgnore[i]!);
  const crowd = order.map((i) => gts[i]!.crowd);
  const matched = new Uint8Array(T * D);
  const ignored = new Uint8Array(T * D);
  if (G > 0 && D > 0) {
    const gtTaken = new Uint8Array(G);
    for (let t = 0; t < T; t++) {
      gtTaken.fill(0);
      for (let d = 0; d < D; d++) {
        let best = Math.min(iouThresholds[t]!, 1 - 1e-10);
        let m = -1;
        const row = ious[d]!;
        for (let g = 0; g < G; g++) {
          if (gtTaken[g] && !crowd[g]) continue;
          if (m > -1 && !ig[m] && ig[g]) break;
          const iou = row[order[g]!]!;
          if (iou < best) continue;
          best = iou;
          m = g;
        }
        if (m === -1) continue;
        ignored[t * D + d] = ig[m] ? 1 : 0;
        matched[t * D + d] = 1;
        gtTaken[m] = 1;
      }
    }
  }
  for (let d = 0; d < D; d++) {
    const outside = dts[d]!.area < range[0] || dts[d]!.area > range[1];
    if (outside) for (let t = 0; t < T; t++) if (!matched[t * D + d]) ignored[t * D + d] = 1;
  }
  return { scores: dts.map((d) => d.score), matched, ignored, positives: ig.filter((x) => !x).length };
}

/** COCOeval's arrays: precision[t][r][k][a][m] and recall[t][k][a][m], -1 where undefined. */
export interface CocoAccumulation {
  precision: Float64Array; // index ((((t * R + r) * K + k) * A + a) * M + m)
  recall: Float64Array; // index (((t * K + k) * A + a) * M + m)
  K: number;
}

const T = iouThresholds.length;
const R = recallThresholds.length;
const A = areaRanges.length;
const M = maxDetections.length;
export const precisionIndex = (t: number, r: number, k: number, a: number, m: number, K: number) =>
  (((t * R + r) * K + k) * A + a) * M + m;
export const recallIndex = (t: number, k: number, a: number, m: number, K: number) => ((t * K + k) * A + a) * M + m;

function toXywh(b: { xmin: number; ymin: number; xmax: number; ymax: number }) {
  const w = b.xmax - b.xmin;
  const h = b.ymax - b.ymin;
  return { x: b.xmin, y: b.ymin, w, h, area: w * h };
}

/** COCOeval.evaluate() + accumulate(). */
export function accumulateCoco(input: EvalInput): CocoAccumulation {
  const K = input.categories.length;
  const classOf = new Map(input.categories.map((c, k) => [c, k]));
  const lookup = (label: string, image: number, what: string) => {
    const k = classOf.get(label);
    if (k === undefined) {
      const name = input.images[image]!.id ?? `#${image}`;
      throw new Error(
        `image ${name}: ${what} label '${label}' is not among the categories ${input.categories.join(", ")}`,
      );
    }
    return k;
  };
  // results[k][a] = per image (undefined where the image has neither ground truth nor detections of class k)
  const results: (ImageResult | undefined)[][][] = Array.from({ length: K }, () => Array.from({ length: A }, () => []));
  for (const [i, image] of input.images.entries()) {
    const gts: Gt[][] = Array.from({ length: K }, () => []);
    const dts: Dt[][] = Array.from({ length: K }, () => []);
    for (const g of image.groundTruth) {
      const box = toXywh(g);
      gts[lookup(g.label, i, "a ground truth")]!.push({ ...box, area: g.area ?? box.area, crowd: g.iscrowd ?? false });
    }
    for (const d of image.detections) {
      if (!Number.isFinite(d.score)) throw new Error(`image ${image.id ?? `#${i}`}: a detection's score is ${d.score}`);
      dts[lookup(d.label, i, "a detection")]!.push({ ...toXywh(d), score: d.score });
    }
    for (let k = 0; k < K; k++) {
      const g = gts[k]!;
      // stable sort by descending score, the first 100 (computeIoU and evaluateImg both do this)
      const d = dts[k]!.map((x, j) => [x, j] as const)
        .sort((p, q) => q[0].score - p[0].score || p[1] - q[1])
        .slice(0, maxDetections[M - 1])
        .map(([x]) => x);
      if (g.length === 0 && d.length === 0) {
        for (let a = 0; a < A; a++) results[k]![a]!.push(undefined);
        continue;
      }
      const ious = iouMatrix(d, g);
      for (let a = 0; a < A; a++) results[k]![a]!.push(evaluateImage(g, d, ious, areaRanges[a]!));
    }
  }

  const precision = new Float64Array(T * R * K * A * M).fill(-1);
  const recall = new Float64Array(T * K * A * M).fill(-1);
  const rc = new Float64Array(input.images.length * maxDetections[M - 1]);
  const pr = new Float64Array(rc.length);
  for (let k = 0; k < K; k++) {
    // Images with anything of class k; the same ones, and the same scores, in every area range.
    const present = results[k]![0]!.flatMap((e, i) => (e === undefined ? [] : [i]));
    if (present.length === 0) continue;
    // COCOeval concatenates each image's first maxDet detections (in image order) and stable-sorts
    // them by descending score. That order does not depend on the area range, and the order for a
    // smaller maxDet is this one filtered, so sort once per class.
    const image: number[] = [];
    const det: number[] = [];
    const score: number[] = [];
    for (const [n, i] of present.entries()) {
      const scores = results[k]![0]![i]!.scores;
      for (let d = 0; d < scores.length; d++) {
        image.push(n);
        det.push(d);
        score.push(scores[d]!);
      }
    }
    const sorted = score.map((_, j) => j).sort((p, q) => score[q]! - score[p]! || p - q);
    const orders = maxDetections.map((maxDet) => Int32Array.from(sorted.filter((j) => det[j]! < maxDet)));
    for (let a = 0; a < A; a++) {
      const E = present.map((i) => results[k]![a]![i]!);
      const positives = E.reduce((s, e) => s + e.positives, 0);
      if (positives === 0) continue;
      for (let m = 0; m < M; m++) {
        const order = orders[m]!;
        const nd = order.length;
        for (let t = 0; t < T; t++) {
          let tp = 0;
          let fp = 0;
          for (let j = 0; j < nd; j++) {
            const entry = order[j]!;
            const e = E[image[entry]!]!;
            const at = t * e.scores.length + det[entry]!;
            if (!e.ignored[at]) {
              if (e.matched[at]) tp++;
              else fp++;
            }
            rc[j] = tp / positives;
            pr[j] = tp / (fp + tp + Number.EPSILON);
          }
          recall[recallIndex(t, k, a, m, K)] = nd ? rc[nd - 1]! : 0;
          for (let j = nd - 1; j > 0; j--) if (pr[j]! > pr[j - 1]!) pr[j - 1] = pr[j]!;
          // np.searchsorted(rc, recThrs, side="left"); precision 0 past the last detection
          let pi = 0;
          for (let r = 0; r < R; r++) {
            const threshold = recallThresholds[r]!;
            while (pi < nd && rc[pi]! < threshold) pi++;
            precision[precisionIndex(t, r, k, a, m, K)] = pi < nd ? pr[pi]! : 0;
          }
        }
      }
    }
  }
  return { precision, recall, K };
}

function mean(values: number[]): number {
  const defined = values.filter((v) => v > -1);
  return defined.length === 0 ? -1 : defined.reduce((s, v) => s + v, 0) / defined.length;
}

/** COCOeval.summarize()'s twelve numbers over the classes in `classes` (all by default). */
export function summarizeCoco(acc: CocoAccumulation, classes?: number[]): CocoMetrics {
  const ks = classes ?? Array.from({ length: acc.K }, (_, k) => k);
  const ap = (t: number | undefined, a: number, m: number) => {
    const values: number[] = [];
    for (const ti of t === undefined ? iouThresholds.keys() : [t])
      for (let r = 0; r < R; r++)
        for (const k of ks) values.push(acc.precision[precisionIndex(ti, r, k, a, m, acc.K)]!);
    return mean(values);
  };
  const ar = (a: number, m: number) => {
    const values: number[] = [];
    for (let t = 0; t < T; t++) for (const k of ks) values.push(acc.recall[recallIndex(t, k, a, m, acc.K)]!);
    return mean(values);
  };
  const all = 0;
  const last = M - 1;
  return {
    AP: ap(undefined, all, last),
    AP50: ap(iouThresholds.indexOf(0.5), all, last),
    AP75: ap(iouThresholds.indexOf(0.75), all, last),
    APs: ap(undefined, 1, last),
    APm: ap(undefined, 2, last),
    APl: ap(undefined, 3, last),
    AR1: ar(all, 0),
    AR10: ar(all, 1),
    AR100: ar(all, last),
    ARs: ar(1, last),
    ARm: ar(2, last),
    ARl: ar(3, last),
  };
}
