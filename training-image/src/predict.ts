// Detectors that evaluation runs image by image: the trained head in-process (the same ops as the
// exported graph), or an exported SavedModel run through TF.js (e.g. the version now serving).
import { TfjsSignatureRunner } from "@boxloop/proto/graph-to-tfjs";
import { metaGraphWithTags, readSavedModel } from "@boxloop/proto/saved-model-reader";
import * as tf from "@tensorflow/tfjs-core";
import { selectBackend } from "./backend.ts";
import { type DecodeOptions, type Detections, decodeDetections, defaultDecode } from "./decode.ts";
import type { FeaturePool } from "./feature-pool.ts";
import { applyHead, type HeadWeights } from "./head.ts";
import { contentSize, type ResizeMode, type RgbImage } from "./image.ts";
import type { Pretrained } from "./pretrained.ts";

export interface Predictor {
  predict(image: RgbImage): Promise<Detections>;
  dispose(): void;
}

/** The trained head on the backbone's features, which `pool` computes (several images at once if it has threads). */
export function headPredictor(
  pre: Pretrained,
  head: HeadWeights,
  resize: ResizeMode,
  pool: FeaturePool,
  decode: DecodeOptions = defaultDecode,
): Predictor {
  const features = async (image: RgbImage): Promise<tf.Tensor4D> => {
    const f = await pool.compute({ image, boxes: [], augmentations: [], seed: undefined, resize });
    return tf.tensor4d(f.features, [1, f.grid, f.grid, f.channels]);
  };
  return {
    async predict(image) {
      const content = contentSize(image.width, image.height, pre.size, resize);
      const x = await features(image);
      const { logits, distances } = applyHead(head, x);
      x.dispose();
      try {
        return await decodeDetections(logits, distances, content.height, content.width, decode);
      } finally {
        tf.dispose([logits, distances]);
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
