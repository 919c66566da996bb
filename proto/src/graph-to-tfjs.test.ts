import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, test } from "node:test";
import * as tf from "@tensorflow/tfjs-core";
import { GraphBuilder } from "./graph-builder.ts";
import { TfjsSignatureRunner, toTfjsArtifacts } from "./graph-to-tfjs.ts";
import { signatureDef, writeSavedModel } from "./saved-model-writer.ts";
import { DataType, tensor } from "./tensor.ts";
import { useTfjsBackend } from "./tfjs-backend.ts";

before(() => useTfjsBackend("wasm"));

const seq = (n: number, scale: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 1.7) * scale);

function convNet() {
  const g = new GraphBuilder();
  const x = g.placeholder("images", DataType.DT_FLOAT, [1, -1, -1, 2]);
  const w = g.constant(tensor(DataType.DT_FLOAT, [3, 3, 2, 4], seq(72, 0.5)), "w");
  const b = g.constant(tensor(DataType.DT_FLOAT, [4], seq(4, 0.1)), "b");
  const dw = g.constant(tensor(DataType.DT_FLOAT, [3, 3, 4, 1], seq(36, 0.3)), "dw");
  const c = g.relu6(g.biasAdd(g.conv2d(x, w, { padding: "SAME" }), b));
  const d = g.sigmoid(g.depthwiseConv2d(c, dw, { strides: [1, 2, 2, 1], padding: "VALID" }));
  const r = g.resizeBilinear(d, [6, 6]);
  const m = g.mean(
    g.maxPool(r, { ksize: [1, 2, 2, 1], strides: [1, 2, 2, 1], padding: "SAME" }),
    [1, 2],
    false,
    "pooled",
  );
  const spec = {
    inputs: { images: { output: x, shape: [1, -1, -1, 2] } },
    outputs: { pooled: { output: m, shape: [1, 4] }, resized: { output: r, shape: [1, 6, 6, 4] } },
  };
  return { graph: g.toGraphDef(), signature: signatureDef(spec), weights: { w, b, dw } };
}

test("the topology gets TensorFlow's default attrs back, and Const values travel as weights", () => {
  const { graph } = convNet();
  const artifacts = toTfjsArtifacts(graph);
  const nodes = (artifacts.modelTopology as { node: { name: string; op: string; attr: Record<string, unknown> }[] })
    .node;
  const conv = nodes.find((n) => n.op === "Conv2D")!;
  assert.deepEqual(conv.attr.dilations, { list: { i: ["1", "1", "1", "1"] } });
  assert.deepEqual(conv.attr.data_format, { s: btoa("NHWC") });
  const w = nodes.find((n) => n.name === "w")!;
  assert.deepEqual(w.attr.value, {
    tensor: { dtype: "DT_FLOAT", tensorShape: { dim: [{ size: "3" }, { size: "3" }, { size: "2" }, { size: "4" }] } },
  });
  assert.deepEqual(
    artifacts.weightSpecs.map((s) => s.name),
    nodes.filter((n) => n.op === "Const").map((n) => n.name),
  );
  assert.equal(
    artifacts.weightData.byteLength,
    artifacts.weightSpecs.reduce((n, s) => n + 4 * s.shape.reduce((a, b) => a * b, 1), 0),
  );
});

test("the graph runs in TensorFlow.js exactly as the same tfjs ops do", async () => {
  const { graph, signature } = convNet();
  const runner = await TfjsSignatureRunner.load(graph, signature);
  const x = tf.tensor4d(seq(1 * 7 * 9 * 2, 3), [1, 7, 9, 2]);
  const out = await runner.run({ images: x });
  const expected = tf.tidy(() => {
    const w = tf.tensor4d(seq(72, 0.5), [3, 3, 2, 4]);
    const c = tf.relu6(tf.add(tf.conv2d(x, w, 1, "same"), tf.tensor1d(seq(4, 0.1))));
    const d = tf.sigmoid(tf.depthwiseConv2d(c as tf.Tensor4D, tf.tensor4d(seq(36, 0.3), [3, 3, 4, 1]), 2, "valid"));
    const r = tf.image.resizeBilinear(d, [6, 6]);
    return { resized: r, pooled: tf.mean(tf.maxPool(r, 2, 2, "same"), [1, 2]) };
  });
  for (const k of ["pooled", "resized"] as const) {
    assert.deepEqual(out[k]!.shape, expected[k].shape);
    assert.deepEqual(await out[k]!.data(), await expected[k].data());
  }
  const only = await runner.run({ images: x }, ["pooled"]);
  assert.deepEqual(Object.keys(only), ["pooled"]);
  await assert.rejects(runner.run({}), /missing input images/);
  await assert.rejects(runner.run({ images: x, extra: x }), /unknown input extra/);
  await assert.rejects(runner.run({ images: x }, ["nope"]), /unknown output nope/);
  tf.dispose([x, ...Object.values(out), ...Object.values(expected), ...Object.values(only)]);
  runner.dispose();
});

test("a SavedModel version directory loads straight into a runner", async () => {
  const { graph, signature } = convNet();
  const dir = mkdtempSync(join(tmpdir(), "boxloop-g2t-"));
  try {
    const spec = {
      inputs: { images: { output: { node: "images", index: 0, dtype: DataType.DT_FLOAT }, shape: [1, -1, -1, 2] } },
      outputs: { pooled: { output: { node: "pooled", index: 0, dtype: DataType.DT_FLOAT }, shape: [1, 4] } },
    };
    await writeSavedModel(join(dir, "1"), { graph, signature: spec });
    const runner = await TfjsSignatureRunner.fromSavedModel(join(dir, "1"));
    assert.deepEqual(Object.keys(runner.signature.outputs), ["pooled"]);
    const direct = await TfjsSignatureRunner.load(graph, signature);
    const x = tf.ones([1, 4, 4, 2]);
    const [a, b] = [(await runner.run({ images: x })).pooled!, (await direct.run({ images: x }, ["pooled"])).pooled!];
    assert.deepEqual(await a.data(), await b.data());
    await assert.rejects(TfjsSignatureRunner.fromSavedModel(join(dir, "1"), "other"), /has no signature other/);
    tf.dispose([x, a, b]);
    runner.dispose();
    direct.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("dynamic ops (TopKV2, GatherV2, NonMaxSuppressionV5) run through executeAsync", async () => {
  const g = new GraphBuilder();
  const boxes = g.placeholder("boxes", DataType.DT_FLOAT, [-1, 4]);
  const scores = g.placeholder("scores", DataType.DT_FLOAT, [-1]);
  const [top, idx] = g.topK(scores, 3);
  const topBoxes = g.gather(boxes, idx, 0);
  const [sel] = g.nonMaxSuppression(topBoxes, top, { maxOutputSize: 3, iouThreshold: 0.5, scoreThreshold: 0.1 });
  const kept = g.gather(top, sel, 0, 0, "kept");
  const spec = {
    inputs: { boxes: { output: boxes, shape: [-1, 4] }, scores: { output: scores, shape: [-1] } },
    outputs: { kept: { output: kept, shape: [-1] } },
  };
  const runner = await TfjsSignatureRunner.load(g.toGraphDef(), signatureDef(spec));
  const out = await runner.run({
    boxes: tf.tensor2d([0, 0, 1, 1, 0, 0, 0.95, 1, 0.5, 0.5, 1, 1, 0, 0, 0.1, 0.1], [4, 4]),
    scores: tf.tensor1d([0.9, 0.8, 0.7, 0.05]),
  });
  // Box 1 overlaps box 0 (IoU 0.95) and is suppressed; box 2 overlaps it by 0.25 and stays.
  assert.deepEqual(
    [...(await out.kept!.data())].map((v) => Math.round(v * 100)),
    [90, 70],
  );
  runner.dispose();
});
