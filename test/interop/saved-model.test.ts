// Real TensorFlow loads the SavedModel our builder writes, runs its signature on raccoon images, and
// agrees with the TensorFlow.js execution of the same GraphDef; saved_model_cli lists the signature.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { test } from "node:test";
import * as tf from "@tensorflow/tfjs-core";
import { GraphBuilder } from "../../proto/src/graph-builder.ts";
import { TfjsSignatureRunner } from "../../proto/src/graph-to-tfjs.ts";
import { describeSavedModel, metaGraphWithTags, readSavedModel } from "../../proto/src/saved-model-reader.ts";
import { writeSavedModel } from "../../proto/src/saved-model-writer.ts";
import { useTfjsBackend } from "../../proto/src/tfjs-backend.ts";
import { referee } from "../support/referee.ts";
import { buildSmallDetector } from "./detection-graph.ts";
import { runOnImagesScript } from "./saved-model-python.ts";

const raccoon = join(import.meta.dirname, "..", "..", "..", "shared", "datasets", "raccoon");
const images = ["raccoon-1.jpg", "raccoon-10.jpg", "raccoon-100.jpg"].map((f) => join(raccoon, "images", f));

/** TF runs the model on the images (decoded by TF), and TensorFlow.js runs the same graph on the same pixels. */
export async function compareWithTensorFlow(versionDir: string, tolerance: number): Promise<void> {
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
          worst = Math.max(worst, Math.abs(v - got[j]!));
        });
        assert.ok(worst <= tolerance, `${images[i]} ${alias}: max difference ${worst} > ${tolerance}`);
      }
      tf.dispose(Object.values(ours));
    }
  } finally {
    runner.dispose();
  }
}

test("tf.saved_model.load runs our SavedModel on 3 raccoon images and matches TensorFlow.js within 1e-4", async () => {
  const dir = mkdtempSync(join(tmpdir(), "boxloop-sm-"));
  try {
    const g = new GraphBuilder();
    const signature = buildSmallDetector(g);
    const version = join(dir, "detector", "1");
    await writeSavedModel(version, { graph: g.toGraphDef(), signature, files: { "boxloop.json": "{}" } });
    await compareWithTensorFlow(version, 1e-4);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("saved_model_cli show --all lists the serving_default signature", async () => {
  const dir = mkdtempSync(join(tmpdir(), "boxloop-sm-"));
  try {
    const g = new GraphBuilder();
    const version = join(dir, "1");
    const signature = buildSmallDetector(g);
    await writeSavedModel(version, { graph: g.toGraphDef(), signature });
    const cli = join(dirname(referee().python), "saved_model_cli");
    const text = execFileSync(cli, ["show", "--all", "--dir", version], {
      encoding: "utf8",
      env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: "2", CUDA_VISIBLE_DEVICES: "" },
    });
    assert.match(text, /MetaGraphDef with tag-set: 'serve' contains the following SignatureDefs/);
    assert.match(text, /signature_def\['serving_default'\]/);
    assert.match(text, /inputs\['input_tensor'\] tensor_info:\s+dtype: DT_UINT8\s+shape: \(1, -1, -1, 3\)/);
    for (const out of ["detection_boxes", "detection_scores", "detection_classes", "num_detections"]) {
      assert.match(text, new RegExp(`outputs\\['${out}'\\] tensor_info:\\s+dtype: DT_FLOAT`));
    }
    assert.match(text, /Method name is: tensorflow\/serving\/predict/);
    // Our reader agrees with TensorFlow's tool.
    const [meta] = describeSavedModel(await readSavedModel(version));
    assert.deepEqual(meta!.tags, ["serve"]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
