// Runs a SavedModel in real TensorFlow on raccoon images and the same GraphDef in TensorFlow.js, and
// compares every signature output.
import assert from "node:assert/strict";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { TfjsSignatureRunner } from "../../proto/src/graph-to-tfjs.ts";
import { metaGraphWithTags, readSavedModel } from "../../proto/src/saved-model-reader.ts";
import { useTfjsBackend } from "../../proto/src/tfjs-backend.ts";
import { referee } from "../support/referee.ts";
import { runOnImagesScript } from "./saved-model-python.ts";

const raccoon = join(import.meta.dirname, "..", "..", "..", "shared", "datasets", "raccoon");
const images = ["raccoon-1.jpg", "raccoon-10.jpg", "raccoon-100.jpg"].map((f) => join(raccoon, "images", f));

/**
 * TF runs the model on the images (decoded by TF), and TensorFlow.js runs the same graph on the same
 * pixels. Differences are absolute; with `relative`, they are divided by max(1, |TF's value|), for
 * outputs in pixel units.
 */
export async function compareWithTensorFlow(
  versionDir: string,
  tolerance: number,
  o: { relative?: boolean } = {},
): Promise<void> {
  const out = referee().run(runOnImagesScript, [versionDir, ...images]);
  const results = JSON.parse(out) as {
    shape: number[];
    pixels: string;
    outputs: Record<string, { shape: number[]; values: number[] }>;
  }[];
  assert.equal(results.length, images.length);
  const model = await readSavedModel(versionDir);
  const mg = metaGraphWithTags(model, ["serve"]);
  await useTfjsBackend("wasm");
  const runner = await TfjsSignatureRunner.load(mg.graphDef!, mg.signatureDef.serving_default!);
  try {
    for (const [i, r] of results.entries()) {
      const pixels = Buffer.from(r.pixels, "base64");
      const input = tf.tensor(new Int32Array(pixels), r.shape, "int32");
      const ours = await runner.run({ input_tensor: input });
      input.dispose();
      assert.deepEqual(Object.keys(ours).sort(), Object.keys(r.outputs).sort());
      for (const [alias, expected] of Object.entries(r.outputs)) {
        const t = ours[alias]!;
        assert.deepEqual(t.shape, expected.shape, `${images[i]} ${alias} shape`);
        const got = await t.data();
        let worst = 0;
        expected.values.forEach((v, j) => {
          const scale = o.relative ? Math.max(1, Math.abs(v)) : 1;
          worst = Math.max(worst, Math.abs(v - got[j]!) / scale);
        });
        assert.ok(
          worst <= tolerance,
          `${images[i]} ${alias}: max ${o.relative ? "relative " : ""}difference ${worst} > ${tolerance}`,
        );
      }
      tf.dispose(Object.values(ours));
    }
  } finally {
    runner.dispose();
  }
}
