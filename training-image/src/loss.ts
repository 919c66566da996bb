// CenterNet's penalty-reduced focal loss, computed from logits (stable), and a GIoU box loss.
import * as tf from "@tensorflow/tfjs-core";
import { featureStride } from "./pretrained.ts";

export interface LossParts {
  heatmap: tf.Scalar;
  box: tf.Scalar;
  total: tf.Scalar;
}

export interface LossWeights {
  heatmap: number;
  box: number;
}

/** logits, heatmap: [B,h,w,K]. Normalised by the number of objects. */
export function focalLoss(logits: tf.Tensor4D, heatmap: tf.Tensor4D): tf.Scalar {
  return tf.tidy(() => {
    const p = tf.sigmoid(logits);
    const logP = tf.neg(tf.softplus(tf.neg(logits)));
    const log1mP = tf.neg(tf.softplus(logits));
    const pos = tf.cast(tf.greaterEqual(heatmap, 0.9999), "float32");
    const neg = tf.sub(1, pos);
    const posLoss = tf.sum(tf.mul(tf.mul(tf.square(tf.sub(1, p)), logP), pos));
    const negLoss = tf.sum(tf.mul(tf.mul(tf.mul(tf.pow(tf.sub(1, heatmap), 4), tf.square(p)), log1mP), neg));
    return tf.div(tf.neg(tf.add(posLoss, negLoss)), tf.maximum(tf.sum(pos), 1)) as tf.Scalar;
  });
}

/**
 * distances: predicted [B,h,w,4] (l,t,r,b px); boxes: target [B,h,w,4] (x1,y1,x2,y2 px);
 * weight: [B,h,w,1]. Mean GIoU loss over weighted cells.
 */
export function giouLoss(distances: tf.Tensor4D, boxes: tf.Tensor4D, weight: tf.Tensor4D): tf.Scalar {
  return tf.tidy(() => {
    const [b, h, w] = distances.shape;
    const xs = tf.reshape(tf.mul(tf.range(0, w, 1, "float32"), featureStride), [1, 1, w, 1]);
    const ys = tf.reshape(tf.mul(tf.range(0, h, 1, "float32"), featureStride), [1, h, 1, 1]);
    const [l, t, r, bt] = tf.split(distances, 4, 3);
    const [gx1, gy1, gx2, gy2] = tf.split(boxes, 4, 3);
    const px1 = tf.sub(xs, l!);
    const py1 = tf.sub(ys, t!);
    const px2 = tf.add(xs, r!);
    const py2 = tf.add(ys, bt!);
    const area = (x1: tf.Tensor, y1: tf.Tensor, x2: tf.Tensor, y2: tf.Tensor) =>
      tf.mul(tf.relu(tf.sub(x2, x1)), tf.relu(tf.sub(y2, y1)));
    const inter = area(tf.maximum(px1, gx1!), tf.maximum(py1, gy1!), tf.minimum(px2, gx2!), tf.minimum(py2, gy2!));
    const union = tf.sub(tf.add(area(px1, py1, px2, py2), area(gx1!, gy1!, gx2!, gy2!)), inter);
    const hull = area(tf.minimum(px1, gx1!), tf.minimum(py1, gy1!), tf.maximum(px2, gx2!), tf.maximum(py2, gy2!));
    const eps = 1e-6;
    const iou = tf.div(inter, tf.add(union, eps));
    const giou = tf.sub(iou, tf.div(tf.sub(hull, union), tf.add(hull, eps)));
    const wsum = tf.maximum(tf.sum(weight), eps);
    void b;
    return tf.div(tf.sum(tf.mul(tf.sub(1, giou), weight)), wsum) as tf.Scalar;
  });
}

export function detectionLoss(
  out: { logits: tf.Tensor4D; distances: tf.Tensor4D },
  t: { heatmap: tf.Tensor4D; boxes: tf.Tensor4D; weight: tf.Tensor4D },
  weights: LossWeights,
): LossParts {
  const heatmap = focalLoss(out.logits, t.heatmap);
  const box = giouLoss(out.distances, t.boxes, t.weight);
  const total = tf.tidy(() => tf.add(tf.mul(heatmap, weights.heatmap), tf.mul(box, weights.box)) as tf.Scalar);
  return { heatmap, box, total };
}
