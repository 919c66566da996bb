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

/** argv: version_dir ; loads with the TF1 Session loader, runs serving_default, prints output shapes and the count. */
const sessionRunScript = `
import json, sys
import numpy as np
import tensorflow as tf
tf.compat.v1.disable_eager_execution()
with tf.compat.v1.Session(graph=tf.Graph()) as sess:
    meta = tf.compat.v1.saved_model.loader.load(sess, ["serve"], sys.argv[1])
    sig = meta.signature_def["serving_default"]
    names = {k: v.name for k, v in sig.outputs.items()}
    image = np.random.default_rng(0).integers(0, 255, (1, 90, 120, 3), dtype=np.uint8)
    out = sess.run(names, {sig.inputs["input_tensor"].name: image})
    result = {k: list(v.shape) for k, v in out.items()}
    result["num_detections"] = [int(out["num_detections"][0])]
    print(json.dumps(result))
`;

test("saved_model_cli show --all lists the serving_default signature; the TF1 Session loader runs it", async () => {
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
    // The TF1 Session loader (the path TF Serving's C++ SavedModelBundle takes) runs it too.
    const session = JSON.parse(referee().run(sessionRunScript, [version])) as Record<string, number[]>;
    assert.equal(session.detection_boxes![1], session.num_detections![0]);
    assert.deepEqual(session.detection_boxes, [1, session.detection_boxes![1], 4]);
    // Our reader agrees with TensorFlow's tool.
    const [meta] = describeSavedModel(await readSavedModel(version));
    assert.deepEqual(meta!.tags, ["serve"]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
