import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, test } from "node:test";
import { type GraphModel, loadGraphModel } from "@tensorflow/tfjs-converter";
import * as tf from "@tensorflow/tfjs-core";
import { GraphBuilder } from "./graph-builder.ts";
import { loadTfjsGraph } from "./graph-to-tfjs.ts";
import { DataType } from "./tensor.ts";
import { useTfjsBackend } from "./tfjs-backend.ts";
import { importTfjsGraphModel, readTfjsGraphModel, type TfjsGraphFiles } from "./tfjs-graph-import.ts";

before(() => useTfjsBackend("wasm"));

const ints = (v: number[]) => ({ list: { i: v.map(String) } });
const str = (s: string) => ({ s: btoa(s) });
const shape = (dims: number[]) => ({ dim: dims.map((d) => ({ size: String(d) })) });
const constNode = (name: string, dims: number[], dtype = "DT_FLOAT") => ({
  name,
  op: "Const",
  attr: { dtype: { type: dtype }, value: { tensor: { dtype, tensorShape: shape(dims) } } },
});
const fused = (name: string, op: string, inputs: string[], ops: string[]) => ({
  name,
  op,
  input: inputs,
  device: "/device:CPU:0",
  attr: {
    T: { type: "DT_FLOAT" },
    strides: ints([1, 1, 1, 1]),
    padding: str("SAME"),
    data_format: str("NHWC"),
    dilations: ints([1, 1, 1, 1]),
    explicit_paddings: { list: {} },
    fused_ops: { list: { s: ops.map(btoa) } },
    num_args: { i: "1" },
    epsilon: { f: 0 },
    _grappler_hint: { b: true },
  },
});

/** Exactly representable values, encoded as IEEE half bits. */
function toHalf(v: number): number {
  if (v === 0) return 0;
  const e = Math.floor(Math.log2(Math.abs(v)));
  return (v < 0 ? 0x8000 : 0) | ((e + 15) << 10) | Math.round((Math.abs(v) / 2 ** e - 1) * 1024);
}

/** A tiny tfjs graph model as the converter writes it: fused convs, fp16 and uint8-quantized weights. */
function tinyTfjsModel(): TfjsGraphFiles {
  const w = Array.from({ length: 6 }, (_, i) => ((i % 5) - 2) / 8);
  const bQ = [10, 200, 255];
  const dw = Array.from({ length: 27 }, (_, i) => Math.sin(i));
  const db = [0.1, -0.2, 0.3];
  const bytes = [
    new Uint8Array(Uint16Array.from(w, toHalf).buffer),
    Uint8Array.from(bQ),
    new Uint8Array(Float32Array.from(dw).buffer),
    new Uint8Array(Float32Array.from(db).buffer),
  ];
  const weightData = new Uint8Array(Buffer.concat(bytes));
  return {
    modelJson: {
      format: "graph-model",
      modelTopology: {
        node: [
          {
            name: "x",
            op: "Placeholder",
            attr: { dtype: { type: "DT_FLOAT" }, shape: { shape: shape([1, -1, -1, 2]) } },
          },
          constNode("w", [1, 1, 2, 3]),
          constNode("b", [3]),
          constNode("dw", [3, 3, 3, 1]),
          constNode("db", [3]),
          fused("dconv", "FusedDepthwiseConv2dNative", ["conv", "dw", "db"], ["BiasAdd"]),
          fused("conv", "_FusedConv2D", ["x", "w", "b"], ["BiasAdd", "Relu6"]),
          { name: "out", op: "Identity", input: ["dconv"], attr: { T: { type: "DT_FLOAT" } } },
        ],
        library: {},
        versions: {},
      },
      weightsManifest: [
        {
          paths: ["group1-shard1of1.bin"],
          weights: [
            { name: "w", shape: [1, 1, 2, 3], dtype: "float32", quantization: { dtype: "float16" } },
            { name: "b", shape: [3], dtype: "float32", quantization: { dtype: "uint8", scale: 0.01, min: -1 } },
            { name: "dw", shape: [3, 3, 3, 1], dtype: "float32" },
            { name: "db", shape: [3], dtype: "float32" },
          ],
        },
      ],
    },
    weightData,
  };
}

function loadOriginal(files: TfjsGraphFiles): Promise<GraphModel> {
  const m = files.modelJson;
  const data = files.weightData.slice().buffer;
  return loadGraphModel({
    load: async () => ({
      modelTopology: m.modelTopology,
      weightSpecs: m.weightsManifest.flatMap((g) => g.weights) as tf.io.WeightsManifestEntry[],
      weightData: data,
      format: "graph-model",
    }),
  });
}

test("an imported tfjs graph (fused convs, fp16 and uint8 weights) computes what tfjs computes on the original", async () => {
  const files = tinyTfjsModel();
  const g = new GraphBuilder();
  const imported = importTfjsGraphModel(g, files, { prefix: "net" });
  assert.deepEqual(imported.placeholders, ["x"]);
  const graph = g.toGraphDef();
  const ops = graph.node.map((n) => n.op);
  assert.ok(!ops.some((op) => op.startsWith("_Fused") || op.startsWith("Fused")), ops.join(","));
  for (const op of ["Conv2D", "BiasAdd", "Relu6", "DepthwiseConv2dNative"]) assert.ok(ops.includes(op), op);
  assert.ok(graph.node.every((n) => n.device === "" && Object.keys(n.attr).every((k) => !k.startsWith("_"))));
  const w = graph.node.find((n) => n.name === "net/w")!.attr.value!.value;
  assert.ok(w.case === "tensor" && w.value.dtype === DataType.DT_FLOAT && w.value.tensorContent.length === 24);
  assert.equal(imported.output("out").node, "net/out");

  const ours = await loadTfjsGraph(graph);
  const original = await loadOriginal(files);
  const x = tf.tensor4d(
    Float32Array.from({ length: 5 * 4 * 2 }, (_, i) => Math.cos(i) * 3),
    [1, 5, 4, 2],
  );
  const a = ours.execute({ "net/x": x }, "net/out") as tf.Tensor;
  const b = original.execute({ x }, "out") as tf.Tensor;
  assert.deepEqual(a.shape, [1, 5, 4, 3]);
  const diff = tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!;
  assert.ok(diff < 1e-5, `max difference ${diff}`);
  tf.dispose([x, a, b]);
});

test("model inputs can be bound to builder outputs, and only the needed nodes imported", () => {
  const files = tinyTfjsModel();
  const g = new GraphBuilder();
  const input = g.placeholder("input_tensor", DataType.DT_UINT8, [1, -1, -1, 2]);
  const x = g.cast(input, DataType.DT_FLOAT);
  const imported = importTfjsGraphModel(g, files, { prefix: "net", inputs: { x }, outputs: ["conv"] });
  const names = g.toGraphDef().node.map((n) => n.name);
  assert.ok(!names.includes("net/x") && !names.includes("net/dconv") && !names.includes("net/dw"), names.join(","));
  assert.deepEqual(g.node("net/conv/unfused_conv").input, ["Cast", "net/w"]);
  assert.equal(imported.output("x").node, "Cast");
  assert.throws(
    () => importTfjsGraphModel(new GraphBuilder(), files, { outputs: ["nope"] }),
    /the model has no node nope/,
  );
});

test("bad models give clear errors", async () => {
  const files = tinyTfjsModel();
  const short = { ...files, weightData: files.weightData.subarray(0, 20) };
  assert.throws(() => importTfjsGraphModel(new GraphBuilder(), short), /weight data ends inside dw/);
  const long = { ...files, weightData: new Uint8Array([...files.weightData, 0]) };
  assert.throws(() => importTfjsGraphModel(new GraphBuilder(), long), /1 bytes the manifest does not describe/);
  const odd = structuredClone(files);
  (odd.modelJson.modelTopology.node as { op: string }[])[7]!.op = "Erf";
  assert.throws(() => importTfjsGraphModel(new GraphBuilder(), odd), /ops boxloop's op table lacks: Erf/);
  const dir = mkdtempSync(join(tmpdir(), "boxloop-tfjs-"));
  try {
    writeFileSync(join(dir, "model.json"), JSON.stringify({ modelTopology: {}, weightsManifest: [] }));
    await assert.rejects(
      readTfjsGraphModel(join(dir, "model.json")),
      /is not a TensorFlow.js graph model: modelTopology.node/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the @vladmandic/human CenterNet backbone imports and matches the original model", async () => {
  const main = createRequire(import.meta.url).resolve("@vladmandic/human");
  const dir = main.slice(0, main.lastIndexOf("@vladmandic/human") + "@vladmandic/human".length);
  const files = await readTfjsGraphModel(join(dir, "models", "centernet.json"));
  const g = new GraphBuilder();
  const feature = "tower_0/MobilenetV3/expanded_conv_5/add";
  importTfjsGraphModel(g, files, { outputs: [feature] });
  const ours = await loadTfjsGraph(g.toGraphDef());
  const original = await loadOriginal(files);
  const x = tf.randomUniform([1, 512, 512, 3], 0, 255, "float32", 7);
  const a = ours.execute({ "tower_0/images": x }, feature) as tf.Tensor;
  const b = original.execute({ "tower_0/images": x }, feature) as tf.Tensor;
  assert.deepEqual(a.shape, [1, 64, 64, 32]);
  const rel = tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]! / tf.max(tf.abs(b)).dataSync()[0]!;
  assert.ok(rel < 1e-5, `relative difference ${rel}`);
  tf.dispose([x, a, b]);
});
