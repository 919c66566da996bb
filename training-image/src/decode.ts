// Heatmap peaks -> boxes -> class-agnostic NMS, written with the same ops, in the same order, as the
// exported graph's post-processing, so that in-process evaluation sees what TF Serving will return.
import * as tf from "@tensorflow/tfjs-core";
import { featureStride } from "./pretrained.ts";

export interface DecodeOptions {
  /** Peaks kept before NMS. */
  topK: number;
  maxDetections: number;
  iouThreshold: number;
  scoreThreshold: number;
}

export const defaultDecode: DecodeOptions = { topK: 100, maxDetections: 100, iouThreshold: 0.5, scoreThreshold: 0.01 };

export interface Detections {
  /** [n,4] normalized ymin, xmin, ymax, xmax of the original image. */
  boxes: Float32Array;
  scores: Float32Array;
  /** 1-based class ids. */
  classes: Float32Array;
  count: number;
}

/**
 * One image's head outputs ([1,h,w,K] class probabilities, [1,h,w,4] distances in input pixels) -> detections,
 * normalized by the letterboxed content size (`contentHeight`×`contentWidth` pixels of the input).
 */
export async function decodeDetections(
  heat: tf.Tensor4D,
  distances: tf.Tensor4D,
  contentHeight: number,
  contentWidth: number,
  options: DecodeOptions = defaultDecode,
): Promise<Detections> {
  const [, h, w, k] = heat.shape;
  const { boxes, scores, classes } = tf.tidy(() => {
    const peaks = tf.mul(heat, tf.cast(tf.equal(heat, tf.maxPool(heat, 3, 1, "same")), "float32"));
    const top = tf.topk(tf.reshape(peaks, [-1]), Math.min(options.topK, h * w * k), true);
    const cell = tf.floorDiv(top.indices, tf.scalar(k, "int32"));
    const cls = tf.add(tf.cast(tf.mod(top.indices, tf.scalar(k, "int32")), "float32"), 1);
    const row = tf.cast(tf.floorDiv(cell, tf.scalar(w, "int32")), "float32");
    const col = tf.cast(tf.mod(cell, tf.scalar(w, "int32")), "float32");
    const d = tf.gather(tf.reshape(distances, [-1, 4]), cell);
    const [l, t, r, b] = tf.split(d, 4, 1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
    const cy = tf.expandDims(tf.mul(row, featureStride), 1);
    const cx = tf.expandDims(tf.mul(col, featureStride), 1);
    const ys = (v: tf.Tensor) => tf.clipByValue(tf.div(v, contentHeight), 0, 1);
    const xs = (v: tf.Tensor) => tf.clipByValue(tf.div(v, contentWidth), 0, 1);
    const boxes = tf.concat(
      [ys(tf.sub(cy, t)), xs(tf.sub(cx, l)), ys(tf.add(cy, b)), xs(tf.add(cx, r))],
      1,
    ) as tf.Tensor2D;
    return { boxes, scores: top.values as tf.Tensor1D, classes: cls };
  });
  const nms = await tf.image.nonMaxSuppressionWithScoreAsync(
    boxes,
    scores,
    options.maxDetections,
    options.iouThreshold,
    options.scoreThreshold,
  );
  const [b, s, c] = tf.tidy(() => [
    tf.gather(boxes, nms.selectedIndices),
    tf.gather(scores, nms.selectedIndices),
    tf.gather(classes, nms.selectedIndices),
  ]);
  const out: Detections = {
    boxes: (await b!.data()) as Float32Array,
    scores: (await s!.data()) as Float32Array,
    classes: (await c!.data()) as Float32Array,
    count: nms.selectedIndices.shape[0]!,
  };
  tf.dispose([boxes, scores, classes, nms.selectedIndices, nms.selectedScores, b!, s!, c!]);
  return out;
}
