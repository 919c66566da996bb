// A SavedModel written by Python TensorFlow (a tiny tf.Module) is read by our proto layer, and its
// signature listed with the dtypes and shapes TensorFlow gave it.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { describeSavedModel, readSavedModel } from "../../proto/src/saved-model-reader.ts";
import { referee } from "../support/referee.ts";
import { saveTinyModuleScript } from "./saved-model-python.ts";

test("our reader lists the signature of a SavedModel saved by tf.saved_model.save", async () => {
  const dir = mkdtempSync(join(tmpdir(), "boxloop-tfsm-"));
  try {
    const exportDir = join(dir, "tiny");
    referee().run(saveTinyModuleScript, [exportDir]);
    const metas = describeSavedModel(await readSavedModel(exportDir));
    assert.equal(metas.length, 1);
    const meta = metas[0]!;
    assert.deepEqual(meta.tags, ["serve"]);
    assert.ok(meta.nodeCount > 0);
    const sig = meta.signatures.find((s) => s.key === "serving_default");
    assert.ok(sig, `signatures: ${meta.signatures.map((s) => s.key).join(", ")}`);
    assert.equal(sig.methodName, "tensorflow/serving/predict");
    assert.equal(sig.inputs.length, 1);
    assert.equal(sig.inputs[0]!.alias, "features");
    assert.equal(sig.inputs[0]!.dtype, "DT_FLOAT");
    assert.deepEqual(sig.inputs[0]!.shape, [-1, 2]);
    assert.match(sig.inputs[0]!.name, /^serving_default_features:0$/);
    assert.deepEqual(
      sig.outputs.map((o) => [o.alias, o.dtype, o.shape]),
      [
        ["count", "DT_INT32", []],
        ["scores", "DT_FLOAT", [-1, 2]],
      ],
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
