import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { GraphBuilder } from "./graph-builder.ts";
import { describeSavedModel, metaGraphWithTags, readSavedModel } from "./saved-model-reader.ts";
import { type SignatureSpec, writeSavedModel } from "./saved-model-writer.ts";
import { DataType, tensor } from "./tensor.ts";

function tinyModel(): { g: GraphBuilder; signature: SignatureSpec } {
  const g = new GraphBuilder();
  const x = g.placeholder("input_tensor", DataType.DT_FLOAT, [1, -1, -1, 3]);
  const w = g.constant(tensor(DataType.DT_FLOAT, [1, 1, 3, 2], Float32Array.of(1, 2, 3, 4, 5, 6)), "w");
  const y = g.sigmoid(g.conv2d(x, w, { padding: "VALID", dilations: [1, 1, 1, 1] }), "scores");
  return {
    g,
    signature: {
      inputs: { input_tensor: { output: x, shape: [1, -1, -1, 3] } },
      outputs: { scores: { output: y, shape: [1, -1, -1, 2] } },
    },
  };
}

function withDir(fn: (dir: string) => Promise<void>) {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), "boxloop-smw-"));
    try {
      await fn(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

test(
  "writes a serving SavedModel: tags [serve], serving_default predict signature, defaults stripped",
  withDir(async (dir) => {
    const { g, signature } = tinyModel();
    const version = join(dir, "m", "1");
    await writeSavedModel(version, {
      graph: g.toGraphDef(),
      signature,
      files: { "assets.extra/labels.txt": "raccoon" },
    });
    assert.deepEqual(readdirSync(version).sort(), ["assets.extra", "saved_model.pb"]);
    assert.equal(readFileSync(join(version, "assets.extra", "labels.txt"), "utf8"), "raccoon");
    const model = await readSavedModel(version);
    assert.equal(model.savedModelSchemaVersion, 1n);
    const mg = metaGraphWithTags(model, ["serve"]);
    assert.deepEqual(mg.metaInfoDef?.tags, ["serve"]);
    assert.equal(mg.metaInfoDef?.strippedDefaultAttrs, true);
    assert.equal(mg.$unknown, undefined, "nothing else (no saver_def, no collections)");
    const conv = mg.graphDef!.node.find((n) => n.op === "Conv2D")!;
    assert.deepEqual(Object.keys(conv.attr).sort(), ["T", "padding", "strides"]);
    const [meta] = describeSavedModel(model);
    assert.deepEqual(meta!.signatures, [
      {
        key: "serving_default",
        methodName: "tensorflow/serving/predict",
        inputs: [{ alias: "input_tensor", name: "input_tensor:0", dtype: "DT_FLOAT", shape: [1, -1, -1, 3] }],
        outputs: [{ alias: "scores", name: "scores:0", dtype: "DT_FLOAT", shape: [1, -1, -1, 2] }],
      },
    ]);
  }),
);

test(
  "a published version is never rewritten",
  withDir(async (dir) => {
    const { g, signature } = tinyModel();
    await writeSavedModel(join(dir, "1"), { graph: g.toGraphDef(), signature });
    await assert.rejects(writeSavedModel(join(dir, "1"), { graph: g.toGraphDef(), signature }), /already exists/);
  }),
);

test(
  "a failed write leaves no version directory and no temporary files",
  withDir(async (dir) => {
    const { g, signature } = tinyModel();
    // The second file needs assets.extra to be a directory, but the first made it a file.
    const files = { "assets.extra": "x", "assets.extra/labels.txt": "raccoon" };
    await assert.rejects(writeSavedModel(join(dir, "2"), { graph: g.toGraphDef(), signature, files }));
    assert.deepEqual(readdirSync(dir), []);
  }),
);

test(
  "bad signatures and extra-file paths are refused before anything is written",
  withDir(async (dir) => {
    const { g, signature } = tinyModel();
    const other = new GraphBuilder().placeholder("elsewhere", DataType.DT_FLOAT);
    const bad = { ...signature, outputs: { x: { output: other, shape: [] } } };
    await assert.rejects(writeSavedModel(join(dir, "a"), { graph: g.toGraphDef(), signature: bad }), /names elsewhere/);
    await assert.rejects(
      writeSavedModel(join(dir, "b"), { graph: g.toGraphDef(), signature, files: { "../escape": "x" } }),
      /extra file \.\.\/escape is not allowed/,
    );
    assert.deepEqual(readdirSync(dir), []);
  }),
);
