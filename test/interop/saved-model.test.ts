// Real TensorFlow loads the SavedModel our builder writes, runs its signature on raccoon images, and
// agrees with the TensorFlow.js execution of the same GraphDef; saved_model_cli lists the signature.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { GraphBuilder } from "../../proto/src/graph-builder.ts";
import { describeSavedModel, readSavedModel } from "../../proto/src/saved-model-reader.ts";
import { writeSavedModel } from "../../proto/src/saved-model-writer.ts";
import { referee } from "../support/referee.ts";
import { buildSmallDetector } from "./detection-graph.ts";
import { compareWithTensorFlow } from "./saved-model-compare.ts";

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
