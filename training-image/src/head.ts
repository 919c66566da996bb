// The trainable detection head on the frozen stride-4 neck features: the same shape as the COCO
// CenterNet's own heads (separable 3×3 convs), so it starts from them. Class logits, and box distances
// (left, top, right, bottom) from each cell's corner in input pixels.
import * as tf from "@tensorflow/tfjs-core";
import { featureChannels, featureStride, type PretrainedHeads } from "./pretrained.ts";
import { separableConvs } from "./separable-conv.ts";

export interface HeadWeights {
  clsDepthwise: tf.Variable; // [3,3,C,1]
  clsPointwise: tf.Variable; // [1,1,C,K*M]
  clsBias: tf.Variable; // [K*M]
  boxDepthwise: tf.Variable; // [3,3,C,1]
  boxPointwise: tf.Variable; // [1,1,C,4]
  boxBias: tf.Variable; // [4]
  /** M: pointwise channels per class, reduced by max. */
  channelsPerClass: number;
}

export const headWeightNames = [
  "clsDepthwise",
  "clsPointwise",
  "clsBias",
  "boxDepthwise",
  "boxPointwise",
  "boxBias",
] as const satisfies ReadonlyArray<keyof HeadWeights>;

export interface HeadOutput {
  logits: tf.Tensor4D; // [B,h,w,K]
  /** [B,h,w,4] left, top, right, bottom in input pixels. */
  distances: tf.Tensor4D;
}

/**
 * A head for `sources.length` classes. Class k's logit is the maximum of M channels, which start as the
 * COCO channels sources[k] (each class has the same number M of them), so training starts from the
 * COCO detector's own answer (e.g. "any animal") rather than from scratch.
 */
export function headFromPretrained(pre: PretrainedHeads, sources: number[][]): HeadWeights {
  const m = sources[0]?.length ?? 0;
  if (m === 0 || sources.some((s) => s.length !== m))
    throw new Error("every class needs the same number (> 0) of source channels");
  return tf.tidy(() => {
    const idx = tf.tensor1d(sources.flat(), "int32");
    const v = (t: tf.Tensor, name: string) =>
      tf.variable(t, true, `head/${name}/${Math.random().toString(36).slice(2)}`);
    return {
      clsDepthwise: v(pre.clsDepthwise, "clsDepthwise"),
      clsPointwise: v(tf.gather(pre.clsPointwise, idx, 3), "clsPointwise"),
      clsBias: v(tf.gather(pre.clsBias, idx), "clsBias"),
      boxDepthwise: v(pre.boxDepthwise, "boxDepthwise"),
      // The COCO box head's output is scaled by boxScale; fold it into the weights.
      boxPointwise: v(tf.mul(pre.boxPointwise, pre.boxScale), "boxPointwise"),
      boxBias: v(tf.mul(pre.boxBias, pre.boxScale), "boxBias"),
      channelsPerClass: m,
    };
  });
}

export function headFromValues(
  values: Record<(typeof headWeightNames)[number], tf.Tensor>,
  channelsPerClass: number,
): HeadWeights {
  const out = { channelsPerClass } as HeadWeights;
  for (const name of headWeightNames) out[name] = tf.variable(values[name], true);
  return out;
}

export function numClasses(head: HeadWeights): number {
  return head.clsBias.shape[0]! / head.channelsPerClass;
}

export function checkFeatureChannels(features: tf.Tensor4D): void {
  if (features.shape[3] !== featureChannels)
    throw new Error(`features have ${features.shape[3]} channels, the head expects ${featureChannels}`);
}

export function applyHead(head: HeadWeights, features: tf.Tensor4D): HeadOutput {
  return tf.tidy(() => {
    const all = separableConvs(features, [
      { depthwise: head.clsDepthwise, pointwise: head.clsPointwise, bias: head.clsBias },
      { depthwise: head.boxDepthwise, pointwise: head.boxPointwise, bias: head.boxBias },
    ]);
    const [b, h, w, channels] = all.shape;
    const km = channels - 4;
    const m = head.channelsPerClass;
    const cls = tf.slice(all, [0, 0, 0, 0], [b, h, w, km]) as tf.Tensor4D;
    const logits = m === 1 ? cls : (tf.max(tf.reshape(cls, [b, h, w, km / m, m]), 4) as tf.Tensor4D);
    const distances = tf.slice(all, [0, 0, 0, km], [b, h, w, 4]) as tf.Tensor4D;
    return { logits, distances };
  });
}

export interface HeadPrediction {
  /** [1,h,w,K] class probabilities. */
  heat: tf.Tensor4D;
  distances: tf.Tensor4D;
}

/**
 * What post-processing decodes: the head on one image's features ([1,h,w,C]) or, given `mirrored` (the
 * features of the same network input flipped left to right), the mean of both answers (flip
 * averaging, as CenterNet tests: +0.03 AP50 at 40 raccoon images, docs/trainer.md).
 * export-graph.ts builds the same ops.
 */
export function predictHeat(head: HeadWeights, features: tf.Tensor4D, mirrored?: tf.Tensor4D): HeadPrediction {
  return tf.tidy(() => {
    const both = mirrored === undefined ? features : tf.concat([features, mirrored], 0);
    const { logits, distances } = applyHead(head, both);
    const heat = tf.sigmoid(logits) as tf.Tensor4D;
    if (mirrored === undefined) return { heat, distances };
    const [heatA, heatB] = tf.split(heat, 2, 0) as [tf.Tensor4D, tf.Tensor4D];
    const [distA, distB] = tf.split(distances, 2, 0) as [tf.Tensor4D, tf.Tensor4D];
    const back = unmirror({ heat: heatB, distances: distB });
    return {
      heat: tf.mul(tf.add(heatA, back.heat), 0.5) as tf.Tensor4D,
      distances: tf.mul(tf.add(distA, back.distances), 0.5) as tf.Tensor4D,
    };
  });
}

/**
 * An answer on the mirrored input, in the input's frame: columns reversed, left and right distances
 * swapped, and measured from the cell's left corner again (in the mirror that corner is the cell's
 * right one, `featureStride` pixels away).
 */
export function unmirror(p: HeadPrediction): HeadPrediction {
  return tf.tidy(() => ({
    heat: tf.reverse(p.heat, 2) as tf.Tensor4D,
    distances: tf.add(
      tf.gather(tf.reverse(p.distances, 2), mirroredDistanceOrder, 3),
      mirroredDistanceShift,
    ) as tf.Tensor4D,
  }));
}

/** A mirrored answer's (left, top, right, bottom) read as (right, top, left, bottom), then shifted. */
export const mirroredDistanceOrder = [2, 1, 0, 3];
export const mirroredDistanceShift = [-featureStride, 0, featureStride, 0];

export function disposeHead(head: HeadWeights): void {
  for (const name of headWeightNames) head[name].dispose();
}

/**
 * Ranks the 80 COCO channels for each class by their mean heat at the classes' object centres
 * (features: cached [g,g,C] maps; centres: per map, [row, col, class]). Returns the best `m` per class.
 * The COCO head runs at the centres only, in plain JavaScript: a few thousand multiply-adds each.
 */
export function chooseSourceChannels(
  pre: PretrainedHeads,
  maps: Array<{ features: Float32Array; grid: number; centres: Array<[number, number, number]> }>,
  numClasses: number,
  m: number,
): number[][] {
  const c = featureChannels;
  const dw = pre.clsDepthwise.dataSync(); // [3,3,C,1]
  const pw = pre.clsPointwise.dataSync(); // [1,1,C,80]
  const bias = pre.clsBias.dataSync(); // [80]
  const sums = Array.from({ length: numClasses }, () => new Float64Array(80));
  const counts = new Array<number>(numClasses).fill(0);
  const mixed = new Float64Array(c);
  for (const map of maps) {
    for (const [row, col, cls] of map.centres) {
      mixed.fill(0);
      for (let i = 0; i < 3; i++)
        for (let j = 0; j < 3; j++) {
          const y = row + i - 1;
          const x = col + j - 1;
          if (y < 0 || x < 0 || y >= map.grid || x >= map.grid) continue;
          const f = (y * map.grid + x) * c;
          const w = (i * 3 + j) * c;
          for (let ch = 0; ch < c; ch++) mixed[ch]! += map.features[f + ch]! * dw[w + ch]!;
        }
      for (let o = 0; o < 80; o++) {
        let logit = bias[o]!;
        for (let ch = 0; ch < c; ch++) logit += mixed[ch]! * pw[ch * 80 + o]!;
        sums[cls]![o]! += 1 / (1 + Math.exp(-logit));
      }
      counts[cls]!++;
    }
  }
  // A class without examples takes the channels that fire most at all the other classes' centres.
  const overall = new Float64Array(80);
  for (const s of sums) for (let o = 0; o < 80; o++) overall[o]! += s[o]!;
  return sums.map((s, k) => {
    const heat = counts[k] === 0 ? overall : s;
    return Array.from({ length: 80 }, (_, o) => o)
      .sort((a, b) => heat[b]! - heat[a]!)
      .slice(0, m);
  });
}
