// Frozen-backbone features, computed once per (image, augmentation variant) and kept outside the WASM
// heap, so that training steps only run the head.
import * as tf from "@tensorflow/tfjs-core";
import { augment } from "./augment.ts";
import type { FeatureJob } from "./feature-pool.ts";
import { contentSize, networkInput } from "./image.ts";
import { featureStride, type Pretrained } from "./pretrained.ts";
import { seededRng } from "./random.ts";
import type { PixelBox } from "./targets.ts";

export interface CachedFeatures {
  /** [g,g,C] float32. */
  features: Float32Array;
  grid: number;
  channels: number;
  boxes: PixelBox[];
}

/**
 * Variant 0 is the image as it is; other variants apply the augmentations with a seed of their own.
 * `mirror` flips the network input (letterbox padding included) left to right, for flip-averaged
 * prediction; its boxes are not mirrored.
 */
export function featuresOf(pre: Pretrained, job: FeatureJob): CachedFeatures {
  const { image, boxes, augmentations, seed, resize } = job;
  return tf.tidy(() => {
    let sample = {
      image: tf.cast(tf.tensor3d(image.data, [image.height, image.width, 3], "int32"), "float32") as tf.Tensor3D,
      boxes,
    };
    if (seed !== undefined) sample = augment(sample, augmentations, seededRng(seed));
    const [h, w] = sample.image.shape;
    const content = contentSize(w, h, pre.size, resize);
    const network = networkInput(sample.image, pre.size, resize);
    const input = tf.expandDims(job.mirror ? tf.reverse(network, 1) : network) as tf.Tensor4D;
    const f = pre.features(input);
    const grid = pre.size / featureStride;
    return {
      features: f.dataSync() as Float32Array,
      grid,
      channels: f.shape[3],
      boxes: sample.boxes.map((b) => ({
        cls: b.cls,
        xmin: b.xmin * content.width,
        ymin: b.ymin * content.height,
        xmax: b.xmax * content.width,
        ymax: b.ymax * content.height,
      })),
    };
  });
}
