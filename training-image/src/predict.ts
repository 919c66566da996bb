// Detectors that evaluation runs image by image: the trained head in-process (the same ops as the
// exported graph), or an exported SavedModel run through TF.js (e.g. the version now serving).
import { TfjsSignatureRunner } from "@boxloop/proto/graph-to-tfjs";
import { metaGraphWithTags, readSavedModel } from "@boxloop/proto/saved-model-reader";
import * as tf from "@tensorflow/tfjs-core";
import { selectBackend } from "./backend.ts";
import { type DecodeOptions, type Detections, decodeDetections, defaultDecode } from "./decode.ts";
import type { FeaturePool } from "./feature-pool.ts";
import { type HeadWeights, predictHeat } from "./head.ts";
import { contentSize, type ResizeMode, type RgbImage } from "./image.ts";
import type { Pretrained } from "./pretrained.ts";

export interface Predictor {
  predict(image: RgbImage): Promise<Detections>;
  dispose(): void;
}

/**
 * The trained head on the backbone's features, which `pool` computes (several images at once if it has
 * threads); with `flip`, averaged with its answer on the mirrored input, as the exported graph does.
 */
export function headPredictor(
  pre: Pretrained,
  head: HeadWeights,
  o: { resize: ResizeMode; flip: boolean; pool: FeaturePool; decode?: DecodeOptions },
): Predictor {
  const features = async (image: RgbImage, mirror: boolean): Promise<tf.Tensor4D> => {
    const f = await o.pool.compute({ image, boxes: [], augmentations: [], seed: undefined, resize: o.resize, mirror });
    return tf.tensor4d(f.features, [1, f.grid, f.grid, f.channels]);
  };
  return {
    async predict(image) {
      const content = contentSize(image.width, image.height, pre.size, o.resize);
      const [x, mirrored] = await Promise.all([
        features(image, false),
        o.flip ? features(image, true) : Promise.resolve(undefined),
      ]);
      const { heat, distances } = predictHeat(head, x, mirrored);
      tf.dispose([x, ...(mirrored ? [mirrored] : [])]);
      try {
        return await decodeDetections(heat, distances, content.height, content.width, o.decode ?? defaultDecode);
      } finally {
        tf.dispose([heat, distances]);
      }
    },
    dispose() {},
  };
}

/** A SavedModel version directory (local) with TF OD API's signature. */
export async function savedModelPredictor(versionDir: string): Promise<Predictor> {
  await selectBackend();
  const model = await readSavedModel(versionDir);
  const mg = metaGraphWithTags(model);
  const signature = mg.signatureDef.serving_default;
  if (!signature || !mg.graphDef) throw new Error(`${versionDir}: no serving_default signature`);
  const runner = await TfjsSignatureRunner.load(mg.graphDef, signature);
  return {
    async predict(image) {
      const input = tf.tensor4d(image.data, [1, image.height, image.width, 3], "int32");
      const out = await runner.run({ input_tensor: input });
      input.dispose();
      try {
        const n = Math.round((await out.num_detections!.data())[0]!);
        return {
          boxes: ((await out.detection_boxes!.data()) as Float32Array).slice(0, n * 4),
          scores: ((await out.detection_scores!.data()) as Float32Array).slice(0, n),
          classes: ((await out.detection_classes!.data()) as Float32Array).slice(0, n),
          count: n,
        };
      } finally {
        tf.dispose(Object.values(out));
      }
    },
    dispose: () => runner.dispose(),
  };
}
